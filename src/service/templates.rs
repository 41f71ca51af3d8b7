//! Templates a new document or record starts from: built-in ones for every record type and for
//! common documents (周报, 项目总结, 操作手册, 故障复盘), space templates (space managers) and
//! global ones (administrators). Variables `{date} {time} {author} {department} {space}
//! {week}` are resolved for the caller at creation, in China Standard Time (UTC+8).

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde_json::{Value, json};

use crate::{
    domain::permission::Action,
    error::{Error, Reason, Result},
    model::{Space, Template, new_id},
    records,
    service::{
        Caller, access,
        documents::{Actor, tx_audit},
    },
    store::Store,
};

/// Longest template name, in characters.
const MAX_NAME_CHARS: usize = 100;
/// Largest template (body or fields as JSON), in bytes.
const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
/// Templates per space (and global ones).
const MAX_TEMPLATES: usize = 200;

/// Builds a built-in record template's fields.
type FieldsFn = fn() -> Value;

/// A built-in template: id, name, title, and either a body or a record type with fields.
struct Builtin {
    id: &'static str,
    name: &'static str,
    title: &'static str,
    body: &'static str,
    record: Option<(&'static str, FieldsFn)>,
}

const WEEKLY: &str =
    "## 本周完成\n\n- \n\n## 下周计划\n\n- [ ] \n\n## 问题与风险\n\n- \n\n## 需要的支持\n\n- \n";
const SUMMARY: &str = "## 项目概况\n\n- 项目：{space}\n- 周期：\n- 负责人：{author}\n\n## 目标与完成情况\n\n| 目标 | 完成情况 | 说明 |\n|---|---|---|\n|  |  |  |\n\n## 做得好的\n\n- \n\n## 待改进\n\n- \n\n## 后续行动\n\n- [ ] \n";
const MANUAL: &str = "## 适用范围\n\n\n## 前置条件\n\n- \n\n## 操作步骤\n\n1. \n2. \n3. \n\n## 验证方法\n\n\n## 常见问题\n\n**问：** \n\n**答：** \n\n## 回滚方法\n\n";
const POSTMORTEM: &str = "## 概要\n\n- 发生时间：{date} {time}\n- 影响范围：\n- 严重程度：\n- 记录人：{author}（{department}）\n\n## 时间线\n\n| 时间 | 事件 |\n|---|---|\n| {time} |  |\n\n## 根本原因\n\n\n## 处理过程\n\n\n## 改进措施\n\n- [ ] \n\n## 经验教训\n\n";

fn minutes() -> Value {
    json!({"title": "{space} 会议 {date}", "date": "{date}", "time": "{time}", "host": "{author}",
           "attendees": ["{author}"], "agenda": [], "decisions": [], "action_items": []})
}
fn requirement() -> Value {
    json!({"title": "", "party": "internal", "requester": "{author}", "department": "{department}",
           "submitted": "{date}", "priority": "P2", "description": "", "status": "new"})
}
fn tracker() -> Value {
    json!({"project": "{space}", "period": "{week}", "tasks": []})
}
fn feedback() -> Value {
    json!({"title": "", "type": "suggestion", "submitter": "{author}", "received": "{date}",
           "content": "", "status": "new"})
}
fn sync() -> Value {
    json!({"item": "", "initiator": "{department}", "participants": [], "key_info": "",
           "updated": "{date}", "owner": "{author}"})
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        id: "builtin-meeting-minutes",
        name: "会议纪要",
        title: "",
        body: "",
        record: Some(("meeting-minutes", minutes)),
    },
    Builtin {
        id: "builtin-requirement",
        name: "需求登记表",
        title: "",
        body: "",
        record: Some(("requirement", requirement)),
    },
    Builtin {
        id: "builtin-progress-tracker",
        name: "项目进度跟踪表",
        title: "",
        body: "",
        record: Some(("progress-tracker", tracker)),
    },
    Builtin {
        id: "builtin-feedback",
        name: "员工反馈处理记录表",
        title: "",
        body: "",
        record: Some(("feedback", feedback)),
    },
    Builtin {
        id: "builtin-cross-department-sync",
        name: "跨部门协作信息同步表",
        title: "",
        body: "",
        record: Some(("cross-department-sync", sync)),
    },
    Builtin {
        id: "builtin-weekly",
        name: "周报",
        title: "{author} 周报 {week}",
        body: WEEKLY,
        record: None,
    },
    Builtin {
        id: "builtin-project-summary",
        name: "项目总结",
        title: "{space} 项目总结",
        body: SUMMARY,
        record: None,
    },
    Builtin {
        id: "builtin-manual",
        name: "操作手册",
        title: "操作手册：",
        body: MANUAL,
        record: None,
    },
    Builtin {
        id: "builtin-postmortem",
        name: "故障复盘",
        title: "{date} 故障复盘",
        body: POSTMORTEM,
        record: None,
    },
];

fn builtin(b: &Builtin) -> Template {
    Template {
        id: b.id.to_owned(),
        name: b.name.to_owned(),
        space_id: None,
        record_type: b.record.map(|(t, _)| t.to_owned()),
        title: b.title.to_owned(),
        body: b.body.to_owned(),
        fields: b.record.map(|(_, f)| f()),
        created_by: String::new(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    }
}

/// Whether a template is built in.
pub fn is_builtin(t: &Template) -> bool {
    t.id.starts_with("builtin-")
}

/// The values of the variables for a caller in a space at `now`.
pub struct Vars {
    date: String,
    time: String,
    author: String,
    department: String,
    space: String,
    week: String,
}

impl Vars {
    /// The variables for `who` creating in `space` at `now` (UTC+8).
    pub fn new(store: &Store, who: &Caller, space: Option<&Space>, now: DateTime<Utc>) -> Vars {
        let local = now.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
        let week = local.iso_week();
        let department = store
            .catalog()
            .ok()
            .and_then(|c| {
                c.groups
                    .iter()
                    .find(|g| who.groups.contains(&g.id))
                    .map(|g| g.name.clone())
            })
            .unwrap_or_default();
        Vars {
            date: local.format("%Y-%m-%d").to_string(),
            time: local.format("%H:%M").to_string(),
            author: who.user.display_name.clone(),
            department,
            space: space.map(|s| s.name.clone()).unwrap_or_default(),
            week: format!("{}-W{:02}", week.year(), week.week()),
        }
    }

    /// `text` with every variable replaced.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{date}", &self.date)
            .replace("{time}", &self.time)
            .replace("{author}", &self.author)
            .replace("{department}", &self.department)
            .replace("{space}", &self.space)
            .replace("{week}", &self.week)
    }

    /// Every string in `v` filled.
    pub fn fill_value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.fill(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.fill_value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.fill_value(x)))
                    .collect(),
            ),
            x => x.clone(),
        }
    }
}

/// The templates offered in a space (or anywhere, without one): the space's own first, then
/// global ones, then the built-in ones. A space the caller does not see is 404.
pub fn list(store: &Store, who: &Caller, space_id: Option<&str>) -> Result<Vec<Template>> {
    if let Some(s) = space_id {
        crate::service::spaces::visible(store, who, s)?;
    }
    let mut own = Vec::new();
    let mut global = Vec::new();
    for t in store.templates.values() {
        let t = t?;
        match &t.space_id {
            None => global.push(t),
            Some(s) if Some(s.as_str()) == space_id => own.push(t),
            Some(_) => {}
        }
    }
    own.sort_by(|a, b| a.name.cmp(&b.name));
    global.sort_by(|a, b| a.name.cmp(&b.name));
    own.extend(global);
    own.extend(BUILTINS.iter().map(builtin));
    Ok(own)
}

/// One template the caller may use: built-in and global ones anyone, a space's those who see
/// the space; others are 404.
pub fn get(store: &Store, who: &Caller, id: &str) -> Result<Template> {
    if let Some(b) = BUILTINS.iter().find(|b| b.id == id) {
        return Ok(builtin(b));
    }
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("template"));
    }
    let t = store
        .templates
        .get(id)?
        .ok_or(Error::NotFound("template"))?;
    if let Some(s) = &t.space_id {
        crate::service::spaces::visible(store, who, s).map_err(|_| Error::NotFound("template"))?;
    }
    Ok(t)
}

/// A template with its variables filled for the caller creating in `space_id`.
pub fn resolved(
    store: &Store,
    who: &Caller,
    id: &str,
    space_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Template> {
    let mut t = get(store, who, id)?;
    let space = match space_id.or(t.space_id.as_deref()) {
        Some(s) => Some(crate::service::spaces::visible(store, who, s)?),
        None => None,
    };
    let vars = Vars::new(store, who, space.as_ref(), now);
    t.title = vars.fill(&t.title);
    t.body = vars.fill(&t.body);
    t.fields = t.fields.as_ref().map(|f| vars.fill_value(f));
    Ok(t)
}

/// What a request to create a document says, before and after a template fills it in.
pub struct Draft {
    /// Title given (a template's fills an empty one).
    pub title: Option<String>,
    /// Body given (a document template's fills an empty one).
    pub body: String,
    /// Record type (a record template sets its own).
    pub record_type: Option<String>,
    /// Fields given: they replace the record template's top-level fields.
    pub fields: Option<Value>,
}

/// A create request filled in from a template, its variables resolved for the caller creating
/// in `space_id`: an empty title takes the template's, a record template gives its type and
/// fields (the request's top-level fields win), a document template an empty body.
pub fn apply(
    store: &Store,
    who: &Caller,
    template_id: &str,
    space_id: &str,
    mut d: Draft,
    now: DateTime<Utc>,
) -> Result<Draft> {
    let t = resolved(store, who, template_id, Some(space_id), now)?;
    if d.title.as_deref().is_none_or(|s| s.trim().is_empty()) && !t.title.is_empty() {
        d.title = Some(t.title);
    }
    match (t.record_type, t.fields) {
        (Some(kind), Some(mut fields)) => {
            if let (Some(Value::Object(mine)), Some(base)) =
                (d.fields.take(), fields.as_object_mut())
            {
                base.extend(mine);
            }
            d.record_type = Some(kind);
            d.fields = Some(fields);
        }
        _ if d.body.is_empty() => d.body = t.body,
        _ => {}
    }
    Ok(d)
}

/// What a new template holds.
pub struct NewTemplate {
    /// Name.
    pub name: String,
    /// Its space (None: global).
    pub space_id: Option<String>,
    /// Title of new documents.
    pub title: String,
    /// Body (document templates).
    pub body: Option<String>,
    /// Record type and fields (record templates).
    pub record: Option<(String, Value)>,
}

/// Who may add or remove templates there: a space's managers, administrators for global ones.
fn require_manage(store: &Store, who: &Caller, space_id: Option<&str>) -> Result<()> {
    match space_id {
        Some(s) => {
            let space = crate::service::spaces::visible(store, who, s)?;
            access::require_at(
                store,
                &who.subject(),
                Action::ManageGrants,
                &space,
                None,
                "space",
            )
        }
        None => who.require_admin(),
    }
}

/// Adds a template (space managers for their space, administrators for global ones).
pub fn create(store: &Store, who: &Caller, new: NewTemplate) -> Result<Template> {
    require_manage(store, who, new.space_id.as_deref())?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "a template needs a name").because(Reason::Required));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            format!("at most {MAX_NAME_CHARS} characters, no control characters"),
        )
        .because(Reason::TooLong)
        .with("limit", MAX_NAME_CHARS));
    }
    let (record_type, fields, body) = match (new.record, new.body) {
        (Some(_), Some(_)) => {
            return Err(
                Error::invalid("body", "a template has a body or record fields, not both")
                    .because(Reason::BadValue),
            );
        }
        (Some((t, f)), None) => {
            records::schemas().get(&t)?;
            if !f.is_object() {
                return Err(
                    Error::invalid("fields", "fields must be an object").because(Reason::BadValue)
                );
            }
            (Some(t), Some(f), String::new())
        }
        (None, Some(b)) => (None, None, b),
        (None, None) => (None, None, String::new()),
    };
    let size = body.len() + fields.as_ref().map_or(0, |f| f.to_string().len());
    if size > MAX_TEMPLATE_BYTES {
        return Err(Error::PayloadTooLarge {
            limit: MAX_TEMPLATE_BYTES,
        });
    }
    if body.contains('\0') || new.title.chars().any(char::is_control) {
        return Err(
            Error::invalid("body", "no NUL or control characters").because(Reason::BadCharacters)
        );
    }
    let count = store
        .templates
        .values()
        .filter(|t| t.as_ref().is_ok_and(|t| t.space_id == new.space_id))
        .count();
    if count >= MAX_TEMPLATES {
        return Err(
            Error::invalid("space_id", format!("at most {MAX_TEMPLATES} templates"))
                .because(Reason::TooMany)
                .with("limit", MAX_TEMPLATES)
                .unprocessable(),
        );
    }
    let t = Template {
        id: new_id(),
        name: name.to_owned(),
        space_id: new.space_id,
        record_type,
        title: new.title.trim().to_owned(),
        body,
        fields,
        created_by: who.id().to_owned(),
        created_at: Utc::now(),
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "template.create",
        format!("template:{}", t.id),
        "ok",
        Some(json!({"name": t.name, "space_id": t.space_id})),
    );
    store.transact(|tx| {
        tx.templates.put(&t.id, &t)?;
        tx_audit(tx, &ev)
    })?;
    Ok(t)
}

/// Removes a template (as [`create`]); built-in ones cannot be removed (403).
pub fn delete(store: &Store, who: &Caller, id: &str) -> Result<()> {
    let t = get(store, who, id)?;
    if is_builtin(&t) {
        return Err(Error::Forbidden(
            "built-in templates cannot be removed".into(),
        ));
    }
    require_manage(store, who, t.space_id.as_deref())?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "template.delete",
        format!("template:{id}"),
        "ok",
        Some(json!({"name": t.name})),
    );
    store.transact(|tx| {
        tx.templates.remove(id)?;
        tx_audit(tx, &ev)
    })?;
    Ok(())
}
