//! Spaces and their category trees: creation and the naming rules (shared by the API and the
//! importer). Names are unique (spaces among spaces, categories among siblings), claimed in the
//! unique-name index inside the transaction that writes them.

use chrono::Utc;
use serde_json::json;

use crate::{
    domain::permission::{self, Grant, Principal},
    error::{Code, Error, Reason, Result},
    model::{AuditEvent, Category, Space, SpaceKind, new_id},
    service::access::{self, load_category},
    service::documents::{Actor, tx_audit},
    store::{Store, Tx, TxResult, names, to_json},
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
        }],
        review_policy: None,
        created_at: Utc::now(),
    };
    let ev = actor.event(
        store.next_seq()?,
        "space.create",
        format!("space:{}", space.id),
        "ok",
        Some(json!({"name": name})),
    );
    let bytes = to_json(&space);
    let key = names::space(&space.name);
    store.transact(|tx| {
        names::tx_claim(tx, &key, None, &space.id, || space_name_taken(&space.name))?;
        tx.spaces.insert(space.id.as_bytes(), bytes.clone())?;
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
    tx.categories.insert(cat.id.as_bytes(), to_json(cat))?;
    tx_audit(tx, ev)
}
