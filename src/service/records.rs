//! Records: documents whose body is rendered from fields that follow a record type's schema
//! (`crate::records`). Building a record's content, listing records by field, the people
//! picker of the record form and a project space's members.

use std::cmp::Ordering;

use chrono::Utc;
use serde_json::Value;

use crate::{
    domain::permission::{Action, Decision, Principal, Role},
    error::{Error, Reason, Result},
    model::{Doc, DocKind},
    records,
    service::{
        Caller, access,
        documents::{self as docs, DocContent, checked},
        onboarding::Directory,
    },
    store::Store,
};

/// Most people the picker lists.
const MAX_PICKER: usize = 10;

/// Display names of accounts named by login (people fields hold logins); anything else is
/// shown as written.
pub fn names(store: &Store) -> impl Fn(&str) -> String + '_ {
    move |login: &str| {
        store
            .usernames
            .get(&login.to_lowercase())
            .ok()
            .flatten()
            .and_then(|id| store.users.get(&id).ok().flatten())
            .map_or_else(|| login.to_owned(), |u| u.display_name)
    }
}

/// The content of a record version: the fields checked against the type (422
/// `invalid_record` naming each bad one), the Markdown rendered from them with the fields
/// block after it, the title given or taken from the fields. CPU work (validation, rendering).
pub fn content(
    store: &Store,
    kind: &str,
    fields: &Value,
    title: Option<&str>,
    tags: &[String],
    max_body: usize,
) -> Result<DocContent> {
    let schemas = records::schemas();
    schemas.validate(kind, fields)?;
    let t = schemas.get(kind)?;
    let rendered = t.render(fields, &names(store));
    let body = records::compose(&rendered, kind, fields);
    let title = match title.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => t.to_owned(),
        None => t.title_of(fields),
    };
    docs::validate(&title, &body, tags, max_body)
}

/// A record's type and fields, from the version in `doc` (None for an ordinary document).
pub fn fields_of(doc: &Doc) -> Option<(String, Value)> {
    if doc.kind != DocKind::Record {
        return None;
    }
    records::split(&doc.body).1
}

/// The Markdown readers see of a version's body (a record's fields block left out).
pub fn shown_body(doc: &Doc) -> &str {
    if doc.kind == DocKind::Record {
        records::readable(&doc.body)
    } else {
        &doc.body
    }
}

/// How a record list is sorted.
pub enum Sort {
    /// Last changed first.
    Recent,
    /// By title.
    Title,
    /// By a top-level field's value (missing ones last).
    Field(String),
}

/// What a record list asks for.
pub struct RecordFilter {
    /// Only this space.
    pub space_id: Option<String>,
    /// Only this type.
    pub record_type: Option<String>,
    /// Top-level fields equal to these values (a list field: containing it).
    pub fields: Vec<(String, String)>,
    /// Order.
    pub sort: Sort,
    /// Reverse the order.
    pub descending: bool,
}

/// The text a field value is compared and sorted by.
fn field_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn matches(fields: &Value, key: &str, want: &str) -> bool {
    match fields.get(key) {
        Some(Value::Array(a)) => a.iter().any(|x| field_text(x).as_deref() == Some(want)),
        Some(v) => field_text(v).is_some_and(|s| s == want || s.eq_ignore_ascii_case(want)),
        None => false,
    }
}

/// Records the caller may read, as they see them (readers the published version), with their
/// fields, filtered and sorted. A field filter on a field the type does not have is 400.
pub fn list(store: &Store, who: &Caller, f: &RecordFilter) -> Result<Vec<(Doc, Value)>> {
    if let Some(t) = &f.record_type {
        let ty = records::schemas().get(t).map_err(|e| e.on_field("type"))?;
        for (k, _) in &f.fields {
            if ty.schema["properties"].get(k).is_none() {
                return Err(
                    Error::invalid(format!("field.{k}"), "the type has no such field")
                        .because(Reason::NoSuch)
                        .with("name", k),
                );
            }
        }
    }
    let docs = checked::list(
        store,
        who,
        &checked::ListFilter {
            space_id: f.space_id.as_deref(),
            category_id: None,
            by_title: false,
        },
    )?;
    let mut out = Vec::new();
    for mut d in docs {
        if d.kind != DocKind::Record
            || f.record_type
                .as_ref()
                .is_some_and(|t| d.record_type.as_ref() != Some(t))
        {
            continue;
        }
        if d.body.is_empty() {
            d.body = store.bodies.get(&d.id)?.unwrap_or_default();
        }
        let Some((_, fields)) = fields_of(&d) else {
            continue;
        };
        if f.fields.iter().all(|(k, v)| matches(&fields, k, v)) {
            out.push((d, fields));
        }
    }
    match &f.sort {
        Sort::Recent => out.sort_by_key(|(d, _)| std::cmp::Reverse(d.updated_at)),
        Sort::Title => out.sort_by(|a, b| a.0.title.cmp(&b.0.title)),
        Sort::Field(k) => out.sort_by(|a, b| {
            match (
                a.1.get(k).and_then(field_text),
                b.1.get(k).and_then(field_text),
            ) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }),
    }
    if f.descending {
        out.reverse();
    }
    Ok(out)
}

/// A person the picker offers.
pub struct Person {
    /// User id.
    pub id: String,
    /// Login.
    pub username: String,
    /// Name.
    pub display_name: String,
}

/// Active accounts who may read the space, matching `q` by login, name, full pinyin or
/// initials, at most ten (the people picker of record forms). The space must be one the
/// caller sees (else 404).
pub fn people(store: &Store, who: &Caller, space_id: &str, q: &str) -> Result<Vec<Person>> {
    let space = crate::service::spaces::visible(store, who, space_id)?;
    let q = q.trim().trim_start_matches('@').to_lowercase();
    let dir = Directory::load(store)?;
    let mut users: Vec<&crate::model::User> = dir.users.iter().collect();
    users.sort_by(|a, b| a.username.cmp(&b.username));
    let now = Utc::now();
    let mut out = Vec::new();
    for u in users {
        if out.len() >= MAX_PICKER {
            break;
        }
        if !crate::service::collab::picked_by(u, &q) {
            continue;
        }
        let subject = dir.subject(u);
        if subject.is_active(now)
            && access::decide_at(store, &subject, Action::Read, &space, None)? == Decision::Allow
        {
            out.push(Person {
                id: u.id.clone(),
                username: u.username.clone(),
                display_name: u.display_name.clone(),
            });
        }
    }
    Ok(out)
}

/// A member of a space: someone its own grants name (directly or through a department).
pub struct Member {
    /// User id.
    pub id: String,
    /// Login.
    pub username: String,
    /// Name.
    pub display_name: String,
    /// The highest role the space's grants give them.
    pub role: Role,
}

/// The members of a space (the accounts its grants name, by user or department; `everyone` is
/// not a list of members), highest role first, active accounts only; for those who see it.
pub fn members(store: &Store, who: &Caller, space_id: &str) -> Result<Vec<Member>> {
    let space = crate::service::spaces::visible(store, who, space_id)?;
    let dir = Directory::load(store)?;
    let now = Utc::now();
    let mut out: Vec<Member> = Vec::new();
    for g in &space.grants {
        let ids: Vec<&str> = match &g.principal {
            Principal::User(id) => vec![id.as_str()],
            Principal::Group(gid) => dir
                .groups
                .iter()
                .filter(|x| &x.id == gid)
                .flat_map(|x| x.members.iter().map(String::as_str))
                .collect(),
            Principal::Everyone => Vec::new(),
        };
        for id in ids {
            let Some(u) = dir.user(id) else { continue };
            if !dir.subject(u).is_active(now) {
                continue;
            }
            match out.iter_mut().find(|m| m.id == id) {
                Some(m) => m.role = m.role.max(g.role),
                None => out.push(Member {
                    id: u.id.clone(),
                    username: u.username.clone(),
                    display_name: u.display_name.clone(),
                    role: g.role,
                }),
            }
        }
    }
    out.sort_by(|a, b| b.role.cmp(&a.role).then(a.username.cmp(&b.username)));
    Ok(out)
}

/// What the caller may create at a place: documents (`true` when they may create anything),
/// and the record types (every one when they may create documents, else those their record
/// grants name).
pub fn creatable(
    store: &Store,
    who: &Caller,
    space: &crate::model::Space,
    category_id: Option<&str>,
) -> Result<(bool, Vec<String>)> {
    let subject = who.subject();
    if access::decide_at(store, &subject, Action::Create, space, category_id)? == Decision::Allow {
        let all = records::schemas().types().map(|t| t.kind.clone()).collect();
        return Ok((true, all));
    }
    if access::decide_at(store, &subject, Action::Read, space, category_id)? != Decision::Allow {
        return Ok((false, Vec::new()));
    }
    Ok((
        false,
        access::record_types_at(store, &subject, space, category_id)?,
    ))
}

/// Whether the caller may create documents anywhere (a space root or a category): what the
/// browser asks before offering 新建文档 and 上传. External guests never may (a record grant
/// is not a right to write documents).
pub fn may_create_somewhere(store: &Store, who: &Caller) -> Result<bool> {
    let subject = who.subject();
    let now = Utc::now();
    if subject.is_effective_admin(now) {
        return Ok(true);
    }
    if !subject.is_active(now) || subject.kind == crate::domain::permission::AccountKind::External {
        return Ok(false);
    }
    let catalog = store.catalog()?;
    for space in catalog.spaces.values() {
        if access::decide_at(store, &subject, Action::Create, space, None)? == Decision::Allow {
            return Ok(true);
        }
    }
    for c in catalog.categories.values() {
        let Some(space) = catalog.spaces.get(&c.space_id) else {
            continue;
        };
        if access::decide_at(store, &subject, Action::Create, space, Some(&c.id))?
            == Decision::Allow
        {
            return Ok(true);
        }
    }
    Ok(false)
}
