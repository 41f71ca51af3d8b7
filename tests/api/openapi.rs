//! The generated `GET /api/v1/openapi.json` against what is served.
//!
//! - The route census (`permissions::every_route_has_a_row`) compares its paths and methods with
//!   the routers' source.
//! - Every operation answers 2xx with a schema (or an explicitly empty or binary body), and has a
//!   JSON request body schema exactly when its handler takes a JSON body (read from the source).
//! - Every answer the API tests get through [`crate::common::Client`] is checked by
//!   [`check_answer`]: a 2xx body against the operation's schema (objects closed: a field the
//!   schema does not name fails), an error's code against the codes the operation lists for that
//!   status.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Server, assert_error};
use crate::permissions::registered_handlers;

fn doc() -> &'static Value {
    hanlin::http::openapi::document()
}

/// Every `(METHOD, PATH)` the description has, API paths without the `/api/v1` prefix.
pub fn described_routes() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc()["paths"].as_object().unwrap() {
        let path = path
            .strip_prefix(hanlin::http::openapi::PREFIX)
            .unwrap_or(path);
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.to_owned()));
        }
    }
    out
}

/// Every operation: (method, full path, operation).
fn operations() -> Vec<(String, String, &'static Value)> {
    let mut out = Vec::new();
    for (path, item) in doc()["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

#[test]
fn the_description_merges_cleanly() {
    assert_eq!(
        hanlin::http::openapi::problems(),
        &[] as &[String],
        "modules describing one operation twice, or two schemas under one name"
    );
    assert_eq!(doc()["openapi"], "3.1.0");
}

#[test]
fn every_operation_answers_2xx_with_a_schema() {
    let mut described = 0;
    for (method, path, op) in operations() {
        described += 1;
        let ok: Vec<(&String, &Value)> = op["responses"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .collect();
        assert!(!ok.is_empty(), "{method} {path}: no 2xx answer");
        for (status, answer) in ok {
            assert!(
                answer["description"].is_string(),
                "{method} {path} {status}: no description"
            );
            match answer.get("content") {
                // An explicitly empty body.
                None => {}
                Some(content) => {
                    let content = content.as_object().unwrap();
                    assert!(
                        !content.is_empty(),
                        "{method} {path} {status}: empty content"
                    );
                    for (ty, media) in content {
                        assert!(
                            media["schema"].is_object(),
                            "{method} {path} {status} {ty}: no schema"
                        );
                        if ty != "application/json" {
                            // Files and text, not arrays of numbers (`inline(Binary)`).
                            assert_eq!(
                                media["schema"]["type"], "string",
                                "{method} {path} {status} {ty}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{method} {path}: no summary"
        );
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path}: no tag"
        );
    }
    assert!(described > 55, "only {described} operations");
}

#[test]
fn json_bodies_are_described_where_handlers_take_them() {
    let mut checked = 0;
    for r in registered_handlers() {
        // API routes are nested under the prefix; `/healthz` and `/metrics` are not.
        let nested = format!("{}{}", hanlin::http::openapi::PREFIX, r.path);
        let item = doc()["paths"]
            .get(&nested)
            .or_else(|| doc()["paths"].get(&r.path));
        let Some(op) = item.and_then(|i| i.get(r.method.to_lowercase())) else {
            continue; // The census reports it.
        };
        let handler = r.handler.as_deref().unwrap_or_else(|| {
            panic!(
                "{} {}: the handler is not a named function",
                r.method, r.path
            )
        });
        let at = r
            .code
            .find(&format!("async fn {handler}("))
            .unwrap_or_else(|| panic!("{} {}: no `async fn {handler}(`", r.method, r.path));
        let signature = &r.code[at..at + r.code[at..].find('{').unwrap()];
        let takes_json = signature.contains("ApiJson<");
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            takes_json,
            schema.is_object(),
            "{} {}: the handler {} a JSON body but the description {}",
            r.method,
            r.path,
            if takes_json { "takes" } else { "takes no" },
            if schema.is_object() {
                "has one"
            } else {
                "has none"
            },
        );
        let other = op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten();
        for (ty, media) in other.filter(|(ty, _)| *ty != "application/json") {
            assert_eq!(
                media["schema"]["type"], "string",
                "{} {} {ty}: a file, not an array of numbers",
                r.method, r.path
            );
        }
        if takes_json {
            assert_eq!(
                op["requestBody"]["required"], true,
                "{} {}: a JSON body is required",
                r.method, r.path
            );
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} handlers checked");
}

#[test]
fn error_answers_carry_codes_of_their_status() {
    for (method, path, op) in operations() {
        for (status, answer) in op["responses"].as_object().unwrap() {
            if status.starts_with('2') {
                continue;
            }
            let schema = &answer["content"]["application/json"]["schema"];
            assert_eq!(
                schema["allOf"][0]["$ref"], "#/components/schemas/Error",
                "{method} {path} {status}"
            );
            let codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} {status}: no codes"));
            assert!(!codes.is_empty());
            for c in codes {
                let code = hanlin::error::Code::from_name(c.as_str().unwrap())
                    .unwrap_or_else(|| panic!("{method} {path}: unknown code {c}"));
                if status != "default" {
                    let want = code.status().as_u16().to_string();
                    // `invalid_input` is also answered 422 (well-formed but refused).
                    let also = code == hanlin::error::Code::InvalidInput && status == "422";
                    assert!(
                        *status == want || also,
                        "{method} {path}: {c} listed under {status}, its status is {want}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn the_served_description_is_the_generated_one() {
    let srv = Server::start().await;
    let anonymous = srv.client();
    let (st, served) = anonymous.get("/api/v1/openapi.json").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(&served, doc());
    // Shared answers are described once, and a junk route is not described at all.
    assert!(served["components"]["schemas"]["Error"].is_object());
    assert_error(
        &anonymous.get("/api/v1/nothing-here").await,
        404,
        "not_found",
    );
}

// ---------------------------------------------------------------------------------------------
// Checking answers against the description
// ---------------------------------------------------------------------------------------------

/// The operation for a request path: the described path matching it segment by segment,
/// preferring literal segments (`/reviews/stale` over `/reviews/{id}`).
fn operation_for(method: &Method, path: &str) -> Option<(&'static str, &'static Value)> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let segs: Vec<&str> = path.split('/').collect();
    let mut best: Option<(usize, &'static str, &'static Value)> = None;
    for (template, item) in doc()["paths"].as_object().unwrap() {
        let t: Vec<&str> = template.split('/').collect();
        if t.len() != segs.len() {
            continue;
        }
        let mut literal = 0;
        let matches = t.iter().zip(&segs).all(|(a, b)| {
            if a.starts_with('{') {
                !b.is_empty()
            } else {
                literal += 1;
                a == b
            }
        });
        if matches && best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
            best = Some((literal, template.as_str(), item));
        }
    }
    let (_, template, item) = best?;
    Some((template, item.get(method.as_str().to_lowercase())?))
}

/// Closes the objects of the description's schemas (a property the schema does not name fails),
/// except those composed with `allOf` (each part names only its own).
fn closed_components() -> &'static Value {
    static CLOSED: OnceLock<Value> = OnceLock::new();
    CLOSED.get_or_init(|| {
        let mut components = doc()["components"].clone();
        let mut open: HashSet<String> = HashSet::new();
        fn refs_in_all_of(v: &Value, in_all_of: bool, out: &mut HashSet<String>) {
            match v {
                Value::Object(m) => {
                    if in_all_of && let Some(r) = m.get("$ref").and_then(Value::as_str) {
                        out.insert(r.rsplit('/').next().unwrap().to_owned());
                    }
                    for (k, x) in m {
                        refs_in_all_of(x, k == "allOf" || (in_all_of && k != "properties"), out);
                    }
                }
                Value::Array(a) => a.iter().for_each(|x| refs_in_all_of(x, in_all_of, out)),
                _ => {}
            }
        }
        refs_in_all_of(&components, false, &mut open);
        fn close(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    if m.contains_key("properties")
                        && !m.contains_key("additionalProperties")
                        && !m.contains_key("allOf")
                    {
                        m.insert("additionalProperties".into(), json!(false));
                    }
                    m.values_mut().for_each(close);
                }
                Value::Array(a) => a.iter_mut().for_each(close),
                _ => {}
            }
        }
        for (name, schema) in components["schemas"].as_object_mut().unwrap() {
            if !open.contains(name) && schema.get("allOf").is_none() {
                close(schema);
            }
        }
        components
    })
}

fn validator(key: String, schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let mut root = json!({"allOf": [schema]});
    root["components"] = closed_components().clone();
    let v = std::sync::Arc::new(
        jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("{key}: the described schema does not compile: {e}")),
    );
    cache.lock().unwrap().insert(key, v.clone());
    v
}

/// Checks one answer against the description (see the module docs). Requests the description
/// does not know (static files, junk routes, methods a path does not have) are not checked.
#[track_caller]
pub fn check_answer(method: &Method, path: &str, status: StatusCode, body: &Value) {
    let Some((template, op)) = operation_for(method, path) else {
        return;
    };
    let what = format!("{method} {path} ({template}) answered {}", status.as_u16());
    let responses = &op["responses"];
    if status.is_success() {
        let answer = responses
            .get(status.as_str())
            .unwrap_or_else(|| panic!("{what}: that status is not described"));
        if let Some(schema) = answer["content"]["application/json"].get("schema") {
            let v = validator(format!("{method} {template} {status}"), schema);
            let errors: Vec<String> = v
                .iter_errors(body)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(
                errors.is_empty(),
                "{what}, not as described: {errors:#?}\nbody: {body}"
            );
        }
        return;
    }
    let Some(code) = body["error"]["code"].as_str() else {
        panic!("{what} without an error code: {body}");
    };
    let listed = |answer: &Value| {
        answer["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]
            ["properties"]["code"]["enum"]
            .as_array()
            .is_some_and(|codes| codes.iter().any(|c| c == code))
    };
    let described = responses.get(status.as_str()).is_some_and(listed)
        || responses.get("default").is_some_and(listed)
            && hanlin::error::Code::from_name(code).is_some_and(|c| c.status() == status);
    assert!(
        described,
        "{what} `{code}`, which its description does not list for that status: {body}"
    );
}

#[test]
#[should_panic(expected = "not as described")]
fn the_check_refuses_an_answer_missing_a_field() {
    let id = "0123456789abcdef0123456789abcdef";
    check_answer(
        &Method::PUT,
        &format!("/api/v1/documents/{id}/favourite"),
        StatusCode::OK,
        &json!({"id": id}),
    );
}

#[test]
#[should_panic(expected = "not as described")]
fn the_check_refuses_a_field_the_description_does_not_name() {
    check_answer(
        &Method::GET,
        "/api/v1/trash",
        StatusCode::OK,
        &json!({"total": 0, "items": [], "secret": 1}),
    );
}

#[test]
#[should_panic(expected = "does not list for that status")]
fn the_check_refuses_an_error_code_the_operation_does_not_list() {
    check_answer(
        &Method::GET,
        "/api/v1/favourites",
        StatusCode::CONFLICT,
        &json!({"error": {"code": "edit_conflict", "message": "stale", "current_version": 2}}),
    );
}

#[test]
fn the_check_takes_literal_segments_over_parameters() {
    let (template, op) = operation_for(&Method::GET, "/api/v1/reviews/stale?x=1").unwrap();
    assert_eq!(template, "/api/v1/reviews/stale");
    assert_eq!(op["operationId"], "stale_documents");
    let (template, _) = operation_for(&Method::GET, "/api/v1/reviews/abc").unwrap();
    assert_eq!(template, "/api/v1/reviews/{id}");
    assert!(operation_for(&Method::PATCH, "/api/v1/reviews/abc").is_none());
}
