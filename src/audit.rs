//! Audit log retention: events older than the retention period (never less than 180 days) are
//! removed once a day. Nothing else deletes or edits audit events; the API only reads them.

use std::time::Duration;

use chrono::Utc;

use crate::{AppState, error::Result, store::Store};

/// The shortest retention allowed, whatever the configuration says.
pub const MIN_RETENTION_DAYS: u32 = 180;

/// Removes audit events older than `days` (at least [`MIN_RETENTION_DAYS`]). Returns how many.
pub fn prune(store: &Store, days: u32) -> Result<usize> {
    let cutoff = Utc::now() - chrono::Duration::days(days.max(MIN_RETENTION_DAYS) as i64);
    let mut removed = 0;
    // In batches, each one transaction through the write gate like every write.
    loop {
        let seqs = store.audit.older_than(cutoff, 1000)?;
        if seqs.is_empty() {
            return Ok(removed);
        }
        store.transact(|tx| {
            for &seq in &seqs {
                tx.audit.remove(seq)?;
            }
            Ok(())
        })?;
        removed += seqs.len();
    }
}

/// The daily retention task.
pub async fn run(state: AppState) {
    loop {
        let store = state.store.clone();
        let days = state.config.audit_retention_days;
        match tokio::task::spawn_blocking(move || prune(&store, days)).await {
            Ok(Ok(n)) if n > 0 => {
                tracing::info!(removed = n, "audit events past retention removed")
            }
            Ok(Err(e)) => tracing::error!(error = %e, "audit retention failed"),
            _ => {}
        }
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AuditEvent;

    #[test]
    fn prune_keeps_the_minimum_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ev = |seq: u64, days_ago: i64| AuditEvent {
            seq,
            at: Utc::now() - chrono::Duration::days(days_ago),
            actor: None,
            actor_name: None,
            action: "test".into(),
            target: "t".into(),
            outcome: "ok".into(),
            ip: None,
            detail: None,
        };
        for (seq, days) in [(1, 400), (2, 200), (3, 170), (4, 1)] {
            store
                .transact(|tx| tx.audit.append(&ev(seq, days)))
                .unwrap();
        }
        // A configured 30 days is raised to 180: only the 400- and 200-day-old events go.
        assert_eq!(prune(&store, 30).unwrap(), 2);
        assert_eq!(store.audit.len(), 2);
        assert_eq!(prune(&store, 365).unwrap(), 0);
    }
}
