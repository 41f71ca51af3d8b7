//! Spaces, their category trees, grants and review policies.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, patch, put},
};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::{permission::Grant, review::Policy},
    error::{Error, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath},
    model::{Category, Space, SpaceKind},
    service::spaces,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/spaces", get(list).post(create))
        .route("/spaces/{id}", get(read).patch(update))
        .route(
            "/spaces/{id}/grants",
            put(set_space_grants).get(space_grants),
        )
        .route("/spaces/{id}/review-policy", put(set_space_policy))
        .route(
            "/spaces/{id}/categories",
            get(categories).post(create_category),
        )
        .route(
            "/categories/{id}",
            patch(update_category).get(read_category),
        )
        .route("/categories/{id}/grants", put(set_category_grants))
        .route("/categories/{id}/review-policy", put(set_category_policy))
}

fn space_view(space: &Space, role: Option<&str>, full: bool) -> Value {
    let mut v = json!({
        "id": space.id, "name": space.name, "kind": space.kind, "description": space.description,
        "my_role": role, "created_at": space.created_at,
    });
    if full {
        v["grants"] = serde_json::to_value(&space.grants).unwrap_or(Value::Null);
        v["review_policy"] = serde_json::to_value(&space.review_policy).unwrap_or(Value::Null);
    }
    v
}

async fn list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    let out = spaces::list(&state.store, &who)?
        .iter()
        .map(|(s, role)| space_view(s, *role, false))
        .collect();
    Ok(Json(Value::Array(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSpace {
    name: String,
    #[serde(default = "default_kind")]
    kind: SpaceKind,
    #[serde(default)]
    description: String,
}

fn default_kind() -> SpaceKind {
    SpaceKind::Knowledge
}

async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateSpace>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let space = spaces::create(store, &who, &req.name, req.kind, &req.description)?;
    store.flush().await?;
    Ok(Json(space_view(&space, Some("admin"), true)))
}

async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let (space, role) = spaces::get(&state.store, &who, &id)?;
    let full = matches!(role, Some("admin" | "manager"));
    Ok(Json(space_view(&space, role, full)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateSpace {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateSpace>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let change = spaces::SpaceChange {
        name: req.name,
        description: req.description,
    };
    let (space, role) = spaces::update(store, &who, &id, &change)?;
    store.flush().await?;
    Ok(Json(space_view(&space, role, true)))
}

async fn space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let grants = spaces::grants(&state.store, &who, &id)?;
    Ok(Json(
        serde_json::to_value(&grants).map_err(Error::internal)?,
    ))
}

async fn set_space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(grants): ApiJson<Vec<Grant>>,
) -> Result<Json<Value>> {
    let store = &state.store;
    spaces::set_grants(store, &who, &id, &grants)?;
    store.flush().await?;
    Ok(Json(json!({"id": id, "grants": grants})))
}

async fn set_space_policy(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<Value>> {
    let store = &state.store;
    spaces::set_space_policy(store, &who, &id, &policy)?;
    store.flush().await?;
    Ok(Json(json!({"id": id, "review_policy": policy})))
}

fn category_view(c: &Category, full: bool) -> Value {
    let mut v = json!({"id": c.id, "space_id": c.space_id, "name": c.name, "parent_id": c.parent_id, "inherit": c.inherit});
    if full {
        v["grants"] = serde_json::to_value(&c.grants).unwrap_or(Value::Null);
        v["review_policy"] = serde_json::to_value(&c.review_policy).unwrap_or(Value::Null);
    }
    v
}

async fn categories(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let (cats, manager) = spaces::categories(&state.store, &who, &id)?;
    let out: Vec<Value> = cats.iter().map(|c| category_view(c, manager)).collect();
    Ok(Json(Value::Array(out)))
}

async fn read_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let (c, manager) = spaces::category(&state.store, &who, &id)?;
    Ok(Json(category_view(&c, manager)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCategory {
    name: String,
    #[serde(default)]
    parent_id: Option<String>,
}

async fn create_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateCategory>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let c = spaces::create_category(store, &who, &id, &req.name, req.parent_id.as_deref())?;
    store.flush().await?;
    Ok(Json(category_view(&c, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCategory {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, with = "crate::http::extract::double_option")]
    parent_id: Option<Option<String>>,
}

async fn update_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCategory>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let change = spaces::CategoryChange {
        name: req.name,
        parent_id: req.parent_id,
    };
    let c = spaces::update_category(store, &who, &id, &change)?;
    store.flush().await?;
    Ok(Json(category_view(&c, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryGrants {
    #[serde(default = "yes")]
    inherit: bool,
    grants: Vec<Grant>,
}

fn yes() -> bool {
    true
}

async fn set_category_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CategoryGrants>,
) -> Result<Json<Value>> {
    let store = &state.store;
    spaces::set_category_grants(store, &who, &id, req.inherit, &req.grants)?;
    store.flush().await?;
    Ok(Json(
        json!({"id": id, "inherit": req.inherit, "grants": req.grants}),
    ))
}

async fn set_category_policy(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<Value>> {
    let store = &state.store;
    spaces::set_category_policy(store, &who, &id, &policy)?;
    store.flush().await?;
    Ok(Json(json!({"id": id, "review_policy": policy})))
}
