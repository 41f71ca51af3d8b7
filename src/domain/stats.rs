//! The knowledge dashboard's figures as plain data, and the pure rules behind them: how a search
//! query is normalised for the log, months and ISO weeks of a period, medians.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The guides' target of new documents a month.
pub const MONTHLY_TARGET: u64 = 50;

/// Longest normalised query kept in the search log (characters).
pub const MAX_QUERY_CHARS: usize = 100;

/// A query as the search log keeps it: trimmed, lower-cased, every run of white space one space,
/// at most [`MAX_QUERY_CHARS`] characters.
pub fn normalise_query(q: &str) -> String {
    q.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect()
}

/// `YYYY-MM` of a day.
pub fn month_of(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// The first day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Every month touching `from..=to`, as `YYYY-MM`, oldest first.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = month_start(from);
    while m <= to {
        out.push(month_of(m));
        m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(to);
        if out.len() > 1200 {
            break;
        }
    }
    out
}

/// The ISO week of a day, as `YYYY-Www`.
pub fn week_of(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// The Monday starting the ISO week of `d`.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// The median of `xs` (sorted in place), `None` when empty.
pub fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    })
}

/// The knowledge dashboard (数据看板): figures of the period `from..=to` (UTC days) over the
/// spaces the caller may see figures of (all for administrators, those they manage for space
/// managers, or the one asked for).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period (included).
    pub to: NaiveDate,
    /// The spaces counted.
    pub spaces: Vec<SpaceRef>,
    /// The target of new documents a month (the guides say at least 50).
    pub monthly_target: u64,
    /// Documents created and updated per month, oldest month first.
    pub documents: Vec<MonthDocs>,
    /// Distinct readers per day, week and month.
    pub active_users: ActiveUsers,
    /// Searches and the queries that found nothing (administrators only: queries are not tied to
    /// spaces; `null` for space managers).
    pub searches: Option<SearchFigures>,
    /// The most read documents of the period that the caller may read, most read first.
    pub most_read: Vec<ReadDoc>,
    /// Documents that need a look.
    pub stale: StaleFigures,
    /// How long reviews took, from submission to decision.
    pub reviews: ReviewFigures,
    /// Required reading (onboarding collections) completion.
    pub required_reading: RequiredReading,
    /// The state of backups (administrators only; `null` for space managers).
    pub backups: Option<BackupStatus>,
}

/// A space counted by the dashboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpaceRef {
    /// Space id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Documents of one month.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct MonthDocs {
    /// `YYYY-MM`.
    pub month: String,
    /// Documents created that month (not counting those now in the trash).
    pub created: u64,
    /// Documents that got a new version that month (after their first).
    pub updated: u64,
    /// New versions saved that month (after the first of each document).
    pub edits: u64,
    /// The same per space (spaces with nothing that month are left out).
    pub by_space: Vec<SpaceDocs>,
}

/// Documents of one space in one month.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct SpaceDocs {
    /// Space id.
    pub space_id: String,
    /// Documents created.
    pub created: u64,
    /// Documents updated.
    pub updated: u64,
}

/// Active users: accounts that read at least one document (opened it) in a counted space.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActiveUsers {
    /// What counts as active: `reads` (opening a document).
    pub basis: String,
    /// The last 31 days of the period, oldest first.
    pub daily: Vec<DayCount>,
    /// The ISO weeks of the last 12 weeks of the period, oldest first.
    pub weekly: Vec<WeekCount>,
    /// Every month of the period, oldest first.
    pub monthly: Vec<MonthCount>,
}

/// Active users on one day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCount {
    /// The day.
    pub date: NaiveDate,
    /// Distinct readers.
    pub users: u64,
}

/// Active users in one ISO week.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeekCount {
    /// `YYYY-Www`.
    pub week: String,
    /// Its Monday.
    pub start: NaiveDate,
    /// Distinct readers.
    pub users: u64,
}

/// Active users in one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// Distinct readers.
    pub users: u64,
}

/// Searches of the period (at most the last [`SearchFigures::kept_days`] days: older ones are
/// not kept).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchFigures {
    /// How many days the search log keeps.
    pub kept_days: u32,
    /// Searches (first pages of results only).
    pub total: u64,
    /// Of those, searches that found nothing.
    pub zero_results: u64,
    /// The queries that found nothing, normalised (trimmed, lower case, white space collapsed),
    /// most frequent first, at most 30.
    pub zero_result_queries: Vec<ZeroQuery>,
}

/// A query that found nothing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ZeroQuery {
    /// The normalised query.
    pub query: String,
    /// How many searches for it found nothing.
    pub count: u64,
    /// The last day one did.
    pub last_day: NaiveDate,
}

/// A document and how often it was read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadDoc {
    /// Document id.
    pub id: String,
    /// Title, of the version the caller may read.
    pub title: String,
    /// Space id.
    pub space_id: String,
    /// Reads in the period.
    pub reads: u64,
}

/// Documents that need a look.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaleFigures {
    /// The N of "unchanged for N months" (`stale_months`).
    pub months: u32,
    /// How many (before the list is cut).
    pub total: usize,
    /// Past their review-by date first (oldest date first), then the longest unchanged; at most 50.
    pub items: Vec<StaleDoc>,
}

/// A document that needs a look.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DashboardStaleDoc)]
pub struct StaleDoc {
    /// Document id.
    pub id: String,
    /// Title, of the version the caller may read.
    pub title: String,
    /// Space id.
    pub space_id: String,
    /// Its last change.
    pub updated_at: DateTime<Utc>,
    /// Its review-by date, if any.
    pub review_by: Option<NaiveDate>,
    /// `review_overdue` (past its review-by date) or `unchanged` (no review-by date, unchanged
    /// for `months` months, but read in the period).
    pub reason: String,
    /// Reads in the period.
    pub reads: u64,
}

/// Review throughput: reviews decided in the period.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ReviewFigures {
    /// Reviews decided (approved or rejected) in the period.
    pub decided: u64,
    /// Of those, approved.
    pub approved: u64,
    /// Of those, rejected.
    pub rejected: u64,
    /// Reviews waiting for a decision now.
    pub pending: u64,
    /// Median hours from submission to decision, `null` when none was decided.
    pub median_hours: Option<f64>,
    /// The same per month of the decision, oldest first (months without decisions left out).
    pub monthly: Vec<MonthReviews>,
}

/// Reviews decided in one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthReviews {
    /// `YYYY-MM`.
    pub month: String,
    /// Reviews decided.
    pub decided: u64,
    /// Median hours from submission to decision.
    pub median_hours: f64,
}

/// Required reading completion.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct RequiredReading {
    /// Whether onboarding collections exist on this server (`false`: the figures are 0).
    pub available: bool,
    /// Required items assigned, over all people.
    pub required: u64,
    /// Of those, acknowledged.
    pub done: u64,
}

/// The state of backups.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BackupStatus {
    /// When the newest verified backup was taken, if there is one.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Whether it is missing or older than `overdue_hours`.
    pub overdue: bool,
    /// The age past which a backup is overdue (26 hours).
    pub overdue_hours: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_trimmed_lowercased_and_collapsed() {
        assert_eq!(normalise_query("  VPN   配置\t指南 "), "vpn 配置 指南");
        assert_eq!(normalise_query("\u{3000}报销\u{3000}"), "报销");
        assert_eq!(normalise_query("   "), "");
        assert_eq!(
            normalise_query(&"字".repeat(300)).chars().count(),
            MAX_QUERY_CHARS
        );
    }

    #[test]
    fn months_weeks_and_medians() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            months(d(2025, 11, 15), d(2026, 2, 1)),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(week_of(d(2026, 12, 2)), "2026-W49");
        assert_eq!(week_start(d(2026, 12, 2)), d(2026, 11, 30));
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
