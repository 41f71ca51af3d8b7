//! The knowledge dashboard (数据看板) as a use case: counting reads and searches as they happen
//! (in memory, written every few seconds by [`run`]), and computing the figures of a period for
//! an administrator, or for a space manager over the spaces they manage.
//!
//! - A read is a `GET /documents/{id}` answered to an account; the same account reading the same
//!   document again within [`READ_WINDOW_MINUTES`] is a refresh and not counted again. Read counts
//!   are kept per document (in total and per day), never per person.
//! - Active users are accounts that read at least one document on the day (per space, by a hash of
//!   the account id, kept [`DAILY_KEEP_DAYS`] days): the dashboard counts people using the
//!   knowledge base, not sessions left open.
//! - The search log keeps per day and normalised query how many searches found nothing, without
//!   accounts, for [`SEARCH_LOG_DAYS`] days.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    time::Duration,
};

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    AppState,
    domain::{
        permission::{Action, Decision},
        review::ReviewState,
        stats::{
            self, ActiveUsers, BackupStatus, Dashboard, DayCount, MonthCount, MonthDocs,
            MonthReviews, ReadDoc, RequiredReading, ReviewFigures, SearchFigures, SpaceDocs,
            SpaceRef, StaleDoc, StaleFigures, WeekCount, ZeroQuery,
        },
    },
    error::{Error, Reason, Result},
    model::{Doc, Space},
    service::{Caller, access, backups},
    store::Store,
};

/// Reads of one document by one account closer together than this count once.
pub const READ_WINDOW_MINUTES: i64 = 30;
/// How many days the search log keeps.
pub const SEARCH_LOG_DAYS: u32 = 90;
/// How many days reads per day and readers per day are kept (a year and a month).
pub const DAILY_KEEP_DAYS: u32 = 400;
/// Default N of "unchanged for N months".
pub const DEFAULT_STALE_MONTHS: u32 = 6;
/// Longest period the dashboard computes (days).
pub const MAX_PERIOD_DAYS: i64 = 731;
/// How often the tallies are written.
const WRITE_EVERY: Duration = Duration::from_secs(5);

/// Counts a read of `doc` by the caller at `now` (unless it is a refresh) and returns the
/// document's read count. No I/O besides reading the stored count.
pub fn record_read(
    store: &Store,
    who: &Caller,
    doc_id: &str,
    space_id: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    store.stats.add_read(
        who.id(),
        doc_id,
        space_id,
        now,
        chrono::Duration::minutes(READ_WINDOW_MINUTES),
    );
    store.stats.read_count(doc_id)
}

/// How often a document was read (in total).
pub fn read_count(store: &Store, doc_id: &str) -> Result<u64> {
    store.stats.read_count(doc_id)
}

/// Logs a search (its first page) of `query` that found `results`, normalised; an empty query
/// (browsing) is not logged. No I/O.
pub fn record_search(store: &Store, query: &str, results: usize, now: DateTime<Utc>) {
    let q = stats::normalise_query(query);
    if !q.is_empty() {
        store.stats.add_search(now.date_naive(), &q, results as u64);
    }
}

/// The oldest day kept at `today` when `days` days are kept (today included).
pub fn first_kept(today: NaiveDate, days: u32) -> NaiveDate {
    today - chrono::Days::new(u64::from(days.saturating_sub(1)))
}

/// Writes the waiting tallies and prunes what is past retention at `today`. Blocking.
pub fn write(store: &Store, today: NaiveDate) -> Result<usize> {
    store.write_stats(
        first_kept(today, SEARCH_LOG_DAYS),
        first_kept(today, DAILY_KEEP_DAYS),
    )
}

/// The task writing the tallies every few seconds (and pruning once they are written).
pub async fn run(state: AppState) {
    loop {
        tokio::time::sleep(WRITE_EVERY).await;
        let store = state.store.clone();
        let done =
            tokio::task::spawn_blocking(move || write(&store, Utc::now().date_naive())).await;
        match done {
            Ok(Ok(n)) if n > 0 => {
                tracing::info!(removed = n, "dashboard figures past retention removed")
            }
            Ok(Err(e)) => tracing::error!(error = %e, "writing the dashboard figures failed"),
            _ => {}
        }
    }
}

/// What the dashboard is asked for.
#[derive(Debug, Clone)]
pub struct Period {
    /// First day (UTC).
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Only this space.
    pub space_id: Option<String>,
    /// N of "unchanged for N months".
    pub stale_months: u32,
}

impl Period {
    /// The default period ending on `today`: the current month and the eleven before it.
    pub fn default_from(today: NaiveDate) -> NaiveDate {
        stats::month_start(today)
            .checked_sub_months(chrono::Months::new(11))
            .unwrap_or(today)
    }

    fn check(&self) -> Result<()> {
        if self.from > self.to {
            return Err(
                Error::invalid("from", "from must not be after to").because(Reason::BadValue)
            );
        }
        if (self.to - self.from).num_days() >= MAX_PERIOD_DAYS {
            return Err(Error::invalid(
                "from",
                format!("the period may span at most {MAX_PERIOD_DAYS} days"),
            )
            .because(Reason::OutOfRange)
            .with("min", 1)
            .with("max", MAX_PERIOD_DAYS));
        }
        if !(1..=120).contains(&self.stale_months) {
            return Err(
                Error::invalid("stale_months", "stale_months must be from 1 to 120")
                    .because(Reason::OutOfRange)
                    .with("min", 1)
                    .with("max", 120),
            );
        }
        Ok(())
    }
}

/// The spaces whose figures the caller may see: every space for administrators, the spaces
/// they manage for space managers (403 for everyone else), or the one asked for (404 when the
/// caller may not read it, 403 when they may but do not manage it).
fn scope(store: &Store, who: &Caller, space_id: Option<&str>) -> Result<Vec<Space>> {
    let subject = who.subject();
    let admin = who.is_admin();
    let catalog = store.catalog()?;
    let mut managed = Vec::new();
    for s in catalog.spaces.values() {
        if admin
            || access::decide_at(store, &subject, Action::ManageGrants, s, None)? == Decision::Allow
        {
            managed.push(s.clone());
        }
    }
    if managed.is_empty() && !admin {
        return Err(Error::Forbidden(
            "only administrators and space managers may see the dashboard".into(),
        ));
    }
    match space_id {
        None => Ok(managed),
        Some(id) => {
            let space = access::load_space(store, id)?;
            if !admin {
                access::require_at(store, &subject, Action::ManageGrants, &space, None, "space")?;
            }
            Ok(vec![space])
        }
    }
}

/// The title of the version of `doc` the caller sees, or `None` when it is hidden from them.
fn visible_title(store: &Store, who: &Caller, doc: &Doc) -> Result<Option<String>> {
    let Some(seen) = access::seen(store, &who.subject(), doc)? else {
        return Ok(None);
    };
    if seen.version == doc.version {
        return Ok(Some(doc.title.clone()));
    }
    Ok(store.versions.get(&doc.id, seen.version)?.map(|v| v.title))
}

/// The dashboard of `period` at `now` (see the module docs). Blocking (it reads every document
/// record): call it off the async workers. `backup_dir` is where backups are listed from.
pub fn dashboard(
    store: &Store,
    who: &Caller,
    period: &Period,
    now: DateTime<Utc>,
    backup_dir: &Path,
) -> Result<Dashboard> {
    let spaces = scope(store, who, period.space_id.as_deref())?;
    period.check()?;
    let today = now.date_naive();
    write(store, today)?;
    let (from, to) = (period.from, period.to);
    let in_scope: HashSet<&str> = spaces.iter().map(|s| s.id.as_str()).collect();
    let in_period = |d: NaiveDate| d >= from && d <= to;

    // Documents created and updated per month and space.
    let months = stats::months(from, to);
    let mut per_month: BTreeMap<String, (MonthDocs, BTreeMap<String, SpaceDocs>)> = months
        .iter()
        .map(|m| {
            (
                m.clone(),
                (
                    MonthDocs {
                        month: m.clone(),
                        ..MonthDocs::default()
                    },
                    BTreeMap::new(),
                ),
            )
        })
        .collect();
    let reads = store.stats.reads_between(from, to)?;
    let stale_before = now
        .checked_sub_months(chrono::Months::new(period.stale_months))
        .unwrap_or(now);
    let mut stale: Vec<(Doc, &'static str)> = Vec::new();
    let mut live: HashMap<String, Doc> = HashMap::new();
    for d in store.docs.values() {
        let d = d?;
        if d.deleted.is_some() || !in_scope.contains(d.space_id.as_str()) {
            continue;
        }
        let created = d.created_at.date_naive();
        if in_period(created)
            && let Some((m, by)) = per_month.get_mut(&stats::month_of(created))
        {
            m.created += 1;
            by.entry(d.space_id.clone())
                .or_insert_with(|| SpaceDocs {
                    space_id: d.space_id.clone(),
                    ..SpaceDocs::default()
                })
                .created += 1;
        }
        if d.version > 1 && d.updated_at.date_naive() >= from {
            let mut updated_in: HashSet<String> = HashSet::new();
            for t in store.versions.times_newest_first(&d.id) {
                let (n, at) = t?;
                let day = at.date_naive();
                if day < from {
                    break;
                }
                if n < 2 || day > to {
                    continue;
                }
                let month = stats::month_of(day);
                if let Some((m, by)) = per_month.get_mut(&month) {
                    m.edits += 1;
                    if updated_in.insert(month) {
                        m.updated += 1;
                        by.entry(d.space_id.clone())
                            .or_insert_with(|| SpaceDocs {
                                space_id: d.space_id.clone(),
                                ..SpaceDocs::default()
                            })
                            .updated += 1;
                    }
                }
            }
        }
        if d.published_version.is_some() {
            match d.review_by {
                Some(r) if r < today => stale.push((d.clone(), "review_overdue")),
                None if d.updated_at < stale_before
                    && reads.get(&d.id).copied().unwrap_or(0) > 0 =>
                {
                    stale.push((d.clone(), "unchanged"))
                }
                _ => {}
            }
        }
        live.insert(d.id.clone(), d);
    }
    let documents = per_month
        .into_values()
        .map(|(mut m, by)| {
            m.by_space = by.into_values().collect();
            m
        })
        .collect();

    // Active users: distinct readers in the counted spaces.
    let daily_from = from.max(to - chrono::Days::new(30));
    let weekly_from = from.max(stats::week_start(to) - chrono::Days::new(7 * 11));
    let mut by_day: BTreeMap<NaiveDate, HashSet<String>> = BTreeMap::new();
    let mut by_week: BTreeMap<NaiveDate, HashSet<String>> = BTreeMap::new();
    let mut by_month: BTreeMap<String, HashSet<String>> =
        months.iter().map(|m| (m.clone(), HashSet::new())).collect();
    for (day, space, reader) in store.stats.readers_between(from, to)? {
        if !in_scope.contains(space.as_str()) {
            continue;
        }
        if day >= daily_from {
            by_day.entry(day).or_default().insert(reader.clone());
        }
        if day >= weekly_from {
            by_week
                .entry(stats::week_start(day))
                .or_default()
                .insert(reader.clone());
        }
        by_month
            .entry(stats::month_of(day))
            .or_default()
            .insert(reader);
    }
    let daily = daily_from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| DayCount {
            date,
            users: by_day.get(&date).map_or(0, |s| s.len() as u64),
        })
        .collect();
    let mut weekly = Vec::new();
    let mut w = stats::week_start(weekly_from);
    while w <= to {
        weekly.push(WeekCount {
            week: stats::week_of(w),
            start: w,
            users: by_week.get(&w).map_or(0, |s| s.len() as u64),
        });
        w = w + chrono::Days::new(7);
    }
    let active_users = ActiveUsers {
        basis: "reads".into(),
        daily,
        weekly,
        monthly: by_month
            .into_iter()
            .map(|(month, s)| MonthCount {
                month,
                users: s.len() as u64,
            })
            .collect(),
    };

    // Most read: only documents the caller may read, titled as the caller sees them.
    let mut ranked: Vec<(&String, u64)> = reads
        .iter()
        .filter(|(id, _)| live.contains_key(*id))
        .map(|(id, n)| (id, *n))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut most_read = Vec::new();
    for (id, n) in ranked {
        if most_read.len() >= 10 {
            break;
        }
        let d = &live[id];
        if let Some(title) = visible_title(store, who, d)? {
            most_read.push(ReadDoc {
                id: d.id.clone(),
                title,
                space_id: d.space_id.clone(),
                reads: n,
            });
        }
    }

    // Stale: past the review-by date first (oldest date first), then the longest unchanged.
    stale.sort_by(|(a, ra), (b, rb)| {
        ra.cmp(rb)
            .then_with(|| a.review_by.cmp(&b.review_by))
            .then_with(|| a.updated_at.cmp(&b.updated_at))
    });
    let mut stale_items = Vec::new();
    let mut stale_total = 0;
    for (d, reason) in stale {
        let Some(title) = visible_title(store, who, &d)? else {
            continue;
        };
        stale_total += 1;
        if stale_items.len() < 50 {
            stale_items.push(StaleDoc {
                reads: reads.get(&d.id).copied().unwrap_or(0),
                id: d.id,
                title,
                space_id: d.space_id,
                updated_at: d.updated_at,
                review_by: d.review_by,
                reason: reason.into(),
            });
        }
    }

    let reviews = review_figures(store, &in_scope, &live, from, to)?;
    let searches = if who.is_admin() {
        Some(search_figures(store, from, to, today)?)
    } else {
        None
    };
    let backups = if who.is_admin() {
        let files = backups::list(who, backup_dir)?;
        Some(BackupStatus {
            last_success_at: files.iter().find(|b| b.verified).map(|b| b.created_at),
            overdue: backups::overdue(&files, now),
            overdue_hours: backups::OVERDUE_HOURS,
        })
    } else {
        None
    };
    // Over the onboarding collections the caller manages (or heads): counts only.
    let (collections, required, done) = crate::service::onboarding::completion(store, who, now)?;
    let required_reading = RequiredReading {
        available: collections > 0,
        required,
        done,
    };
    Ok(Dashboard {
        from,
        to,
        spaces: spaces
            .iter()
            .map(|s| SpaceRef {
                id: s.id.clone(),
                name: s.name.clone(),
            })
            .collect(),
        monthly_target: stats::MONTHLY_TARGET,
        documents,
        active_users,
        searches,
        most_read,
        stale: StaleFigures {
            months: period.stale_months,
            total: stale_total,
            items: stale_items,
        },
        reviews,
        required_reading,
        backups,
    })
}

/// Reviews of documents in the counted spaces decided in `from..=to`, and those open now.
fn review_figures(
    store: &Store,
    in_scope: &HashSet<&str>,
    live: &HashMap<String, Doc>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ReviewFigures> {
    let mut f = ReviewFigures::default();
    let mut hours = Vec::new();
    let mut monthly: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut trashed: HashMap<String, Option<String>> = HashMap::new();
    for r in store.reviews.values() {
        let r = r?.review;
        // The space of the document (also for one now in the trash).
        let space = match live.get(&r.doc_id) {
            Some(d) => Some(d.space_id.clone()),
            None => match trashed.get(&r.doc_id) {
                Some(s) => s.clone(),
                None => {
                    let s = store.docs.get(&r.doc_id)?.map(|d| d.space_id);
                    trashed.insert(r.doc_id.clone(), s.clone());
                    s
                }
            },
        };
        if !space.is_some_and(|s| in_scope.contains(s.as_str())) {
            continue;
        }
        if r.state.is_open() {
            f.pending += 1;
            continue;
        }
        let approved = match r.state {
            ReviewState::Approved => true,
            ReviewState::Rejected => false,
            _ => continue,
        };
        let Some(decided) = r.decisions.last().map(|d| d.at) else {
            continue;
        };
        let day = decided.date_naive();
        if day < from || day > to {
            continue;
        }
        f.decided += 1;
        if approved {
            f.approved += 1;
        } else {
            f.rejected += 1;
        }
        let h = (decided - r.submitted_at).num_seconds().max(0) as f64 / 3600.0;
        hours.push(h);
        monthly.entry(stats::month_of(day)).or_default().push(h);
    }
    f.median_hours = stats::median(&mut hours);
    f.monthly = monthly
        .into_iter()
        .map(|(month, mut hs)| MonthReviews {
            month,
            decided: hs.len() as u64,
            median_hours: stats::median(&mut hs).unwrap_or(0.0),
        })
        .collect();
    Ok(f)
}

/// Searches of `from..=to` (within what the log keeps at `today`).
fn search_figures(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<SearchFigures> {
    let kept_from = first_kept(today, SEARCH_LOG_DAYS);
    let mut total = 0;
    let mut zero = 0;
    let mut queries: HashMap<String, (u64, NaiveDate)> = HashMap::new();
    for (day, q, t) in store.stats.searches_between(from.max(kept_from), to)? {
        total += t.searches;
        zero += t.zero;
        if t.zero > 0 {
            let e = queries.entry(q).or_insert((0, day));
            e.0 += t.zero;
            e.1 = e.1.max(day);
        }
    }
    let mut list: Vec<ZeroQuery> = queries
        .into_iter()
        .map(|(query, (count, last_day))| ZeroQuery {
            query,
            count,
            last_day,
        })
        .collect();
    list.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| b.last_day.cmp(&a.last_day))
            .then_with(|| a.query.cmp(&b.query))
    });
    list.truncate(30);
    Ok(SearchFigures {
        kept_days: SEARCH_LOG_DAYS,
        total,
        zero_results: zero,
        zero_result_queries: list,
    })
}
