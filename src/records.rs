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
    fn every_schema_compiles_and_the_four_types_exist() {
        let s = RecordSchemas::load().unwrap();
        let kinds: Vec<&str> = s.types().map(|t| t.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec![
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
