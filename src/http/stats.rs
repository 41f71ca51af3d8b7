//! `GET /api/v1/admin/stats`: the knowledge dashboard (数据看板) for administrators, and for space
//! managers over the spaces they manage ([`crate::service::stats`]).

use axum::{Json, Router, extract::State, routing::get};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

use crate::{
    AppState,
    domain::stats::Dashboard,
    error::{Code, Error, Result},
    http::{auth::CurrentUser, extract::ApiQuery},
    service::stats::{self, DEFAULT_STALE_MONTHS, Period},
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/stats", get(dashboard))
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(dashboard))]
pub struct ApiDoc;

/// The period and spaces of the dashboard.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// First day (`YYYY-MM-DD`, UTC); default: the first day of the month eleven months before `to`.
    #[serde(default)]
    from: Option<NaiveDate>,
    /// Last day, included (`YYYY-MM-DD`, UTC); default: today. At most 731 days after `from`.
    #[serde(default)]
    to: Option<NaiveDate>,
    /// Only this space (a space manager: one they manage).
    #[serde(default)]
    space_id: Option<String>,
    /// N of "unchanged for N months but still read" (1 to 120, default 6).
    #[serde(default)]
    #[param(minimum = 1, maximum = 120)]
    stale_months: Option<u32>,
}

/// The knowledge dashboard: documents per month (target 50), active users, searches that found
/// nothing, most read, stale documents, review throughput, required reading, backups (admins;
/// space managers: their spaces)
#[utoipa::path(
    get,
    path = "/admin/stats",
    tag = "admin",
    operation_id = "dashboard",
    params(StatsQuery),
    responses((status = 200, description = "The figures of the period", body = Dashboard)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NotFound]))),
)]
async fn dashboard(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> Result<Json<Dashboard>> {
    let now = Utc::now();
    let to = q.to.unwrap_or(now.date_naive());
    let period = Period {
        from: q.from.unwrap_or_else(|| Period::default_from(to)),
        to,
        space_id: q.space_id,
        stale_months: q.stale_months.unwrap_or(DEFAULT_STALE_MONTHS),
    };
    let st = state.clone();
    let caller = who.caller.clone();
    // It reads every document record: blocking work, never on an async worker.
    let d = tokio::task::spawn_blocking(move || {
        stats::dashboard(&st.store, &caller, &period, now, &st.config.backups())
    })
    .await
    .map_err(Error::internal)??;
    Ok(Json(d))
}
