//! Group robots of a space (DingTalk, WeCom, Feishu webhooks): managers list and replace them.

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath},
    http::openapi::INVALID_INPUT_422,
    model::{DeliveryResult, RobotKind, Webhook},
    service::webhooks,
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(list, set))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/spaces/{id}/webhooks", get(list).put(set))
}

/// A group robot as its managers see it: never its secret, its address with the token hidden.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Robot id (send it back to keep the robot, its secret and its last result).
    id: String,
    /// Which chat service.
    kind: RobotKind,
    /// The webhook address, each query value and long path segment cut to four characters.
    url: String,
    /// Whether a signing secret is set (the secret itself is never answered).
    has_secret: bool,
    /// When it was added.
    created_at: DateTime<Utc>,
    /// How the last delivery went (`null`: none yet).
    last: Option<DeliveryResult>,
}

fn view(h: Webhook) -> WebhookView {
    let Webhook {
        id,
        kind,
        url,
        secret,
        created_by: _,
        created_at,
        last,
    } = h;
    WebhookView {
        id,
        kind,
        url: webhooks::masked_url(&url),
        has_secret: secret.is_some(),
        created_at,
        last,
    }
}

/// One robot of the new list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// An existing robot to keep; without `url` or `secret` it keeps its own.
    #[serde(default)]
    id: Option<String>,
    /// `dingtalk`, `wecom` or `feishu`.
    #[schema(example = "dingtalk")]
    kind: String,
    /// The webhook address (required for a new robot).
    #[serde(default)]
    url: Option<String>,
    /// The signing secret (DingTalk 加签, Feishu 签名校验); `""` removes it.
    #[serde(default)]
    secret: Option<String>,
}

/// A space's group robots (managers)
#[utoipa::path(
    get,
    path = "/spaces/{id}/webhooks",
    tag = "spaces",
    operation_id = "space_webhooks",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, body = Vec<WebhookView>)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn list(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<WebhookView>>> {
    let hooks = webhooks::list(&state.store, &who, &id)?;
    Ok(Json(hooks.into_iter().map(view).collect()))
}

/// Replace a space's group robots (managers)
#[utoipa::path(
    put,
    path = "/spaces/{id}/webhooks",
    tag = "spaces",
    operation_id = "set_space_webhooks",
    params(("id" = String, Path, description = "Space id")),
    request_body(content = Vec<WebhookInput>, description = "The whole list, at most 10"),
    responses((status = 200, body = Vec<WebhookView>)),
    extensions(("x-error-codes" = json!([Code::Forbidden, INVALID_INPUT_422]))),
)]
async fn set(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<Vec<WebhookInput>>,
) -> Result<Json<Vec<WebhookView>>> {
    let store = &state.store;
    let input: Vec<webhooks::HookInput> = input
        .into_iter()
        .map(
            |WebhookInput {
                 id,
                 kind,
                 url,
                 secret,
             }| webhooks::HookInput {
                id,
                kind,
                url,
                secret,
            },
        )
        .collect();
    let hooks = webhooks::set(
        store,
        &who,
        &id,
        &input,
        state.config.webhook_allow_loopback,
    )?;
    store.flush().await?;
    Ok(Json(hooks.into_iter().map(view).collect()))
}
