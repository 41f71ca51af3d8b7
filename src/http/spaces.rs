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
    domain::{
        permission::{self, Action, Decision, Grant, Principal, PrincipalKind},
        review::Policy,
    },
    error::{Error, Reason, Result},
    http::auth::CurrentUser,
    http::{
        documents::actor,
        extract::{ApiJson, ApiPath, check_id},
    },
    model::{Category, Space, SpaceKind, User},
    service::access::{self, load_category, load_space},
    service::documents::tx_audit,
    service::spaces::{
        MAX_DESCRIPTION_CHARS, category_name_taken, check_name, create_category_in, create_space,
        space_categories, space_name_taken,
    },
    store::{Store, names, to_json, tx_modify},
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

/// Loads a space the caller may manage (`action` is ManageGrants or ManageCategories); 404 when the
/// caller cannot even see it.
fn managed_space(store: &Store, who: &CurrentUser, id: &str, action: Action) -> Result<Space> {
    check_id(id, "space")?;
    let space = load_space(store, id)?;
    access::require_at(store, &who.subject(), action, &space, None, "space")?;
    Ok(space)
}

fn my_role(store: &Store, who: &CurrentUser, space: &Space) -> Result<Option<&'static str>> {
    let s = who.subject();
    if who.is_admin() {
        return Ok(Some("admin"));
    }
    for (action, name) in [
        (Action::ManageGrants, "manager"),
        (Action::Review, "reviewer"),
        (Action::Edit, "editor"),
        (Action::Read, "reader"),
    ] {
        if access::decide_at(store, &s, action, space, None)? == Decision::Allow {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Can the caller see anything in this space (its root or any category)? See
/// [`access::space_visible`].
fn visible_space(
    store: &Store,
    who: &CurrentUser,
    space: &Space,
    scopes: &permission::Scopes,
) -> Result<bool> {
    access::space_visible(store, &who.subject(), space, scopes)
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
    let store = &state.store;
    let scopes = access::readable_scopes(store, &who.subject())?;
    let mut spaces: Vec<Space> = store.all_json(&store.spaces)?;
    spaces.sort_by_key(|a| a.created_at);
    let mut out = Vec::new();
    for s in &spaces {
        if visible_space(store, &who, s, &scopes)? {
            let role = my_role(store, &who, s)?;
            out.push(space_view(s, role, false));
        }
    }
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
    if who.user.kind == permission::AccountKind::External {
        return Err(Error::Forbidden(
            "external guests cannot create spaces".into(),
        ));
    }
    if !who.is_admin() {
        return Err(Error::Forbidden(
            "only administrators may create spaces".into(),
        ));
    }
    let space = create_space(store, &actor(&who), &req.name, req.kind, &req.description)?;
    store.flush().await?;
    Ok(Json(space_view(&space, Some("admin"), true)))
}

async fn read(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    check_id(&id, "space")?;
    let store = &state.store;
    let space = load_space(store, &id)?;
    let scopes = access::readable_scopes(store, &who.subject())?;
    if !visible_space(store, &who, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    let role = my_role(store, &who, &space)?;
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
    let mut space = managed_space(store, &who, &id, Action::ManageGrants)?;
    let old_key = names::space(&space.name);
    if let Some(n) = &req.name {
        space.name = check_name(n, "name")?;
    }
    let new_key = names::space(&space.name);
    if let Some(d) = &req.description {
        if d.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid("description", "the description is too long")
                .because(Reason::TooLong)
                .with("limit", MAX_DESCRIPTION_CHARS));
        }
        space.description = d.trim().to_owned();
    }
    let ev = actor(&who).event(
        store.next_seq()?,
        "space.update",
        format!("space:{id}"),
        "ok",
        None,
    );
    let bytes = to_json(&space);
    store.transact(|tx| {
        names::tx_claim(tx, &new_key, Some(&old_key), &id, || {
            space_name_taken(&space.name)
        })?;
        tx.spaces.insert(id.as_bytes(), bytes.clone())?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    store.flush().await?;
    let role = my_role(store, &who, &space)?;
    Ok(Json(space_view(&space, role, true)))
}

/// Validates grants against the accounts and groups that exist.
pub fn validate_grants(store: &Store, grants: &[Grant]) -> Result<()> {
    let lookup = |p: &Principal| -> Option<PrincipalKind> {
        match p {
            Principal::Everyone => None,
            Principal::User(id) => store
                .get_json::<User>(&store.users, id.as_bytes())
                .ok()
                .flatten()
                .map(|u| PrincipalKind::User(u.kind)),
            Principal::Group(id) => store
                .groups
                .contains_key(id.as_bytes())
                .ok()
                .filter(|b| *b)
                .map(|_| PrincipalKind::Group),
        }
    };
    if grants.len() > 500 {
        return Err(Error::invalid("grants", "at most 500 grants")
            .because(Reason::TooMany)
            .with("limit", 500));
    }
    Ok(permission::validate_grants(grants, lookup)?)
}

async fn space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let space = managed_space(store, &who, &id, Action::ManageGrants)?;
    Ok(Json(
        serde_json::to_value(&space.grants).map_err(Error::internal)?,
    ))
}

async fn set_space_grants(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(grants): ApiJson<Vec<Grant>>,
) -> Result<Json<Value>> {
    let store = &state.store;
    managed_space(store, &who, &id, Action::ManageGrants)?;
    validate_grants(store, &grants)?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "space.grants",
        format!("space:{id}"),
        "ok",
        Some(json!({"grants": grants})),
    );
    store.transact(|tx| {
        tx_modify(tx.spaces, id.as_bytes(), "space", |s: &mut Space| {
            s.grants = grants.clone();
        })?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    store.flush().await?;
    Ok(Json(json!({"id": id, "grants": grants})))
}

/// Checks a review policy for a place (the space root, or a category): well formed, naming
/// principals that exist, each of whom may read the place ([`crate::service::reviews::check_reviewers`]).
fn check_policy(store: &Store, p: &Policy, space: &Space, category_id: Option<&str>) -> Result<()> {
    if p.stages.is_empty() {
        return Ok(()); // explicit "no review here"
    }
    p.validate()?;
    for (i, s) in p.stages.iter().enumerate() {
        let grants: Vec<Grant> = s
            .reviewers
            .iter()
            .map(|r| Grant {
                principal: r.clone(),
                role: permission::Role::Reader,
            })
            .collect();
        validate_grants(store, &grants).map_err(|e| e.on_field("stages").with("stage", i + 1))?;
    }
    crate::service::reviews::check_reviewers(store, p, space, category_id)
}

async fn set_space_policy(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(policy): ApiJson<Policy>,
) -> Result<Json<Value>> {
    let store = &state.store;
    let space = managed_space(store, &who, &id, Action::ManageCategories)?;
    check_policy(store, &policy, &space, None)?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "space.review_policy",
        format!("space:{id}"),
        "ok",
        Some(json!({"policy": policy})),
    );
    store.transact(|tx| {
        tx_modify(tx.spaces, id.as_bytes(), "space", |s: &mut Space| {
            s.review_policy = Some(policy.clone());
        })?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
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
    check_id(&id, "space")?;
    let store = &state.store;
    let space = load_space(store, &id)?;
    let subject = who.subject();
    let scopes = access::readable_scopes(store, &subject)?;
    let manager = access::decide_at(store, &subject, Action::ManageCategories, &space, None)?
        == Decision::Allow;
    if !manager && !visible_space(store, &who, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    let cats = space_categories(store, &id)?;
    let out: Vec<Value> = cats
        .iter()
        .filter(|c| manager || scopes.contains(&c.id))
        .map(|c| category_view(c, manager))
        .collect();
    Ok(Json(Value::Array(out)))
}

async fn read_category(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>> {
    check_id(&id, "category")?;
    let store = &state.store;
    let c = load_category(store, &id)?;
    let space = load_space(store, &c.space_id)?;
    let subject = who.subject();
    let manager = access::decide_at(store, &subject, Action::ManageCategories, &space, Some(&id))?
        == Decision::Allow;
    if !manager {
        access::require_at(store, &subject, Action::Read, &space, Some(&id), "category")?;
    }
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
    check_id(&id, "space")?;
    let store = &state.store;
    let space = load_space(store, &id)?;
    // Creating a child is managing its parent: decided down the parent's chain (so a parent hidden
    // from the caller answers 404, and a category manager may add children to its own subtree).
    let scope = req
        .parent_id
        .as_deref()
        .filter(|p| load_category(store, p).is_ok_and(|c| c.space_id == space.id));
    access::require_at(
        store,
        &who.subject(),
        Action::ManageCategories,
        &space,
        scope,
        "space",
    )?;
    let c = create_category_in(
        store,
        &actor(&who),
        &space,
        &req.name,
        req.parent_id.as_deref(),
    )?;
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
    check_id(&id, "category")?;
    let store = &state.store;
    let mut c = load_category(store, &id)?;
    let old_key = names::category(&c.space_id, c.parent_id.as_deref(), &c.name);
    let space = load_space(store, &c.space_id)?;
    access::require_at(
        store,
        &who.subject(),
        Action::ManageCategories,
        &space,
        Some(&id),
        "category",
    )?;
    if let Some(n) = &req.name {
        c.name = check_name(n, "name")?;
    }
    if let Some(parent) = &req.parent_id {
        if let Some(p) = parent {
            let pc = load_category(store, p).map_err(|_| {
                Error::invalid("parent_id", "no such category").because(Reason::NoSuch)
            })?;
            if pc.space_id != c.space_id {
                return Err(
                    Error::invalid("parent_id", "the parent belongs to another space")
                        .because(Reason::OtherSpace),
                );
            }
            let parent_of = |x: &str| load_category(store, x).ok().and_then(|c| c.parent_id);
            if permission::would_create_cycle(&id, p, parent_of) {
                return Err(Error::invalid(
                    "parent_id",
                    "a category cannot move under itself or its own children",
                )
                .because(Reason::Cycle));
            }
        }
        if *parent != c.parent_id {
            // Moving also manages the new place.
            access::require_at(
                store,
                &who.subject(),
                Action::ManageCategories,
                &space,
                parent.as_deref(),
                "category",
            )?;
        }
        c.parent_id = parent.clone();
    }
    let new_key = names::category(&c.space_id, c.parent_id.as_deref(), &c.name);
    let ev = actor(&who).event(
        store.next_seq()?,
        "category.update",
        format!("category:{id}"),
        "ok",
        Some(json!({"name": c.name, "parent_id": c.parent_id})),
    );
    let bytes = to_json(&c);
    store.transact(|tx| {
        names::tx_claim(tx, &new_key, Some(&old_key), &id, || {
            category_name_taken(&c.name)
        })?;
        tx.categories.insert(id.as_bytes(), bytes.clone())?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
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
    check_id(&id, "category")?;
    let store = &state.store;
    let c = load_category(store, &id)?;
    let space = load_space(store, &c.space_id)?;
    access::require_at(
        store,
        &who.subject(),
        Action::ManageGrants,
        &space,
        Some(&id),
        "category",
    )?;
    validate_grants(store, &req.grants)?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "category.grants",
        format!("category:{id}"),
        "ok",
        Some(json!({"inherit": req.inherit, "grants": req.grants})),
    );
    store.transact(|tx| {
        tx_modify(
            tx.categories,
            id.as_bytes(),
            "category",
            |c: &mut Category| {
                c.inherit = req.inherit;
                c.grants = req.grants.clone();
            },
        )?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
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
    check_id(&id, "category")?;
    let store = &state.store;
    let c = load_category(store, &id)?;
    let space = load_space(store, &c.space_id)?;
    access::require_at(
        store,
        &who.subject(),
        Action::ManageCategories,
        &space,
        Some(&id),
        "category",
    )?;
    check_policy(store, &policy, &space, Some(&id))?;
    let ev = actor(&who).event(
        store.next_seq()?,
        "category.review_policy",
        format!("category:{id}"),
        "ok",
        Some(json!({"policy": policy})),
    );
    store.transact(|tx| {
        tx_modify(
            tx.categories,
            id.as_bytes(),
            "category",
            |c: &mut Category| {
                c.review_policy = Some(policy.clone());
            },
        )?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    store.flush().await?;
    Ok(Json(json!({"id": id, "review_policy": policy})))
}
