//! Every error code and every `invalid_input` reason the server can answer has a message in both
//! languages of the web UI (`web/i18n.js`: `err.<code>`, `reason.<reason>`), and the two messages
//! use the same parameters. A code added to `src/error.rs` without its messages fails here, by name.

use std::collections::BTreeSet;

use hanlin::error::{Code, Reason};

/// The body of `const <name> = { … };` in i18n.js.
fn table<'a>(js: &'a str, name: &str) -> &'a str {
    let start = js
        .find(&format!("const {name} = {{"))
        .unwrap_or_else(|| panic!("web/i18n.js has no `const {name} = {{`"));
    let rest = &js[start..];
    let end = rest
        .find("\n};")
        .unwrap_or_else(|| panic!("the {name} table in web/i18n.js does not end"));
    &rest[..end]
}

/// The message of `key` in a table, if it has one (single-quoted, as i18n.js writes them).
fn message(table: &str, key: &str) -> Option<String> {
    let at = table.find(&format!("'{key}':"))?;
    let rest = table[at + key.len() + 3..].trim_start();
    let body = rest.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\'' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// The `{param}` names a message uses.
fn params(message: &str) -> BTreeSet<String> {
    message
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(p, _)| p.to_owned()))
        .collect()
}

#[test]
fn every_code_and_reason_has_a_chinese_and_an_english_message() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/web/i18n.js");
    let js = std::fs::read_to_string(path).unwrap();
    let (zh, en) = (table(&js, "zh"), table(&js, "en"));
    let keys: Vec<String> = Code::ALL
        .iter()
        .map(|c| format!("err.{c}"))
        .chain(Reason::ALL.iter().map(|r| format!("reason.{r}")))
        .collect();
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    for key in &keys {
        let (z, e) = (message(zh, key), message(en, key));
        if z.as_deref().is_none_or(str::is_empty) {
            missing.push(format!("zh-CN {key}"));
        }
        if e.as_deref().is_none_or(str::is_empty) {
            missing.push(format!("en {key}"));
        }
        if let (Some(z), Some(e)) = (z, e)
            && params(&z) != params(&e)
        {
            mismatched.push(format!(
                "{key}: zh-CN {:?}, en {:?}",
                params(&z),
                params(&e)
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "web/i18n.js lacks messages for:\n{}",
        missing.join("\n")
    );
    assert!(
        mismatched.is_empty(),
        "the two languages use different parameters:\n{}",
        mismatched.join("\n")
    );
}

#[test]
fn the_reader_of_i18n_js_finds_what_is_there_and_only_that() {
    let js = "const zh = {\n  'err.a': '甲 {x}', 'err.b': 'it\\'s {y}',\n};\nconst en = {\n};\n";
    let zh = table(js, "zh");
    assert_eq!(message(zh, "err.a").as_deref(), Some("甲 {x}"));
    assert_eq!(message(zh, "err.b").as_deref(), Some("it's {y}"));
    assert_eq!(message(zh, "err.c"), None);
    assert_eq!(message(table(js, "en"), "err.a"), None);
    assert_eq!(
        params("第 {line} 行第 {column} 列"),
        ["column", "line"].map(String::from).into()
    );
}
