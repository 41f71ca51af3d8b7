//! Backups through the API (admins): take one now, list them. The daily one runs by itself
//! ([`crate::service::backups::daily`]).

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Result},
    http::auth::CurrentUser,
    service::backups,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/backups", get(list).post(create))
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(list, create))]
pub struct ApiDoc;

/// A backup file in the backup directory.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackupFile {
    /// File name (in the backup directory).
    file: String,
    /// When its snapshot was taken.
    created_at: DateTime<Utc>,
    /// Size in bytes.
    size: u64,
    /// Whether it was read back and checked after it was written.
    verified: bool,
}

impl From<backups::BackupFile> for BackupFile {
    fn from(b: backups::BackupFile) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let backups::BackupFile {
            file,
            created_at,
            size,
            verified,
        } = b;
        BackupFile {
            file,
            created_at,
            size,
            verified,
        }
    }
}

/// Backups, newest first, with size and whether each was verified (admins)
#[utoipa::path(
    get,
    path = "/admin/backups",
    tag = "admin",
    operation_id = "list_backups",
    responses((status = 200, description = "Newest first", body = Vec<BackupFile>)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Vec<BackupFile>>> {
    let files = backups::list(&who, &state.config.backups())?;
    Ok(Json(files.into_iter().map(BackupFile::from).collect()))
}

/// Take a consistent backup now, while serving; verified, then old ones pruned (admins)
#[utoipa::path(
    post,
    path = "/admin/backups",
    tag = "admin",
    operation_id = "create_backup",
    responses((status = 200, description = "The new backup, verified", body = BackupFile)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn create(State(state): State<AppState>, who: CurrentUser) -> Result<Json<BackupFile>> {
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
    Ok(Json(b.into()))
}
