//! Record types over HTTP: the JSON Schemas in `schemas/` (embedded, compiled at start-up), for the
//! forms that create records. Any signed-in account may read them: they describe forms, not data.

use axum::{Json, Router, extract::State, routing::get};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::{AppState, error::Result, http::auth::CurrentUser};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(record_types))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/record-types", get(record_types))
}

/// One record type.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordTypeView {
    /// The file stem, e.g. `meeting-minutes`.
    #[serde(rename = "type")]
    kind: String,
    /// Its Chinese name (the schema's `title`, e.g. 会议纪要).
    name: String,
    /// The JSON Schema (draft 2020-12); enum values carry Chinese labels in `x-enum-titles`.
    #[schema(value_type = Object)]
    schema: serde_json::Value,
}

/// The record types, by type name
#[utoipa::path(
    get,
    path = "/record-types",
    tag = "records",
    operation_id = "record_types",
    responses((status = 200, body = Vec<RecordTypeView>)),
)]
async fn record_types(
    State(state): State<AppState>,
    _who: CurrentUser,
) -> Result<Json<Vec<RecordTypeView>>> {
    Ok(Json(
        state
            .records
            .types()
            .map(|t| RecordTypeView {
                kind: t.kind.clone(),
                name: t.title.clone(),
                schema: t.schema.clone(),
            })
            .collect(),
    ))
}
