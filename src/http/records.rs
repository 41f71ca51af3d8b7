//! Records, action items, templates over HTTP: the record types (the JSON Schemas in
//! `schemas/`, for the forms), record lists by field, 我的待办 and ticking an item, templates,
//! the people picker of the forms and a project space's members. The work and every check is
//! in `service::records`, `service::actions` and `service::templates`; handlers parse, flush
//! and shape.

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    routing::{get, patch},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    domain::permission::Role,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
    model::{DocStatus, ItemSource, Template},
    service::{
        actions::{self, Assignee, ItemView, Status},
        documents::user_names,
        records::{self, RecordFilter, Sort},
        templates::{self, NewTemplate},
    },
};

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(
    record_types,
    list_records,
    action_items,
    tick,
    list_templates,
    read_template,
    create_template,
    delete_template,
    people,
    members
))]
pub struct ApiDoc;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/record-types", get(record_types))
        .route("/records", get(list_records))
        .route("/action-items", get(action_items))
        .route("/action-items/{id}", patch(tick))
        .route("/templates", get(list_templates).post(create_template))
        .route(
            "/templates/{id}",
            get(read_template).delete(delete_template),
        )
        .route("/people", get(people))
        .route("/spaces/{id}/members", get(members))
}

/// One record type.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordTypeView {
    /// The file stem, e.g. `meeting-minutes`.
    #[serde(rename = "type")]
    kind: String,
    /// Its Chinese name (the schema's `title`, e.g. 会议纪要).
    name: String,
    /// The JSON Schema (draft 2020-12); enum values carry Chinese labels in `x-enum-titles`,
    /// objects their field order in `x-order`, account fields `x-people`, long texts `x-long`.
    #[schema(value_type = Object)]
    schema: Value,
}

/// The record types, by type name
#[utoipa::path(
    get,
    path = "/record-types",
    tag = "records",
    operation_id = "record_types",
    responses((status = 200, body = Vec<RecordTypeView>)),
)]
async fn record_types(_who: CurrentUser) -> Result<Json<Vec<RecordTypeView>>> {
    Ok(Json(
        crate::records::schemas()
            .types()
            .map(|t| RecordTypeView {
                kind: t.kind.clone(),
                name: t.title.clone(),
                schema: t.schema.clone(),
            })
            .collect(),
    ))
}

/// Filters of a record list (`field.NAME=VALUE` filters by a top-level field).
#[derive(Deserialize, IntoParams)]
#[allow(dead_code)]
struct RecordQuery {
    /// Only this space.
    space_id: Option<String>,
    /// Only this record type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// `recent` (default), `title` or `field.NAME`.
    sort: Option<String>,
    /// `asc` or `desc` (default: recent first; otherwise ascending).
    order: Option<String>,
    /// At most this many (1 to 500; default: all).
    limit: Option<usize>,
    /// Skip this many first.
    offset: Option<usize>,
}

/// A record in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordItem {
    /// Document id.
    id: String,
    /// Title.
    title: String,
    /// The space.
    space_id: String,
    /// The category.
    category_id: Option<String>,
    /// The record type.
    record_type: String,
    /// Its Chinese name.
    record_name: String,
    /// The fields of the version shown.
    #[schema(value_type = Object)]
    fields: Value,
    /// The version shown (the head for editors, else the published one).
    version: u64,
    /// Where the head stands.
    status: DocStatus,
    /// Time of the version.
    updated_at: DateTime<Utc>,
    /// Its author's name.
    author_name: String,
}

/// Records.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordList {
    /// How many match (`items` may be one page of them).
    total: usize,
    /// The records.
    items: Vec<RecordItem>,
}

/// Most field filters in one list request.
const MAX_FIELD_FILTERS: usize = 20;

/// Records the caller may read, by type and top-level field values (?field.status=open)
#[utoipa::path(
    get,
    path = "/records",
    tag = "records",
    operation_id = "list_records",
    params(RecordQuery),
    responses((status = 200, body = RecordList)),
    extensions(("x-error-codes" = json!([Code::InvalidInput, Code::NotFound, Code::ServerBusy]))),
)]
async fn list_records(
    State(state): State<AppState>,
    who: CurrentUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<RecordList>> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let mut f = RecordFilter {
        space_id: None,
        record_type: None,
        fields: Vec::new(),
        sort: Sort::Recent,
        descending: false,
    };
    let mut order = None;
    let (mut limit, mut offset) = (usize::MAX, 0usize);
    let number = |k: &str, v: &str, max: usize| -> Result<usize> {
        v.parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                Error::invalid(k, format!("a number from 0 to {max}"))
                    .because(Reason::OutOfRange)
                    .with("min", 0)
                    .with("max", max)
            })
    };
    for (k, v) in pairs {
        match k.as_str() {
            "space_id" => f.space_id = Some(v),
            "type" => f.record_type = Some(v),
            "sort" => {
                f.sort = match v.as_str() {
                    "recent" => Sort::Recent,
                    "title" => Sort::Title,
                    s if s.starts_with("field.") && s.len() > 6 => Sort::Field(s[6..].to_owned()),
                    _ => {
                        return Err(Error::invalid("sort", "recent, title or field.NAME")
                            .because(Reason::NotOneOf)
                            .with("allowed", ["recent", "title", "field.NAME"]));
                    }
                }
            }
            "order" => order = Some(v),
            "limit" => limit = number("limit", &v, 500)?.max(1),
            "offset" => offset = number("offset", &v, 1_000_000)?,
            k if k.starts_with("field.") && k.len() > 6 => {
                if f.fields.len() >= MAX_FIELD_FILTERS {
                    return Err(Error::invalid("field", "at most 20 field filters")
                        .because(Reason::TooMany)
                        .with("limit", MAX_FIELD_FILTERS));
                }
                f.fields.push((k[6..].to_owned(), v));
            }
            other => {
                return Err(Error::invalid(other, "unknown parameter").because(Reason::NoSuch));
            }
        }
    }
    f.descending = match order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(Error::invalid("order", "asc or desc")
                .because(Reason::NotOneOf)
                .with("allowed", ["asc", "desc"]));
        }
    };
    if let Some(s) = &f.space_id {
        check_id(s, "space")?;
    }
    let (st, caller) = (state.clone(), who.clone());
    let items = state
        .cpu
        .run(move || {
            let list = records::list(&st.store, &caller, &f)?;
            Ok(list
                .into_iter()
                .map(|(d, fields)| {
                    let kind = d.record_type.clone().unwrap_or_default();
                    let record_name = crate::records::schemas()
                        .get(&kind)
                        .map(|t| t.title.clone())
                        .unwrap_or_default();
                    RecordItem {
                        author_name: user_names(&st.store, &d.updated_by).1,
                        id: d.id,
                        title: d.title,
                        space_id: d.space_id,
                        category_id: d.category_id,
                        record_type: kind,
                        record_name,
                        fields,
                        version: d.version,
                        status: d.status,
                        updated_at: d.updated_at,
                    }
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let total = items.len();
    Ok(Json(RecordList {
        total,
        items: items.into_iter().skip(offset).take(limit).collect(),
    }))
}

/// Which action items.
#[derive(Deserialize, IntoParams)]
struct ItemsQuery {
    /// `me` (default), `all` (everyone's the caller may see) or a login.
    assignee: Option<String>,
    /// `open` (default), `done` or `all`.
    status: Option<String>,
    /// Only this space.
    space_id: Option<String>,
}

/// One action item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItem {
    /// Item id (document id, a dash, 16 hex digits).
    id: String,
    /// The document or record that holds it.
    doc_id: String,
    /// Its title.
    doc_title: String,
    /// Its space.
    space_id: String,
    /// The task.
    text: String,
    /// The owner's login, when the owner is an account.
    assignee: Option<String>,
    /// The owner's name (as written when not an account).
    assignee_name: String,
    /// Due date.
    due: Option<NaiveDate>,
    /// Done.
    done: bool,
    /// Not done and past its due date.
    overdue: bool,
    /// A record's row or a Markdown task line.
    source: ItemSource,
}

impl From<ItemView> for ActionItem {
    fn from(v: ItemView) -> Self {
        let (assignee, assignee_name) = match v.assignee {
            Some((login, name)) => (Some(login), name),
            None => (None, v.item.owner.clone()),
        };
        ActionItem {
            id: v.item.id,
            doc_id: v.doc_id,
            doc_title: v.doc_title,
            space_id: v.space_id,
            text: v.item.text,
            assignee,
            assignee_name,
            due: v.item.due,
            done: v.item.done,
            overdue: v.overdue,
            source: v.item.source,
        }
    }
}

/// Action items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItems {
    /// Overdue first, then by due date, undated last.
    items: Vec<ActionItem>,
}

/// Action items (我的待办 by default): from records and Markdown task lines
#[utoipa::path(
    get,
    path = "/action-items",
    tag = "records",
    operation_id = "action_items",
    params(ItemsQuery),
    responses((status = 200, body = ActionItems)),
    extensions(("x-error-codes" = json!([Code::InvalidInput, Code::NotFound, Code::ServerBusy]))),
)]
async fn action_items(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> Result<Json<ActionItems>> {
    let assignee = match q.assignee.as_deref().unwrap_or("me") {
        "me" => Assignee::Me,
        "all" => Assignee::All,
        login => Assignee::Login(login.to_owned()),
    };
    let status = match q.status.as_deref().unwrap_or("open") {
        "open" => Status::Open,
        "done" => Status::Done,
        "all" => Status::All,
        _ => {
            return Err(Error::invalid("status", "open, done or all")
                .because(Reason::NotOneOf)
                .with("allowed", ["open", "done", "all"]));
        }
    };
    if let Some(s) = &q.space_id {
        check_id(s, "space")?;
    }
    let now = state.clock.now();
    let (st, caller) = (state.clone(), who.clone());
    let (items, sent) = state
        .cpu
        .run(move || {
            let sent = actions::remind_due(&st.store, &st.actions_reminded, now)?;
            let items = actions::list(
                &st.store,
                &caller,
                &assignee,
                status,
                q.space_id.as_deref(),
                now,
            )?;
            Ok((items, sent))
        })
        .await?;
    if sent > 0 {
        state.store.flush().await?;
    }
    Ok(Json(ActionItems {
        items: items.into_iter().map(ActionItem::from).collect(),
    }))
}

/// Done or not.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TickActionItem)]
struct TickRequest {
    /// Done (true) or open again (false).
    done: bool,
}

/// Mark an action item done (or open): a new version of the document or record holding it
#[utoipa::path(
    patch,
    path = "/action-items/{id}",
    tag = "records",
    operation_id = "tick_action_item",
    params(("id" = String, Path, description = "Action item id")),
    request_body = TickRequest,
    responses((status = 200, body = ActionItem)),
    extensions(("x-error-codes" = json!([Code::Forbidden, Code::EditConflict, Code::ServerBusy]))),
)]
async fn tick(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<TickRequest>,
) -> Result<Json<ActionItem>> {
    if id.len() != 49 {
        return Err(Error::NotFound("action item"));
    }
    let (st, caller) = (state.clone(), who.clone());
    let v = state
        .cpu
        .run(move || actions::set_done(&st.store, &caller, &id, req.done))
        .await?;
    state.store.flush().await?;
    state.notify_indexer();
    Ok(Json(v.into()))
}

/// Templates of a space.
#[derive(Deserialize, IntoParams)]
struct TemplatesQuery {
    /// The space the new document would go to (its templates first).
    space_id: Option<String>,
}

/// A template in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSummary {
    /// Id (`builtin-…` for built-in ones).
    id: String,
    /// Name.
    name: String,
    /// `document` or `record`.
    kind: &'static str,
    /// A record template's type.
    #[serde(skip_serializing_if = "Option::is_none")]
    record_type: Option<String>,
    /// A space template's space.
    #[serde(skip_serializing_if = "Option::is_none")]
    space_id: Option<String>,
    /// Built in (cannot be removed).
    builtin: bool,
}

impl From<&Template> for TemplateSummary {
    fn from(t: &Template) -> Self {
        TemplateSummary {
            id: t.id.clone(),
            name: t.name.clone(),
            kind: if t.record_type.is_some() {
                "record"
            } else {
                "document"
            },
            record_type: t.record_type.clone(),
            space_id: t.space_id.clone(),
            builtin: templates::is_builtin(t),
        }
    }
}

/// The templates offered: the space's own, then global, then built-in ones
#[utoipa::path(
    get,
    path = "/templates",
    tag = "records",
    operation_id = "list_templates",
    params(TemplatesQuery),
    responses((status = 200, body = Vec<TemplateSummary>)),
    extensions(("x-error-codes" = json!([Code::NotFound]))),
)]
async fn list_templates(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<TemplatesQuery>,
) -> Result<Json<Vec<TemplateSummary>>> {
    let list = templates::list(&state.store, &who, q.space_id.as_deref())?;
    Ok(Json(list.iter().map(TemplateSummary::from).collect()))
}

/// How to read a template.
#[derive(Deserialize, IntoParams)]
struct TemplateQuery {
    /// Resolve the variables for this space (default: the template's own).
    space_id: Option<String>,
    /// `true`: the variables as written.
    #[serde(default)]
    raw: bool,
}

/// A template whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// The summary.
    #[serde(flatten)]
    summary: TemplateSummary,
    /// Title of new documents.
    title: String,
    /// Body (document templates).
    body: String,
    /// Fields (record templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    fields: Option<Value>,
}

fn template_view(t: Template) -> TemplateView {
    TemplateView {
        summary: TemplateSummary::from(&t),
        title: t.title,
        body: t.body,
        fields: t.fields,
    }
}

/// A template with its variables resolved for the caller (raw=true: as written)
#[utoipa::path(
    get,
    path = "/templates/{id}",
    tag = "records",
    operation_id = "read_template",
    params(("id" = String, Path, description = "Template id"), TemplateQuery),
    responses((status = 200, body = TemplateView)),
)]
async fn read_template(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> Result<Json<TemplateView>> {
    let t = if q.raw {
        templates::get(&state.store, &who, &id)?
    } else {
        templates::resolved(
            &state.store,
            &who,
            &id,
            q.space_id.as_deref(),
            state.clock.now(),
        )?
    };
    Ok(Json(template_view(t)))
}

/// A new template.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTemplate)]
struct TemplateRequest {
    /// Name in the "New" menu.
    name: String,
    /// The space (its managers); absent: global (administrators).
    #[serde(default)]
    space_id: Option<String>,
    /// Title of new documents (variables allowed).
    #[serde(default)]
    title: Option<String>,
    /// Body of a document template.
    #[serde(default)]
    body: Option<String>,
    /// Record type of a record template.
    #[serde(default)]
    record_type: Option<String>,
    /// Fields of a record template (variables allowed in strings).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    fields: Option<Value>,
}

/// Add a template (space managers for a space, administrators for global ones)
#[utoipa::path(
    post,
    path = "/templates",
    tag = "records",
    operation_id = "create_template",
    request_body = TemplateRequest,
    responses((status = 200, body = TemplateView)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::Forbidden, Code::InvalidInput, Code::PayloadTooLarge]))),
)]
async fn create_template(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(req): ApiJson<TemplateRequest>,
) -> Result<Json<TemplateView>> {
    let record = match (req.record_type, req.fields) {
        (Some(t), Some(f)) => Some((t, f)),
        (Some(t), None) => Some((t, Value::Object(Default::default()))),
        (None, Some(_)) => {
            return Err(Error::invalid("record_type", "fields need a record type")
                .because(Reason::Required));
        }
        (None, None) => None,
    };
    let t = templates::create(
        &state.store,
        &who,
        NewTemplate {
            name: req.name,
            space_id: req.space_id,
            title: req.title.unwrap_or_default(),
            body: req.body,
            record,
        },
    )?;
    state.store.flush().await?;
    Ok(Json(template_view(t)))
}

/// The answer to removing something.
#[derive(Debug, Serialize, ToSchema)]
pub struct Removed {
    /// Always true.
    removed: bool,
}

/// Remove a template (as for adding; built-in ones cannot be removed)
#[utoipa::path(
    delete,
    path = "/templates/{id}",
    tag = "records",
    operation_id = "delete_template",
    params(("id" = String, Path, description = "Template id")),
    responses((status = 200, body = Removed)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn delete_template(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Removed>> {
    templates::delete(&state.store, &who, &id)?;
    state.store.flush().await?;
    Ok(Json(Removed { removed: true }))
}

/// Whom to look for.
#[derive(Deserialize, IntoParams)]
struct PeopleQuery {
    /// Login, name, full pinyin or initials.
    #[serde(default)]
    q: String,
    /// The space whose readers may be picked.
    space_id: String,
}

/// A person.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    /// User id.
    id: String,
    /// Login (what a people field stores).
    username: String,
    /// Name.
    display_name: String,
}

/// People.
#[derive(Debug, Serialize, ToSchema)]
pub struct People {
    /// At most ten.
    items: Vec<PersonView>,
}

/// Accounts who may read a space, for the people fields of record forms
#[utoipa::path(
    get,
    path = "/people",
    tag = "records",
    operation_id = "people",
    params(PeopleQuery),
    responses((status = 200, body = People)),
    extensions(("x-error-codes" = json!([Code::NotFound, Code::ServerBusy]))),
)]
async fn people(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<PeopleQuery>,
) -> Result<Json<People>> {
    if q.q.chars().count() > 100 {
        return Err(Error::invalid("q", "at most 100 characters")
            .because(Reason::TooLong)
            .with("limit", 100));
    }
    let (st, caller) = (state.clone(), who.clone());
    let list = state
        .cpu
        .run(move || records::people(&st.store, &caller, &q.space_id, &q.q))
        .await?;
    Ok(Json(People {
        items: list
            .into_iter()
            .map(|p| PersonView {
                id: p.id,
                username: p.username,
                display_name: p.display_name,
            })
            .collect(),
    }))
}

/// A member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// User id.
    id: String,
    /// Login.
    username: String,
    /// Name.
    display_name: String,
    /// The highest role the space's grants give them.
    role: Role,
}

/// Members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Members {
    /// Highest role first.
    items: Vec<MemberView>,
}

/// The members of a space (named in its grants, directly or by department)
#[utoipa::path(
    get,
    path = "/spaces/{id}/members",
    tag = "records",
    operation_id = "space_members",
    params(("id" = String, Path, description = "Space id")),
    responses((status = 200, body = Members)),
)]
async fn members(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Members>> {
    let list = records::members(&state.store, &who, &id)?;
    Ok(Json(Members {
        items: list
            .into_iter()
            .map(|m| MemberView {
                id: m.id,
                username: m.username,
                display_name: m.display_name,
                role: m.role,
            })
            .collect(),
    }))
}
