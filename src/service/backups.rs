//! Backups as a use case: taking one (on request by an admin, or daily at the configured time),
//! auditing every run, pruning by age, and listing them. The file format and the consistent
//! snapshot are the store's ([`crate::store::backup`]).

use std::{path::Path, sync::Mutex, time::Duration};

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use serde_json::json;

use crate::{
    AppState,
    config::BackupAt,
    error::Result,
    model::AuditEvent,
    service::Caller,
    store::{Store, backup},
};

pub use crate::store::backup::BackupFile;

/// A backup whose last success is older than this is reported as overdue (a day and some slack).
pub const OVERDUE_HOURS: i64 = 26;

/// One backup at a time per process (the scheduled one and one asked for through the API queue).
static RUNNING: Mutex<()> = Mutex::new(());

fn event(
    store: &Store,
    who: Option<&Caller>,
    outcome: &str,
    detail: serde_json::Value,
) -> Result<AuditEvent> {
    Ok(AuditEvent {
        seq: store.next_seq()?,
        at: Utc::now(),
        actor: who.map(|w| w.user.id.clone()),
        actor_name: Some(who.map_or_else(|| "scheduler".to_owned(), |w| w.user.username.clone())),
        action: "backup.create".into(),
        target: "backup".into(),
        outcome: outcome.into(),
        ip: who.map(|w| w.ip.clone()),
        detail: Some(detail),
    })
}

/// Takes a backup into `dir`, prunes what is older than `keep_days` (never the newest verified
/// one) and audits the run, whether it succeeded or failed. `who` is `None` for the scheduler.
/// Blocking: call it off the async workers.
pub fn run(store: &Store, who: Option<&Caller>, dir: &Path, keep_days: u32) -> Result<BackupFile> {
    let _one = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    let started = std::time::Instant::now();
    match store.backup(dir) {
        Ok(b) => {
            let pruned = backup::prune(dir, keep_days, Utc::now())?;
            let ev = event(
                store,
                who,
                "ok",
                json!({"file": b.file, "size": b.size, "ms": started.elapsed().as_millis() as u64, "pruned": pruned}),
            )?;
            store.transact(|tx| tx.audit.append(&ev))?;
            Ok(b)
        }
        Err(e) => {
            tracing::error!(error = %e, "backup failed");
            let ev = event(store, who, "failed", json!({"error": e.to_string()}))?;
            store.transact(|tx| tx.audit.append(&ev))?;
            Err(e)
        }
    }
}

/// Takes a backup now (admins).
pub fn create(store: &Store, who: &Caller, dir: &Path, keep_days: u32) -> Result<BackupFile> {
    who.require_admin()?;
    run(store, Some(who), dir, keep_days)
}

/// The backups, newest first (admins).
pub fn list(who: &Caller, dir: &Path) -> Result<Vec<BackupFile>> {
    who.require_admin()?;
    backup::list(dir)
}

/// Whether the newest verified backup is missing or older than [`OVERDUE_HOURS`] at `now`.
pub fn overdue(backups: &[BackupFile], now: DateTime<Utc>) -> bool {
    backups
        .iter()
        .find(|b| b.verified)
        .is_none_or(|b| now - b.created_at > chrono::Duration::hours(OVERDUE_HOURS))
}

/// How long from `now` until the next `at` (local time of `tz`).
pub fn until_next<Tz: TimeZone>(now: DateTime<Tz>, at: NaiveTime) -> Duration {
    let tz = now.timezone();
    let today = now.date_naive();
    for day in [
        today,
        today.succ_opt().unwrap_or(today),
        today + chrono::Days::new(2),
    ] {
        // A time skipped by a daylight-saving change is taken at its earliest valid reading.
        if let Some(t) = tz.from_local_datetime(&day.and_time(at)).earliest()
            && t > now
        {
            return (t - now.clone())
                .to_std()
                .unwrap_or(Duration::from_secs(60));
        }
    }
    Duration::from_secs(24 * 3600)
}

/// The daily backup task.
pub async fn daily(state: AppState) {
    let BackupAt::Daily(at) = state.config.backup_at else {
        return;
    };
    loop {
        tokio::time::sleep(until_next(Local::now(), at)).await;
        let st = state.clone();
        let done = tokio::task::spawn_blocking(move || {
            run(
                &st.store,
                None,
                &st.config.backups(),
                st.config.backup_keep_days,
            )
        })
        .await;
        if let Ok(Ok(b)) = done {
            tracing::info!(file = %b.file, size = b.size, "daily backup written");
        }
        // Past the minute, so the same time does not run twice.
        tokio::time::sleep(Duration::from_secs(61)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn the_next_run_is_later_today_or_tomorrow() {
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        let at = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        let before = tz.with_ymd_and_hms(2026, 12, 2, 1, 30, 0).unwrap();
        assert_eq!(until_next(before, at), Duration::from_secs(30 * 60));
        let after = tz.with_ymd_and_hms(2026, 12, 2, 2, 0, 0).unwrap();
        assert_eq!(until_next(after, at), Duration::from_secs(24 * 3600));
    }

    #[test]
    fn overdue_after_26_hours_or_when_none_verified() {
        let now = Utc::now();
        let b = |hours: i64, verified| BackupFile {
            file: "f".into(),
            created_at: now - chrono::Duration::hours(hours),
            size: 1,
            verified,
        };
        assert!(overdue(&[], now));
        assert!(!overdue(&[b(25, true)], now));
        assert!(overdue(&[b(27, true)], now));
        assert!(overdue(&[b(1, false), b(27, true)], now));
    }
}
