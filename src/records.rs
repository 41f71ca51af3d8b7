//! Record types: one JSON Schema per type in `schemas/` (embedded in the binary), compiled at
//! start-up so a broken schema stops the server instead of failing later. A record's fields are
//! validated against its schema, with the path of each offending field in the error.

use std::collections::BTreeMap;

use rust_embed::RustEmbed;
use serde_json::Value;

use crate::error::{Error, Reason, Result};

#[derive(RustEmbed)]
#[folder = "schemas/"]
struct SchemaFiles;

/// One record type.
pub struct RecordType {
    /// Type name: the file name without `.schema.json` (e.g. `meeting-minutes`).
    pub kind: String,
    /// Human title (the schema's `title`, e.g. 会议纪要).
    pub title: String,
    /// The schema itself.
    pub schema: Value,
    validator: jsonschema::Validator,
}

/// Every record type, by name.
pub struct RecordSchemas {
    types: BTreeMap<String, RecordType>,
}

impl RecordSchemas {
    /// Compiles every embedded schema; an unreadable or invalid one is an error naming its file.
    pub fn load() -> Result<Self> {
        let mut types = BTreeMap::new();
        for file in SchemaFiles::iter().filter(|f| f.ends_with(".schema.json")) {
            let name = file.as_ref();
            let kind = name.trim_end_matches(".schema.json").to_owned();
            let bytes = SchemaFiles::get(name)
                .ok_or_else(|| Error::internal(format!("schema {name} vanished")))?;
            let schema: Value = serde_json::from_slice(&bytes.data)
                .map_err(|e| Error::internal(format!("schemas/{name} is not JSON: {e}")))?;
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

    /// Checks a record's fields against its type's schema.
    pub fn validate(&self, kind: &str, fields: &Value) -> Result<()> {
        let t = self.types.get(kind).ok_or_else(|| {
            Error::invalid("kind", format!("unknown record type {kind}"))
                .because(Reason::NoSuch)
                .with("name", kind)
        })?;
        if let Some(e) = t.validator.iter_errors(fields).next() {
            let path = e.instance_path.to_string();
            let field = if path.is_empty() {
                "fields".to_owned()
            } else {
                format!("fields{}", path.replace('/', "."))
            };
            return Err(Error::invalid(field, e.to_string()).because(Reason::BadValue));
        }
        Ok(())
    }
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
                ("party", json!("partner"), "fields.party"),
            ),
            (
                "progress-tracker",
                json!({"project": "翰林 1.0", "tasks": [
                    {"task": "附件上传", "owner": "王芳", "due": "2026-12-10", "status": "in_progress",
                     "percent": 60, "problem": "PDF 解析较慢", "depends_on": ["存储改造"]}]}),
                (
                    "tasks",
                    json!([{"task": "x", "owner": "y", "status": "done", "percent": 120}]),
                    "fields.tasks.0.percent",
                ),
            ),
            (
                "feedback",
                json!({"title": "食堂排队太久", "type": "suggestion", "submitter": "赵强", "received": "2026-11-30",
                       "content": "中午排队超过 20 分钟。", "department": "行政部", "handler": "孙丽",
                       "promised": "2026-12-07", "completed": "2026-12-05", "result": "增加一个窗口",
                       "satisfaction": "satisfied", "status": "resolved"}),
                ("satisfaction", json!("很好"), "fields.satisfaction"),
            ),
            (
                "cross-department-sync",
                json!({"item": "年终晚会", "initiator": "行政部", "participants": ["市场部", "研发部"],
                       "key_info": "12 月 20 日晚，需要每个部门一个节目。", "updated": "2026-12-01",
                       "owner": "周敏", "next_action": "各部门报节目", "next_due": "2026-12-08"}),
                ("participants", json!([]), "fields.participants"),
            ),
            (
                "meeting-minutes",
                json!({"title": "周会", "date": "2026-11-20", "time": "14:30", "location": "三楼会议室",
                       "host": "李娜", "attendees": ["王芳"], "agenda": ["进度"], "decisions": ["下周上线"],
                       "action_items": [{"task": "整理文档", "owner": "王芳", "due": "2026-11-27", "status": "open"}]}),
                ("time", json!("下午两点"), "fields.time"),
            ),
        ];
        for (kind, good, (key, bad_value, field)) in cases {
            s.validate(kind, &good)
                .unwrap_or_else(|e| panic!("{kind}: {e:?}"));
            let mut bad = good.clone();
            bad[key] = bad_value;
            match s.validate(kind, &bad) {
                Err(Error::InvalidInput { field: Some(f), .. }) => assert_eq!(f, field, "{kind}"),
                other => panic!("{kind}: expected invalid_input on {field}, got {other:?}"),
            }
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
        match s.validate("meeting-minutes", &bad) {
            Err(Error::InvalidInput { field: Some(f), .. }) => {
                assert_eq!(f, "fields.action_items.0.status")
            }
            other => panic!("expected invalid_input, got {other:?}"),
        }
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
