//! Spaces, their category trees, grants and review policies.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, patch, put},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::{
    AppState,
    domain::{permission::Grant, review::Policy},
    error::{Code, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath},
    model::{Category, Space, SpaceKind},
    service::spaces,
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    list,
    create,
    read,
    update,
    space_grants,
    set_space_grants,
    set_space_policy,
    categories,
    create_category,
    read_category,
    update_category,
    set_category_grants,
    set_category_policy
))]
pub struct ApiDoc;

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

/// A space as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpaceView {
    /// Space id.
    id: String,
    /// Its name (unique).
    name: String,
    /// Knowledge library or project.
    kind: SpaceKind,
    /// Description.
    description: String,
    /// The caller's role in the space as a whole: `admin`, `manager`, `reviewer`, `editor`,
    /// `reader`, or none (the caller reads only some of its categories).
    my_role: Option<String>,
    /// Creation time.
    created_at: DateTime<Utc>,
    /// Whether readers may comment on its documents.
    comments: bool,
    /// Whether the caller watches the space (`GET /spaces/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    watching: Option<bool>,
    /// Whether the caller may create documents at its root (`GET /spaces/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    can_create: Option<bool>,
    /// The record types the caller may create at its root: every type for those who may
    /// create documents, else those a record grant names (`GET /spaces/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    record_types_allowed: Option<Vec<String>>,
    /// Who may do what in the whole space (managers and admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    grants: Option<Vec<Grant>>,
    /// Default review policy for categories without their own (managers and admins only;
    /// `null`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    review_policy: Option<Option<Policy>>,
}

fn space_view(space: &Space, role: Option<&str>, full: bool) -> SpaceView {
    SpaceView {
        id: space.id.clone(),
        name: space.name.clone(),
        kind: space.kind,
        description: space.description.clone(),
        my_role: role.map(str::to_owned),
        created_at: space.created_at,
        comments: !space.comments_off,
        watching: None,
        can_create: None,
        record_types_allowed: None,
        grants: full.then(|| space.grants.clone()),
        review_policy: full.then(|| space.review_policy.clone()),
    }
}

/// Spaces the caller can see, with the caller's role
#[utoipa::path(
    get,
    path = "/spaces",
    tag = "spaces",
    operation_id = "list_spaces",
    responses((status = 200, description = "Without grants and policies", body = Vec<SpaceView>)),
)]
async fn list(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Vec<SpaceView>>> {
    let out = spaces::list(&state.store, &who)?
        .iter()
        .map(|(s, role)| space_view(s, *role, false))
        .collect();
    Ok(Json(out))
}

/// A new space.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateSpace {
    /// Its name (unique).
    name: String,
    /// Knowledge library (default) or project.
    #[serde(default = "default_kind")]
    kind: SpaceKind,
    /// Description.
    #[serde(default)]
    description: String,
}

fn default_kind() -> SpaceKind {
    SpaceKind::Knowledge
}

/// Create a space (admins)
#[utoipa::path(
    post,
    path = "/spaces",
    tag = "spaces",
    operation_id = "create_space",
    request_body = CreateSpace,
    responses((status = 200, body = SpaceView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn create(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<CreateSpace>,
) -> Result<Json<SpaceView>> {
    let store = &state.store;
    let space = spaces::create(store, &who, &req.name, req.kind, &req.description)?;
    store.flush().await?;
    Ok(Json(space_view(&space, Some("admin"), true)))
}

/// One space
#[utoipa::path(
    get,
    path = "/spaces/{id}",
    tag = "spaces",
    operation_id = "read_space",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, description = "With grants and policy for managers", body = SpaceView)),
)]
async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SpaceView>> {
    let (space, role) = spaces::get(&state.store, &who, &id)?;
    let full = matches!(role, Some("admin" | "manager"));
    let watching = crate::service::collab::watching_space(&state.store, &who, &id)?;
    let (can_create, types) = crate::service::records::creatable(&state.store, &who, &space, None)?;
    Ok(Json(SpaceView {
        watching: Some(watching),
        can_create: Some(can_create),
        record_types_allowed: Some(types),
        ..space_view(&space, role, full)
    }))
}

/// Changes to a space; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateSpace {
    /// A new name (unique).
    #[serde(default)]
    name: Option<String>,
    /// A new description.
    #[serde(default)]
    description: Option<String>,
    /// Whether readers may comment on its documents (default: yes).
    #[serde(default)]
    comments: Option<bool>,
}

/// Rename or describe a space (managers)
#[utoipa::path(
    patch,
    path = "/spaces/{id}",
    tag = "spaces",
    operation_id = "update_space",
    params(("id" = String, Path, description = "Space id")),
    request_body = UpdateSpace,
    responses((status = 200, body = SpaceView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn update(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateSpace>,
) -> Result<Json<SpaceView>> {
    let store = &state.store;
    let change = spaces::SpaceChange {
        name: req.name,
        description: req.description,
        comments: req.comments,
    };
    let (space, role) = spaces::update(store, &who, &id, &change)?;
    store.flush().await?;
    Ok(Json(space_view(&space, role, true)))
}

/// A space's grants (managers)
#[utoipa::path(
    get,
    path = "/spaces/{id}/grants",
    tag = "spaces",
    operation_id = "space_grants",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, body = Vec<Grant>)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<Grant>>> {
    Ok(Json(spaces::grants(&state.store, &who, &id)?))
}

/// The grants of a space or category, after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantsSet {
    /// Space or category id.
    id: String,
    /// Whether the parent's (or space's) grants apply too (categories only).
    #[serde(skip_serializing_if = "Option::is_none")]
    inherit: Option<bool>,
    /// The grants now.
    grants: Vec<Grant>,
}

/// Replace a space's grants (managers)
#[utoipa::path(
    put,
    path = "/spaces/{id}/grants",
    tag = "spaces",
    operation_id = "set_space_grants",
    params(("id" = String, Path, description = "Space id")),
    request_body(content = Vec<Grant>, description = "The whole list of grants"),
    responses((status = 200, body = GrantsSet)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(grants): ApiJson<Vec<Grant>>,
) -> Result<Json<GrantsSet>> {
    let store = &state.store;
    spaces::set_grants(store, &who, &id, &grants)?;
    store.flush().await?;
    Ok(Json(GrantsSet {
        id,
        inherit: None,
        grants,
    }))
}

/// The review policy of a space or category, after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicySet {
    /// Space or category id.
    id: String,
    /// The policy now.
    review_policy: Policy,
}

/// Set the space's default review policy (managers)
#[utoipa::path(
    put,
    path = "/spaces/{id}/review-policy",
    tag = "reviews",
    operation_id = "set_space_policy",
    params(("id" = String, Path, description = "Space id")),
    request_body = Policy,
    responses((status = 200, body = PolicySet)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_space_policy(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<PolicySet>> {
    let store = &state.store;
    spaces::set_space_policy(store, &who, &id, &policy)?;
    store.flush().await?;
    Ok(Json(PolicySet {
        id,
        review_policy: policy,
    }))
}

/// A category as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Category id.
    id: String,
    /// The space.
    space_id: String,
    /// Its name (unique among its siblings).
    name: String,
    /// Parent category, or none at the space root.
    parent_id: Option<String>,
    /// Whether the parent's (or space's) grants apply here too.
    inherit: bool,
    /// Its own grants (managers and admins only).
    #[serde(skip_serializing_if = "Option::is_none")]
    grants: Option<Vec<Grant>>,
    /// Its own review policy (managers and admins only; `null`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    review_policy: Option<Option<Policy>>,
}

fn category_view(c: &Category, full: bool) -> CategoryView {
    CategoryView {
        id: c.id.clone(),
        space_id: c.space_id.clone(),
        name: c.name.clone(),
        parent_id: c.parent_id.clone(),
        inherit: c.inherit,
        grants: full.then(|| c.grants.clone()),
        review_policy: full.then(|| c.review_policy.clone()),
    }
}

/// The category tree the caller can see
#[utoipa::path(
    get,
    path = "/spaces/{id}/categories",
    tag = "spaces",
    operation_id = "categories",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, description = "With grants and policies for managers", body = Vec<CategoryView>)),
)]
async fn categories(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<CategoryView>>> {
    let (cats, manager) = spaces::categories(&state.store, &who, &id)?;
    Ok(Json(
        cats.iter().map(|c| category_view(c, manager)).collect(),
    ))
}

/// One category
#[utoipa::path(
    get,
    path = "/categories/{id}",
    tag = "spaces",
    operation_id = "read_category",
    params(("id" = String, Path, description = "Category id")),
    responses((status = 200, description = "With grants and policy for managers", body = CategoryView)),
)]
async fn read_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<CategoryView>> {
    let (c, manager) = spaces::category(&state.store, &who, &id)?;
    Ok(Json(category_view(&c, manager)))
}

/// A new category.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateCategory {
    /// Its name (unique among its siblings).
    name: String,
    /// Parent category (default: the space root).
    #[serde(default)]
    parent_id: Option<String>,
}

/// Create a category (managers)
#[utoipa::path(
    post,
    path = "/spaces/{id}/categories",
    tag = "spaces",
    operation_id = "create_category",
    params(("id" = String, Path, description = "Space id")),
    request_body = CreateCategory,
    responses((status = 200, body = CategoryView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn create_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CreateCategory>,
) -> Result<Json<CategoryView>> {
    let store = &state.store;
    let c = spaces::create_category(store, &who, &id, &req.name, req.parent_id.as_deref())?;
    store.flush().await?;
    Ok(Json(category_view(&c, true)))
}

/// Changes to a category; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateCategory {
    /// A new name (unique among its siblings).
    #[serde(default)]
    name: Option<String>,
    /// Move under this category (`null`: to the space root; no cycles).
    #[serde(default, with = "crate::http::extract::double_option")]
    parent_id: Option<Option<String>>,
}

/// Rename or move a category (managers; no cycles)
#[utoipa::path(
    patch,
    path = "/categories/{id}",
    tag = "spaces",
    operation_id = "update_category",
    params(("id" = String, Path, description = "Category id")),
    request_body = UpdateCategory,
    responses((status = 200, body = CategoryView)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::NameTaken]))),
)]
async fn update_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<UpdateCategory>,
) -> Result<Json<CategoryView>> {
    let store = &state.store;
    let change = spaces::CategoryChange {
        name: req.name,
        parent_id: req.parent_id,
    };
    let c = spaces::update_category(store, &who, &id, &change)?;
    store.flush().await?;
    Ok(Json(category_view(&c, true)))
}

/// A category's own grants.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CategoryGrants {
    /// Whether the parent's (or space's) grants apply too (default true).
    #[serde(default = "yes")]
    inherit: bool,
    /// The whole list of its own grants.
    grants: Vec<Grant>,
}

fn yes() -> bool {
    true
}

/// Override grants for a category and its children (managers)
#[utoipa::path(
    put,
    path = "/categories/{id}/grants",
    tag = "spaces",
    operation_id = "set_category_grants",
    params(("id" = String, Path, description = "Category id")),
    request_body = CategoryGrants,
    responses((status = 200, body = GrantsSet)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_category_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<CategoryGrants>,
) -> Result<Json<GrantsSet>> {
    let store = &state.store;
    spaces::set_category_grants(store, &who, &id, req.inherit, &req.grants)?;
    store.flush().await?;
    Ok(Json(GrantsSet {
        id,
        inherit: Some(req.inherit),
        grants: req.grants,
    }))
}

/// Set a category's review policy (managers)
#[utoipa::path(
    put,
    path = "/categories/{id}/review-policy",
    tag = "reviews",
    operation_id = "set_category_policy",
    params(("id" = String, Path, description = "Category id")),
    request_body = Policy,
    responses((status = 200, body = PolicySet)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn set_category_policy(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<PolicySet>> {
    let store = &state.store;
    spaces::set_category_policy(store, &who, &id, &policy)?;
    store.flush().await?;
    Ok(Json(PolicySet {
        id,
        review_policy: policy,
    }))
}
