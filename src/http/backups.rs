//! Backups through the API (admins): take one now, list them. The daily one runs by itself
//! ([`crate::service::backups::daily`]).

use axum::{Json, Router, extract::State, routing::get};

use crate::{
    AppState,
    error::{Error, Result},
    http::auth::CurrentUser,
    service::backups::{self, BackupFile},
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/backups", get(list).post(create))
}

/// `GET /api/v1/admin/backups`: newest first.
async fn list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Vec<BackupFile>>> {
    Ok(Json(backups::list(&who, &state.config.backups())?))
}

/// `POST /api/v1/admin/backups`: a consistent backup while serving, verified, then pruned.
async fn create(State(state): State<AppState>, who: CurrentUser) -> Result<Json<BackupFile>> {
    who.require_admin()?;
    let st = state.clone();
    let caller = who.caller.clone();
    // Reading and compressing the whole store is blocking work: never on an async worker.
    let b = tokio::task::spawn_blocking(move || {
        backups::create(
            &st.store,
            &caller,
            &st.config.backups(),
            st.config.backup_keep_days,
        )
    })
    .await
    .map_err(Error::internal)??;
    state.store.flush().await?;
    Ok(Json(b))
}
