//! Record types: one JSON Schema per type in `schemas/` (embedded in the binary), compiled at
//! start-up so a broken schema stops the server instead of failing later. Pure functions over
//! them: validation (every offending field by JSON Pointer, in Chinese), the Markdown a record
//! is read and searched as, the stored body that carries the fields with each version, field
//! by field differences, and the action items a record holds.
//!
//! A record's version is stored like any document's, as a body: the Markdown rendered from
//! the fields, then a fenced block `hanlin-record` holding `{"type", "fields"}` as pretty JSON
//! (one value a line, so the delta chain and line diffs stay small). [`split`] takes it apart;
//! readers, the renderer and the index see only the Markdown.

use std::{collections::BTreeMap, fmt::Write as _, sync::OnceLock};

use jsonschema::error::ValidationErrorKind;
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{Code, Error, Reason, Result};

#[derive(RustEmbed)]
#[folder = "schemas/"]
struct SchemaFiles;

/// One record type.
pub struct RecordType {
    /// Type name: the file name without `.schema.json` (e.g. `meeting-minutes`).
    pub kind: String,
    /// Human title (the schema's `title`, e.g. 会议纪要).
    pub title: String,
    /// The schema itself, each object with `properties` also carrying `x-order` (the order
    /// the file lists them in, which a JSON object does not keep).
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// Every record type, by name.
pub struct RecordSchemas {
    types: BTreeMap<String, RecordType>,
}

static SCHEMAS: OnceLock<RecordSchemas> = OnceLock::new();

/// Compiles the record types now (at start-up): a broken schema is an error here rather than a
/// panic at first use.
pub fn init() -> Result<()> {
    if SCHEMAS.get().is_none() {
        let _ = SCHEMAS.set(RecordSchemas::load()?);
    }
    Ok(())
}

/// The record types (compiled on first use; [`RecordSchemas::load`] at start-up makes a broken
/// schema stop the server before then).
pub fn schemas() -> &'static RecordSchemas {
    SCHEMAS.get_or_init(|| RecordSchemas::load().expect("embedded record schemas compile"))
}

/// The shape of a JSON text with its object keys in order (serde_json's map sorts them).
enum Shape {
    Obj(Vec<(String, Shape)>),
    Arr(Vec<Shape>),
    Leaf,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_unit<E>(self) -> std::result::Result<Shape, E> {
                Ok(Shape::Leaf)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Shape, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Shape::Arr(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Shape, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = a.next_entry::<String, Shape>()? {
                    v.push(e);
                }
                Ok(Shape::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// Adds `x-order` (the keys of `properties` as the file lists them) to every object of the
/// schema that has `properties`.
fn add_order(v: &mut Value, shape: &Shape) {
    match (v, shape) {
        (Value::Object(m), Shape::Obj(keys)) => {
            for (k, sub) in keys {
                if let Some(x) = m.get_mut(k) {
                    add_order(x, sub);
                }
            }
            if let Some((_, Shape::Obj(props))) = keys.iter().find(|(k, _)| k == "properties") {
                let order: Vec<Value> = props.iter().map(|(k, _)| json!(k)).collect();
                m.insert("x-order".into(), Value::Array(order));
            }
        }
        (Value::Array(a), Shape::Arr(s)) => {
            for (x, sub) in a.iter_mut().zip(s) {
                add_order(x, sub);
            }
        }
        _ => {}
    }
}

/// One offending field of a record: where (a JSON Pointer into the fields) and what is wrong,
/// in Chinese, for the form to show next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON Pointer into the fields (`/action_items/0/due`); empty for the whole record.
    pub path: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// One changed field between two versions of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// JSON Pointer into the fields.
    pub path: String,
    /// The field's Chinese name (`待办事项 第 2 项 · 截止日期`).
    pub label: String,
    /// The value before, as a reader sees it (empty when it was not there).
    pub before: String,
    /// The value after (empty when it was removed).
    pub after: String,
}

/// An action item a record holds (a row with a task, an owner and a status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordItem {
    /// JSON Pointer of the row (`/action_items/1`).
    pub path: String,
    /// The task.
    pub text: String,
    /// The owner as written (a login from the picker, or a name).
    pub owner: String,
    /// Due date (`YYYY-MM-DD`), if given.
    pub due: Option<String>,
    /// Done (status `done`).
    pub done: bool,
}

/// At most this many field errors are answered (the form shows them all; a hostile body with
/// thousands of bad rows gets the first ones).
const MAX_ERRORS: usize = 50;

impl RecordSchemas {
    /// Compiles every embedded schema; an unreadable or invalid one is an error naming its file.
    pub fn load() -> Result<Self> {
        let mut types = BTreeMap::new();
        for file in SchemaFiles::iter().filter(|f| f.ends_with(".schema.json")) {
            let name = file.as_ref();
            let kind = name.trim_end_matches(".schema.json").to_owned();
            let bytes = SchemaFiles::get(name)
                .ok_or_else(|| Error::internal(format!("schema {name} vanished")))?;
            let mut schema: Value = serde_json::from_slice(&bytes.data)
                .map_err(|e| Error::internal(format!("schemas/{name} is not JSON: {e}")))?;
            let shape: Shape = serde_json::from_slice(&bytes.data)
                .map_err(|e| Error::internal(format!("schemas/{name} is not JSON: {e}")))?;
            add_order(&mut schema, &shape);
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| {
                    Error::internal(format!("schemas/{name} is not a valid JSON Schema: {e}"))
                })?;
            let title = schema["title"].as_str().unwrap_or(&kind).to_owned();
            types.insert(
                kind.clone(),
                RecordType {
                    kind,
                    title,
                    schema,
                    validator,
                },
            );
        }
        Ok(RecordSchemas { types })
    }

    /// The record types, by name.
    pub fn types(&self) -> impl Iterator<Item = &RecordType> {
        self.types.values()
    }

    /// The type of this name; an unknown one is 422 `invalid_input` on `record_type`.
    pub fn get(&self, kind: &str) -> Result<&RecordType> {
        self.types.get(kind).ok_or_else(|| {
            Error::invalid("record_type", format!("unknown record type {kind}"))
                .because(Reason::NoSuch)
                .with("name", kind)
                .unprocessable()
        })
    }

    /// Checks a record's fields against its type's schema: 422 `invalid_record` with every
    /// offending field (at most [`MAX_ERRORS`]) in `errors`.
    pub fn validate(&self, kind: &str, fields: &Value) -> Result<()> {
        let t = self.get(kind)?;
        let errors = t.errors(fields);
        if errors.is_empty() {
            return Ok(());
        }
        let first = errors[0].clone();
        Err(Error::rule(
            Code::InvalidRecord,
            format!("{}：{}", t.label(&first.path), first.message),
        )
        .with("errors", errors))
    }
}

impl RecordType {
    /// Every offending field, in Chinese, at most [`MAX_ERRORS`].
    pub fn errors(&self, fields: &Value) -> Vec<FieldError> {
        if !fields.is_object() {
            return vec![FieldError {
                path: String::new(),
                message: "记录的字段应为一个对象".into(),
            }];
        }
        let mut out = Vec::new();
        for e in self.validator.iter_errors(fields) {
            let at = e.instance_path.to_string();
            match &e.kind {
                ValidationErrorKind::Required { property } => out.push(FieldError {
                    path: format!("{at}/{}", pointer_escape(property.as_str().unwrap_or(""))),
                    message: "必填".into(),
                }),
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for k in unexpected {
                        out.push(FieldError {
                            path: format!("{at}/{}", pointer_escape(k)),
                            message: "这个表单没有此字段".into(),
                        });
                    }
                }
                kind => out.push(FieldError {
                    message: self.message(&at, kind),
                    path: at,
                }),
            }
            if out.len() >= MAX_ERRORS {
                out.truncate(MAX_ERRORS);
                break;
            }
        }
        out
    }

    /// A Chinese message for one failed rule at `at`.
    fn message(&self, at: &str, kind: &ValidationErrorKind) -> String {
        let node = self.node(at);
        match kind {
            ValidationErrorKind::Format { format } if format == "date" => {
                "请填写有效日期，格式为 YYYY-MM-DD（如 2026-12-31）".into()
            }
            ValidationErrorKind::Format { format } => format!("格式不正确（应为 {format}）"),
            ValidationErrorKind::Pattern { .. } => {
                if node.and_then(|n| n.get("pattern")).and_then(Value::as_str)
                    == Some("^([01][0-9]|2[0-3]):[0-5][0-9]$")
                {
                    "请填写时间，格式为 HH:MM（如 14:30）".into()
                } else {
                    "格式不正确".into()
                }
            }
            ValidationErrorKind::Enum { options } => {
                let titles = node.and_then(|n| n.get("x-enum-titles"));
                let names: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|o| {
                        let raw = o.as_str().map_or_else(|| o.to_string(), str::to_owned);
                        titles
                            .and_then(|t| t.get(&raw))
                            .and_then(Value::as_str)
                            .map_or(raw, str::to_owned)
                    })
                    .collect();
                format!("请从以下选项中选择：{}", names.join("、"))
            }
            ValidationErrorKind::MinLength { limit: 1 } => "必填".into(),
            ValidationErrorKind::MinLength { limit } => format!("至少 {limit} 个字"),
            ValidationErrorKind::MaxLength { limit } => format!("最多 {limit} 个字"),
            ValidationErrorKind::Minimum { limit } => format!("不能小于 {limit}"),
            ValidationErrorKind::Maximum { limit } => format!("不能大于 {limit}"),
            ValidationErrorKind::MinItems { limit } => format!("至少填写 {limit} 项"),
            ValidationErrorKind::MaxItems { limit } => format!("最多 {limit} 项"),
            ValidationErrorKind::UniqueItems => "有重复的项".into(),
            ValidationErrorKind::Type { .. } => {
                let want = match node.and_then(|n| n.get("type")).and_then(Value::as_str) {
                    Some("string") => "文字",
                    Some("integer") => "整数",
                    Some("number") => "数字",
                    Some("array") => "列表",
                    Some("object") => "一组字段",
                    Some("boolean") => "是或否",
                    _ => "正确的类型",
                };
                format!("应填写{want}")
            }
            _ => "取值不符合要求".into(),
        }
    }

    /// The schema node describing the value at a JSON Pointer into the fields.
    fn node(&self, pointer: &str) -> Option<&Value> {
        let mut n = &self.schema;
        for part in pointer.split('/').skip(1) {
            if let Some(items) = n.get("items")
                && part.parse::<usize>().is_ok()
            {
                n = items;
            } else {
                n = n.get("properties")?.get(pointer_unescape(part).as_str())?;
            }
        }
        Some(n)
    }

    /// The Chinese name of the field at a JSON Pointer: `待办事项 第 2 项 · 截止日期`.
    pub fn label(&self, pointer: &str) -> String {
        let mut n = &self.schema;
        let mut parts: Vec<String> = Vec::new();
        for part in pointer.split('/').skip(1) {
            if let Some(items) = n.get("items")
                && let Ok(i) = part.parse::<usize>()
            {
                if let Some(last) = parts.last_mut() {
                    let _ = write!(last, " 第 {} 项", i + 1);
                }
                n = items;
                continue;
            }
            let key = pointer_unescape(part);
            match n.get("properties").and_then(|p| p.get(key.as_str())) {
                Some(sub) => {
                    parts.push(sub["title"].as_str().unwrap_or(&key).to_owned());
                    n = sub;
                }
                None => {
                    parts.push(key);
                    break;
                }
            }
        }
        if parts.is_empty() {
            self.title.clone()
        } else {
            parts.join(" · ")
        }
    }

    /// The top-level field names in form order.
    fn order(node: &Value) -> Vec<&str> {
        node["x-order"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// A value as a reader sees it: enum values by their Chinese title, accounts by name.
    fn show(node: &Value, v: &Value, name_of: &dyn Fn(&str) -> String) -> String {
        match v {
            Value::String(s) => {
                if let Some(t) = node
                    .get("x-enum-titles")
                    .and_then(|t| t.get(s))
                    .and_then(Value::as_str)
                {
                    t.to_owned()
                } else if node.get("x-people") == Some(&Value::Bool(true)) {
                    name_of(s)
                } else {
                    s.clone()
                }
            }
            Value::Bool(b) => if *b { "是" } else { "否" }.into(),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            Value::Array(a) => {
                let items = node.get("items").unwrap_or(&Value::Null);
                a.iter()
                    .map(|x| Self::show(items, x, name_of))
                    .collect::<Vec<_>>()
                    .join("、")
            }
            Value::Object(m) => {
                let order = Self::order(node);
                order
                    .iter()
                    .filter_map(|k| {
                        let x = m.get(*k)?;
                        let sub = &node["properties"][*k];
                        let shown = Self::show(sub, x, name_of);
                        (!shown.is_empty())
                            .then(|| format!("{}：{shown}", sub["title"].as_str().unwrap_or(k)))
                    })
                    .collect::<Vec<_>>()
                    .join("；")
            }
        }
    }

    /// The Markdown a record is read and searched as: the type's name, the short fields as a
    /// list, long texts and lists under their own headings, rows of objects as a table.
    pub fn render(&self, fields: &Value, name_of: &dyn Fn(&str) -> String) -> String {
        let mut out = format!("> {}\n\n", self.title);
        let mut short = String::new();
        let mut long = String::new();
        for key in Self::order(&self.schema) {
            let Some(v) = fields.get(key) else { continue };
            let node = &self.schema["properties"][key];
            let title = node["title"].as_str().unwrap_or(key);
            let is_long = node.get("x-long") == Some(&Value::Bool(true));
            match v {
                Value::Array(rows) if rows.is_empty() => {}
                Value::Array(rows) if node["items"]["type"] == "object" => {
                    let items = &node["items"];
                    let cols: Vec<&str> = Self::order(items)
                        .into_iter()
                        .filter(|c| rows.iter().any(|r| r.get(*c).is_some()))
                        .collect();
                    let _ = writeln!(long, "## {title}\n");
                    let heads: Vec<&str> = cols
                        .iter()
                        .map(|c| items["properties"][*c]["title"].as_str().unwrap_or(c))
                        .collect();
                    let _ = writeln!(long, "| {} |", heads.join(" | "));
                    let _ = writeln!(long, "|{}", "---|".repeat(cols.len()));
                    for r in rows {
                        let cells: Vec<String> = cols
                            .iter()
                            .map(|c| {
                                let sub = &items["properties"][*c];
                                let shown = r
                                    .get(*c)
                                    .map(|x| Self::show(sub, x, name_of))
                                    .unwrap_or_default();
                                let shown = if *c == "percent" && !shown.is_empty() {
                                    format!("{shown}%")
                                } else {
                                    shown
                                };
                                table_cell(&shown)
                            })
                            .collect();
                        let _ = writeln!(long, "| {} |", cells.join(" | "));
                    }
                    long.push('\n');
                }
                Value::Array(rows) => {
                    let items = node.get("items").unwrap_or(&Value::Null);
                    let _ = writeln!(long, "## {title}\n");
                    for r in rows {
                        let _ = writeln!(long, "- {}", one_line(&Self::show(items, r, name_of)));
                    }
                    long.push('\n');
                }
                Value::String(s) if is_long => {
                    if !s.trim().is_empty() {
                        let _ = writeln!(long, "## {title}\n\n{}\n", s.trim_end());
                    }
                }
                v => {
                    let shown = Self::show(node, v, name_of);
                    if !shown.is_empty() {
                        let _ = writeln!(short, "- **{title}**：{}", one_line(&shown));
                    }
                }
            }
        }
        if !short.is_empty() {
            out.push_str(&short);
            out.push('\n');
        }
        out.push_str(&long);
        out.trim_end().to_owned() + "\n"
    }

    /// The title a record gets when none is given: its title, item or project field, else the
    /// type's name.
    pub fn title_of(&self, fields: &Value) -> String {
        let s = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        if let Some(t) = s("title").or_else(|| s("item")) {
            return one_line(t);
        }
        if let Some(p) = s("project") {
            return match s("period") {
                Some(period) => format!("{} {}（{}）", one_line(p), self.title, one_line(period)),
                None => format!("{} {}", one_line(p), self.title),
            };
        }
        match s("date") {
            Some(d) => format!("{} {d}", self.title),
            None => self.title.clone(),
        }
    }

    /// What changed between two versions' fields, field by field (rows of a table by row),
    /// in form order.
    pub fn changes(
        &self,
        before: &Value,
        after: &Value,
        name_of: &dyn Fn(&str) -> String,
    ) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let null = Value::Null;
        for key in Self::order(&self.schema) {
            let node = &self.schema["properties"][key];
            let (b, a) = (
                before.get(key).unwrap_or(&null),
                after.get(key).unwrap_or(&null),
            );
            if b == a {
                continue;
            }
            let path = format!("/{}", pointer_escape(key));
            if node["items"]["type"] == "object" {
                let empty = Vec::new();
                let (rb, ra) = (
                    b.as_array().unwrap_or(&empty),
                    a.as_array().unwrap_or(&empty),
                );
                let items = &node["items"];
                for i in 0..rb.len().max(ra.len()) {
                    let (x, y) = (rb.get(i).unwrap_or(&null), ra.get(i).unwrap_or(&null));
                    if x == y {
                        continue;
                    }
                    let row = format!("{path}/{i}");
                    if x.is_null() || y.is_null() {
                        out.push(FieldChange {
                            label: self.label(&row),
                            before: Self::show(items, x, name_of),
                            after: Self::show(items, y, name_of),
                            path: row,
                        });
                        continue;
                    }
                    for col in Self::order(items) {
                        let (cx, cy) = (x.get(col).unwrap_or(&null), y.get(col).unwrap_or(&null));
                        if cx != cy {
                            let sub = &items["properties"][col];
                            let p = format!("{row}/{}", pointer_escape(col));
                            out.push(FieldChange {
                                label: self.label(&p),
                                before: Self::show(sub, cx, name_of),
                                after: Self::show(sub, cy, name_of),
                                path: p,
                            });
                        }
                    }
                }
            } else {
                out.push(FieldChange {
                    label: self.label(&path),
                    before: Self::show(node, b, name_of),
                    after: Self::show(node, a, name_of),
                    path,
                });
            }
        }
        out
    }

    /// The top-level tables whose rows are action items: rows with `task`, `owner`, `status`.
    fn item_tables(&self) -> Vec<&str> {
        Self::order(&self.schema)
            .into_iter()
            .filter(|k| {
                let p = &self.schema["properties"][*k]["items"]["properties"];
                ["task", "owner", "status"]
                    .iter()
                    .all(|c| p.get(*c).is_some())
            })
            .collect()
    }

    /// The action items the fields hold: each row of an item table with an owner, not
    /// cancelled (rows of other tables than `action_items`, a tracker's tasks, with a due date).
    pub fn action_items(&self, fields: &Value) -> Vec<RecordItem> {
        let mut out = Vec::new();
        for table in self.item_tables() {
            for (i, row) in fields
                .get(table)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let get = |k: &str| row.get(k).and_then(Value::as_str).map(str::trim);
                let (Some(text), Some(owner)) = (get("task"), get("owner")) else {
                    continue;
                };
                let status = get("status").unwrap_or("");
                let due = get("due").filter(|d| !d.is_empty());
                // Minutes' action items are items with an owner; a tracker's tasks need a due
                // date too (a task without one is a plan, not something to chase).
                if owner.is_empty()
                    || status == "cancelled"
                    || (table != "action_items" && due.is_none())
                {
                    continue;
                }
                out.push(RecordItem {
                    path: format!("/{table}/{i}"),
                    text: text.to_owned(),
                    owner: owner.to_owned(),
                    due: due.map(str::to_owned),
                    done: status == "done",
                });
            }
        }
        out
    }

    /// The fields with the row at `path` marked done (status `done`, `percent` 100) or open
    /// again (the first status of its list that is not done); None when no such row.
    pub fn set_done(&self, fields: &Value, path: &str, done: bool) -> Option<Value> {
        let mut parts = path.split('/').skip(1);
        let (table, i) = (parts.next()?, parts.next()?.parse::<usize>().ok()?);
        if parts.next().is_some() || !self.item_tables().contains(&table) {
            return None;
        }
        let items = &self.schema["properties"][table]["items"]["properties"];
        let mut out = fields.clone();
        let row = out.get_mut(table)?.get_mut(i)?.as_object_mut()?;
        let status = if done {
            "done".to_owned()
        } else {
            items["status"]["enum"]
                .as_array()
                .and_then(|e| e.iter().filter_map(Value::as_str).find(|s| *s != "done"))
                .unwrap_or("open")
                .to_owned()
        };
        row.insert("status".into(), json!(status));
        if items.get("percent").is_some() {
            if done {
                row.insert("percent".into(), json!(100));
            } else if row.get("percent") == Some(&json!(100)) {
                row.remove("percent");
            }
        }
        Some(out)
    }
}

/// The info string of the fenced block that carries a record's fields in its stored body.
const FENCE: &str = "```hanlin-record";

/// The stored body of a record version: the rendered Markdown, then the fields.
pub fn compose(rendered: &str, kind: &str, fields: &Value) -> String {
    let data = serde_json::to_string_pretty(&json!({"type": kind, "fields": fields}))
        .unwrap_or_else(|_| "{}".into());
    format!("{}\n\n{FENCE}\n{data}\n```\n", rendered.trim_end())
}

/// A record's stored body taken apart: the Markdown readers see, and the type and fields when
/// the body carries them (an ordinary document's body comes back whole, with None).
pub fn split(body: &str) -> (&str, Option<(String, Value)>) {
    let Some(start) = body.rfind(&format!("\n{FENCE}\n")) else {
        return (body, None);
    };
    let data = &body[start + FENCE.len() + 2..];
    let Some(data) = data
        .strip_suffix("```\n")
        .or_else(|| data.strip_suffix("```"))
    else {
        return (body, None);
    };
    match serde_json::from_str::<Map<String, Value>>(data) {
        Ok(mut m) => {
            let kind = m
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let fields = m.remove("fields").unwrap_or(Value::Null);
            (body[..start].trim_end_matches('\n'), Some((kind, fields)))
        }
        Err(_) => (body, None),
    }
}

/// The Markdown of a body as readers and the index see it (a record's fields block left out).
pub fn readable(body: &str) -> &str {
    split(body).0
}

fn pointer_escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

fn pointer_unescape(k: &str) -> String {
    k.replace("~1", "/").replace("~0", "~")
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn table_cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_schema_compiles_and_the_five_types_exist() {
        let s = RecordSchemas::load().unwrap();
        let kinds: Vec<&str> = s.types().map(|t| t.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
                "cross-department-sync",
                "feedback",
                "meeting-minutes",
                "progress-tracker",
                "requirement"
            ]
        );
        assert_eq!(
            s.types()
                .find(|t| t.kind == "meeting-minutes")
                .unwrap()
                .title,
            "会议纪要"
        );
    }

    /// The forms companies standardise (issue 12): a filled-in example of each validates, and a
    /// wrong value is refused naming its field.
    #[test]
    fn each_form_takes_its_fields_and_names_a_bad_one() {
        let s = RecordSchemas::load().unwrap();
        let cases = [
            (
                "requirement",
                json!({"title": "导出报表支持 Excel", "project": "数据平台", "party": "external",
                       "requester": "某客户张经理", "description": "客户希望月报可以导出为 Excel。",
                       "expected": "2026-12-31", "owner": "李娜", "attachments": ["需求说明.docx"],
                       "status": "evaluating"}),
                ("party", json!("partner"), "/party"),
            ),
            (
                "progress-tracker",
                json!({"project": "翰林 1.0", "tasks": [
                    {"task": "附件上传", "owner": "王芳", "due": "2026-12-10", "status": "in_progress",
                     "percent": 60, "problem": "PDF 解析较慢", "depends_on": ["存储改造"]}]}),
                (
                    "tasks",
                    json!([{"task": "x", "owner": "y", "status": "done", "percent": 120}]),
                    "/tasks/0/percent",
                ),
            ),
            (
                "feedback",
                json!({"title": "食堂排队太久", "type": "suggestion", "submitter": "赵强", "received": "2026-11-30",
                       "content": "中午排队超过 20 分钟。", "department": "行政部", "handler": "孙丽",
                       "promised": "2026-12-07", "completed": "2026-12-05", "result": "增加一个窗口",
                       "satisfaction": "satisfied", "status": "resolved"}),
                ("satisfaction", json!("很好"), "/satisfaction"),
            ),
            (
                "cross-department-sync",
                json!({"item": "年终晚会", "initiator": "行政部", "participants": ["市场部", "研发部"],
                       "key_info": "12 月 20 日晚，需要每个部门一个节目。", "updated": "2026-12-01",
                       "owner": "周敏", "next_action": "各部门报节目", "next_due": "2026-12-08"}),
                ("participants", json!([]), "/participants"),
            ),
            (
                "meeting-minutes",
                json!({"title": "周会", "date": "2026-11-20", "time": "14:30", "location": "三楼会议室",
                       "host": "李娜", "attendees": ["王芳"], "agenda": ["进度"], "decisions": ["下周上线"],
                       "action_items": [{"task": "整理文档", "owner": "王芳", "due": "2026-11-27", "status": "open"}]}),
                ("time", json!("下午两点"), "/time"),
            ),
        ];
        for (kind, good, (key, bad_value, field)) in cases {
            s.validate(kind, &good)
                .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            let mut bad = good.clone();
            bad[key] = bad_value;
            let errors = s.get(kind).unwrap().errors(&bad);
            assert_eq!(errors.len(), 1, "{kind}: {errors:?}");
            assert_eq!(errors[0].path, field, "{kind}");
            assert!(
                matches!(
                    s.validate(kind, &bad),
                    Err(Error::Rule {
                        code: Code::InvalidRecord,
                        ..
                    })
                ),
                "{kind}"
            );
        }
        // Every enum value has a Chinese label for the form (`x-enum-titles`).
        for t in s.types() {
            check_enum_titles(&t.kind, &t.schema);
        }
    }

    fn check_enum_titles(kind: &str, v: &Value) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(values)) = m.get("enum") {
                    let titles = m.get("x-enum-titles").and_then(Value::as_object);
                    for e in values {
                        let e = e.as_str().unwrap();
                        assert!(
                            titles.is_some_and(|t| t.contains_key(e)),
                            "{kind}: enum value {e} has no Chinese title"
                        );
                    }
                }
                m.values().for_each(|x| check_enum_titles(kind, x));
            }
            Value::Array(a) => a.iter().for_each(|x| check_enum_titles(kind, x)),
            _ => {}
        }
    }

    #[test]
    fn minutes_with_action_items_validate_and_bad_ones_name_the_field() {
        let s = RecordSchemas::load().unwrap();
        let good = json!({
            "title": "周会", "date": "2026-11-20", "attendees": ["王芳", "李娜"],
            "action_items": [{"task": "整理部署文档", "owner": "王芳", "due": "2026-11-27", "status": "open"}]
        });
        s.validate("meeting-minutes", &good).unwrap();
        let mut bad = good.clone();
        bad["action_items"][0]["status"] = json!("maybe");
        let t = s.get("meeting-minutes").unwrap();
        let errors = t.errors(&bad);
        assert_eq!(errors[0].path, "/action_items/0/status");
        assert!(errors[0].message.contains("待开始"), "{errors:?}");
        let mut bad_date = good.clone();
        bad_date["date"] = json!("下周三");
        assert!(
            s.validate("meeting-minutes", &bad_date).is_err(),
            "dates are checked"
        );
        let mut extra = good;
        extra["colour"] = json!("red");
        assert!(
            s.validate("meeting-minutes", &extra).is_err(),
            "unknown fields are refused"
        );
        assert!(s.validate("no-such-type", &json!({})).is_err());
    }
}
