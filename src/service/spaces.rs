//! Spaces and their category trees: creation and the naming rules (shared by the API and the
//! importer). Names are unique (spaces among spaces, categories among siblings), claimed in the
//! unique-name index inside the transaction that writes them.

use chrono::Utc;
use serde_json::json;

use crate::{
    domain::{
        permission::{self, Action, Decision, Grant, Principal, PrincipalKind},
        review::Policy,
    },
    error::{Code, Error, Reason, Result},
    model::{AuditEvent, Category, Space, SpaceKind, new_id},
    service::Caller,
    service::access::{self, load_category},
    service::documents::{Actor, tx_audit},
    store::{Store, Tx, TxResult, names},
};

/// Longest space or category name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Deepest category nesting (a top-level category is depth 1).
pub const MAX_CATEGORY_DEPTH: usize = 12;
/// Longest space description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Checks and trims a space or category name.
pub fn check_name(name: &str, field: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::invalid(field, "the name must not be empty").because(Reason::Required));
    }
    if n.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            field,
            format!("the name is longer than {MAX_NAME_CHARS} characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_NAME_CHARS));
    }
    if n.chars().any(|c| c.is_control() || c == '/') {
        return Err(
            Error::invalid(field, "the name must not contain '/' or control characters")
                .because(Reason::BadCharacters),
        );
    }
    Ok(n.to_owned())
}

/// The 409 for a space name already in use.
pub fn space_name_taken(name: &str) -> Error {
    Error::rule(
        Code::NameTaken,
        format!("a space named {name} already exists"),
    )
    .with("name", name)
}

/// The 409 for a category name already in use among its siblings.
pub fn category_name_taken(name: &str) -> Error {
    Error::rule(
        Code::NameTaken,
        format!("a category named {name} already exists here"),
    )
    .with("name", name)
}

/// Creates a space (shared by the API and the importer). The creator becomes its manager.
pub fn create_space(
    store: &Store,
    actor: &Actor,
    name: &str,
    kind: SpaceKind,
    description: &str,
) -> Result<Space> {
    let name = check_name(name, "name")?;
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Error::invalid("description", "the description is too long")
            .because(Reason::TooLong)
            .with("limit", MAX_DESCRIPTION_CHARS));
    }
    let space = Space {
        id: new_id(),
        name: name.clone(),
        kind,
        description: description.trim().to_owned(),
        grants: vec![Grant {
            principal: Principal::User(actor.id.clone()),
            role: permission::Role::Manager,
            record_types: Vec::new(),
        }],
        review_policy: None,
        created_at: Utc::now(),
        comments_off: false,
    };
    let ev = actor.event(
        store.next_seq()?,
        "space.create",
        format!("space:{}", space.id),
        "ok",
        Some(json!({"name": name})),
    );
    let key = names::space(&space.name);
    store.transact(|tx| {
        names::tx_claim(tx, &key, None, &space.id, || space_name_taken(&space.name))?;
        tx.spaces.put(&space.id, &space)?;
        tx_audit(tx, &ev)?;
        Ok(())
    })?;
    Ok(space)
}

/// The categories of a space, sorted by name.
pub fn space_categories(store: &Store, space_id: &str) -> Result<Vec<Category>> {
    let mut cats: Vec<Category> = store
        .catalog()?
        .categories
        .values()
        .filter(|c| c.space_id == space_id)
        .cloned()
        .collect();
    cats.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cats)
}

/// Creates a category (API and importer). Sibling names are unique.
pub fn create_category_in(
    store: &Store,
    actor: &Actor,
    space: &Space,
    name: &str,
    parent_id: Option<&str>,
) -> Result<Category> {
    let name = check_name(name, "name")?;
    if let Some(p) = parent_id {
        let parent = load_category(store, p)
            .map_err(|_| Error::invalid("parent_id", "no such category").because(Reason::NoSuch))?;
        if parent.space_id != space.id {
            return Err(
                Error::invalid("parent_id", "the parent belongs to another space")
                    .because(Reason::OtherSpace),
            );
        }
        if access::chain(store, Some(p))?.len() >= MAX_CATEGORY_DEPTH {
            return Err(Error::invalid(
                "parent_id",
                format!("categories nest at most {MAX_CATEGORY_DEPTH} deep"),
            )
            .because(Reason::TooDeep)
            .with("limit", MAX_CATEGORY_DEPTH));
        }
    }
    let cat = new_category(&space.id, name, parent_id);
    let ev = category_created(actor, store.next_seq()?, &cat);
    store.transact(|tx| tx_write_category(tx, &cat, &ev))?;
    Ok(cat)
}

/// A new category record (checked by the caller, not yet stored): inherits its parent's grants.
pub fn new_category(space_id: &str, name: String, parent_id: Option<&str>) -> Category {
    Category {
        id: new_id(),
        space_id: space_id.to_owned(),
        name,
        parent_id: parent_id.map(str::to_owned),
        inherit: true,
        grants: vec![],
        review_policy: None,
        created_at: Utc::now(),
    }
}

/// The audit event recording a category's creation.
pub fn category_created(actor: &Actor, seq: u64, cat: &Category) -> AuditEvent {
    actor.event(
        seq,
        "category.create",
        format!("category:{}", cat.id),
        "ok",
        Some(json!({"name": cat.name, "space_id": cat.space_id})),
    )
}

/// Writes a new category, its name claim among its siblings and its audit event inside a
/// transaction (the API and the importer's one-transaction write both come here).
pub fn tx_write_category(tx: &Tx<'_>, cat: &Category, ev: &AuditEvent) -> TxResult<()> {
    let key = names::category(&cat.space_id, cat.parent_id.as_deref(), &cat.name);
    names::tx_claim(tx, &key, None, &cat.id, || category_name_taken(&cat.name))?;
    tx.categories.put(&cat.id, cat)?;
    tx_audit(tx, ev)
}

// ---- the use cases of the API -------------------------------------------------------------------

/// The caller's role in a space, strongest first: `admin`, `manager`, `reviewer`, `editor`,
/// `reader`, or none.
pub fn my_role(store: &Store, who: &Caller, space: &Space) -> Result<Option<&'static str>> {
    if who.is_admin() {
        return Ok(Some("admin"));
    }
    let s = who.subject();
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

/// Loads a space the caller may manage (`action` is ManageGrants or ManageCategories); 404 when
/// the caller cannot even see it.
fn managed_space(store: &Store, who: &Caller, id: &str, action: Action) -> Result<Space> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("space"));
    }
    let space = access::load_space(store, id)?;
    access::require_at(store, &who.subject(), action, &space, None, "space")?;
    Ok(space)
}

/// Loads a category and its space, requiring `action` on the category (404 when hidden).
fn managed_category(
    store: &Store,
    who: &Caller,
    id: &str,
    action: Action,
) -> Result<(Category, Space)> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("category"));
    }
    let c = load_category(store, id)?;
    let space = access::load_space(store, &c.space_id)?;
    access::require_at(store, &who.subject(), action, &space, Some(id), "category")?;
    Ok((c, space))
}

/// The spaces the caller can see (anything in them readable), oldest first, with the caller's
/// role in each.
pub fn list(store: &Store, who: &Caller) -> Result<Vec<(Space, Option<&'static str>)>> {
    let subject = who.subject();
    let scopes = access::readable_scopes(store, &subject)?;
    let mut spaces: Vec<Space> = store.catalog()?.spaces.values().cloned().collect();
    spaces.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let mut out = Vec::new();
    for s in spaces {
        if access::space_visible(store, &subject, &s, &scopes)? {
            let role = my_role(store, who, &s)?;
            out.push((s, role));
        }
    }
    Ok(out)
}

/// Creates a space (admins; never external guests).
pub fn create(
    store: &Store,
    who: &Caller,
    name: &str,
    kind: SpaceKind,
    description: &str,
) -> Result<Space> {
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
    create_space(store, &Actor::of(who), name, kind, description)
}

/// One space the caller can see, with the caller's role (`not_found` otherwise).
pub fn get(store: &Store, who: &Caller, id: &str) -> Result<(Space, Option<&'static str>)> {
    let space = visible(store, who, id)?;
    let role = my_role(store, who, &space)?;
    Ok((space, role))
}

/// A space the caller sees (something in it is readable); else 404, like one that does not
/// exist.
pub fn visible(store: &Store, who: &Caller, id: &str) -> Result<Space> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("space"));
    }
    let space = access::load_space(store, id)?;
    let subject = who.subject();
    let scopes = access::readable_scopes(store, &subject)?;
    if !access::space_visible(store, &subject, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    Ok(space)
}

/// A change to a space; absent fields stay.
#[derive(Debug, Clone, Default)]
pub struct SpaceChange {
    /// New name (unique among spaces).
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Comments open (true) or turned off (false).
    pub comments: Option<bool>,
}

/// Renames or describes a space (its managers); returns it with the caller's role.
pub fn update(
    store: &Store,
    who: &Caller,
    id: &str,
    change: &SpaceChange,
) -> Result<(Space, Option<&'static str>)> {
    let mut space = managed_space(store, who, id, Action::ManageGrants)?;
    let old_key = names::space(&space.name);
    if let Some(n) = &change.name {
        space.name = check_name(n, "name")?;
    }
    let new_key = names::space(&space.name);
    if let Some(d) = &change.description {
        if d.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid("description", "the description is too long")
                .because(Reason::TooLong)
                .with("limit", MAX_DESCRIPTION_CHARS));
        }
        space.description = d.trim().to_owned();
    }
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "space.update",
        format!("space:{id}"),
        "ok",
        None,
    );
    if let Some(on) = change.comments {
        space.comments_off = !on;
    }
    let (name, description) = (space.name.clone(), space.description.clone());
    let comments_off = space.comments_off;
    // Only what this change sets: a concurrent grant change is kept.
    let space = store.transact(|tx| {
        names::tx_claim(tx, &new_key, Some(&old_key), id, || space_name_taken(&name))?;
        let s = tx.spaces.modify(id, "space", |s| {
            s.name = name.clone();
            s.description = description.clone();
            s.comments_off = comments_off;
        })?;
        tx_audit(tx, &ev)?;
        Ok(s)
    })?;
    let role = my_role(store, who, &space)?;
    Ok((space, role))
}

/// Validates grants against the accounts and groups that exist.
pub fn validate_grants(store: &Store, grants: &[Grant]) -> Result<()> {
    let lookup = |p: &Principal| -> Option<PrincipalKind> {
        match p {
            Principal::Everyone => None,
            Principal::User(id) => store
                .users
                .get(id)
                .ok()
                .flatten()
                .map(|u| PrincipalKind::User(u.kind)),
            Principal::Group(id) => store
                .groups
                .contains(id)
                .ok()
                .filter(|b| *b)
                .map(|_| PrincipalKind::Group),
        }
    };
    if grants.len() > MAX_GRANTS {
        return Err(Error::invalid("grants", "at most 500 grants")
            .because(Reason::TooMany)
            .with("limit", MAX_GRANTS));
    }
    for g in grants {
        for t in &g.record_types {
            if crate::records::schemas().get(t).is_err() {
                return Err(Error::invalid("grants", format!("unknown record type {t}"))
                    .because(Reason::NoSuch)
                    .with("name", t));
            }
        }
    }
    Ok(permission::validate_grants(grants, lookup)?)
}

/// Most grants on one space or category.
pub const MAX_GRANTS: usize = 500;

/// A space's grants (its managers).
pub fn grants(store: &Store, who: &Caller, id: &str) -> Result<Vec<Grant>> {
    Ok(managed_space(store, who, id, Action::ManageGrants)?.grants)
}

/// Replaces a space's grants (its managers).
pub fn set_grants(store: &Store, who: &Caller, id: &str, grants: &[Grant]) -> Result<()> {
    managed_space(store, who, id, Action::ManageGrants)?;
    validate_grants(store, grants)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "space.grants",
        format!("space:{id}"),
        "ok",
        Some(json!({ "grants": grants })),
    );
    store.transact(|tx| {
        tx.spaces
            .modify(id, "space", |s| s.grants = grants.to_vec())?;
        tx_audit(tx, &ev)
    })
}

/// Checks a review policy for a place (the space root, or a category): well formed, naming
/// principals that exist, each of whom may read the place
/// ([`crate::service::reviews::check_reviewers`]).
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
                record_types: Vec::new(),
            })
            .collect();
        validate_grants(store, &grants).map_err(|e| e.on_field("stages").with("stage", i + 1))?;
    }
    crate::service::reviews::check_reviewers(store, p, space, category_id)
}

/// Sets the space's default review policy (those who manage its categories).
pub fn set_space_policy(store: &Store, who: &Caller, id: &str, policy: &Policy) -> Result<()> {
    let space = managed_space(store, who, id, Action::ManageCategories)?;
    check_policy(store, policy, &space, None)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "space.review_policy",
        format!("space:{id}"),
        "ok",
        Some(json!({ "policy": policy })),
    );
    store.transact(|tx| {
        tx.spaces
            .modify(id, "space", |s| s.review_policy = Some(policy.clone()))?;
        tx_audit(tx, &ev)
    })
}

/// The category tree of a space as the caller sees it (managers: all of it), sorted by name, and
/// whether the caller manages it.
pub fn categories(store: &Store, who: &Caller, space_id: &str) -> Result<(Vec<Category>, bool)> {
    if !crate::model::valid_id(space_id) {
        return Err(Error::NotFound("space"));
    }
    let space = access::load_space(store, space_id)?;
    let subject = who.subject();
    let scopes = access::readable_scopes(store, &subject)?;
    let manager = access::decide_at(store, &subject, Action::ManageCategories, &space, None)?
        == Decision::Allow;
    if !manager && !access::space_visible(store, &subject, &space, &scopes)? {
        return Err(Error::NotFound("space"));
    }
    let cats = space_categories(store, space_id)?
        .into_iter()
        .filter(|c| manager || scopes.contains(&c.id))
        .collect();
    Ok((cats, manager))
}

/// One category the caller may read, and whether the caller manages it.
pub fn category(store: &Store, who: &Caller, id: &str) -> Result<(Category, bool)> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("category"));
    }
    let c = load_category(store, id)?;
    let space = access::load_space(store, &c.space_id)?;
    let subject = who.subject();
    let manager = access::decide_at(store, &subject, Action::ManageCategories, &space, Some(id))?
        == Decision::Allow;
    if !manager {
        access::require_at(store, &subject, Action::Read, &space, Some(id), "category")?;
    }
    Ok((c, manager))
}

/// Creates a category in a space (those who manage the parent's place).
pub fn create_category(
    store: &Store,
    who: &Caller,
    space_id: &str,
    name: &str,
    parent_id: Option<&str>,
) -> Result<Category> {
    if !crate::model::valid_id(space_id) {
        return Err(Error::NotFound("space"));
    }
    let space = access::load_space(store, space_id)?;
    // Creating a child is managing its parent: decided down the parent's chain (so a parent hidden
    // from the caller answers 404, and a category manager may add children to its own subtree).
    let scope = parent_id.filter(|p| load_category(store, p).is_ok_and(|c| c.space_id == space.id));
    access::require_at(
        store,
        &who.subject(),
        Action::ManageCategories,
        &space,
        scope,
        "space",
    )?;
    create_category_in(store, &Actor::of(who), &space, name, parent_id)
}

/// A change to a category; absent fields stay (`parent_id: Some(None)` moves it to the top).
#[derive(Debug, Clone, Default)]
pub struct CategoryChange {
    /// New name (unique among its siblings).
    pub name: Option<String>,
    /// New parent.
    pub parent_id: Option<Option<String>>,
}

/// Renames or moves a category (those who manage it and, when moving, the new place); never
/// under itself or its own children.
pub fn update_category(
    store: &Store,
    who: &Caller,
    id: &str,
    change: &CategoryChange,
) -> Result<Category> {
    let (mut c, space) = managed_category(store, who, id, Action::ManageCategories)?;
    let old_key = names::category(&c.space_id, c.parent_id.as_deref(), &c.name);
    if let Some(n) = &change.name {
        c.name = check_name(n, "name")?;
    }
    if let Some(parent) = &change.parent_id {
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
            if permission::would_create_cycle(id, p, parent_of) {
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
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "category.update",
        format!("category:{id}"),
        "ok",
        Some(json!({"name": c.name, "parent_id": c.parent_id})),
    );
    let (name, parent_id) = (c.name.clone(), c.parent_id.clone());
    store.transact(|tx| {
        names::tx_claim(tx, &new_key, Some(&old_key), id, || {
            category_name_taken(&name)
        })?;
        let c = tx.categories.modify(id, "category", |c| {
            c.name = name.clone();
            c.parent_id = parent_id.clone();
        })?;
        tx_audit(tx, &ev)?;
        Ok(c)
    })
}

/// Overrides the grants of a category and its children (those who manage its grants).
pub fn set_category_grants(
    store: &Store,
    who: &Caller,
    id: &str,
    inherit: bool,
    grants: &[Grant],
) -> Result<()> {
    managed_category(store, who, id, Action::ManageGrants)?;
    validate_grants(store, grants)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "category.grants",
        format!("category:{id}"),
        "ok",
        Some(json!({"inherit": inherit, "grants": grants})),
    );
    store.transact(|tx| {
        tx.categories.modify(id, "category", |c| {
            c.inherit = inherit;
            c.grants = grants.to_vec();
        })?;
        tx_audit(tx, &ev)
    })
}

/// Sets a category's review policy (those who manage it).
pub fn set_category_policy(store: &Store, who: &Caller, id: &str, policy: &Policy) -> Result<()> {
    let (_, space) = managed_category(store, who, id, Action::ManageCategories)?;
    check_policy(store, policy, &space, Some(id))?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "category.review_policy",
        format!("category:{id}"),
        "ok",
        Some(json!({ "policy": policy })),
    );
    store.transact(|tx| {
        tx.categories
            .modify(id, "category", |c| c.review_policy = Some(policy.clone()))?;
        tx_audit(tx, &ev)
    })
}
