//! The layers point down: nothing below `src/http/` imports `http::` (the transport), and nothing
//! outside `src/store/` names sled; handlers neither write nor decide permissions (services do).
//! A grep, so a violation fails CI with the file and line.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `.rs` file below `src/` as (path relative to `src/`, text).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&f).unwrap())
        })
        .collect()
}

/// Lines (outside comments) matching `pattern` in files that are not `allowed`.
fn offending(pattern: impl Fn(&str) -> bool, allowed: impl Fn(&str) -> bool) -> Vec<String> {
    let mut bad = Vec::new();
    for (rel, text) in sources() {
        if allowed(&rel) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if pattern(code) {
                bad.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    bad
}

/// The top-level items of every `use crate::{...}` block in `src`, with the file they are in.
fn crate_use_items(src: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut rest = src;
    while let Some(at) = rest.find("use crate::{") {
        let body = &rest[at + "use crate::{".len()..];
        let (mut depth, mut cur) = (1usize, String::new());
        let mut end = body.len();
        for (i, ch) in body.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                ',' if depth == 1 => {
                    items.push(std::mem::take(&mut cur).trim().to_owned());
                    continue;
                }
                _ => {}
            }
            cur.push(ch);
        }
        items.push(cur.trim().to_owned());
        rest = &body[end..];
    }
    items
}

#[test]
fn nothing_below_http_imports_it() {
    // `lib.rs` builds the router (`app()`), so it may name `http::router`; `main.rs` is the top.
    let allowed = |rel: &str| rel.starts_with("http/") || rel == "main.rs" || rel == "lib.rs";
    let mut bad = offending(|code| code.contains("crate::http"), allowed);
    for (rel, src) in sources() {
        if allowed(&rel) {
            continue;
        }
        for item in crate_use_items(&src) {
            if item == "http" || item.starts_with("http::") {
                bad.push(format!("src/{rel}: use crate::{{{item}}}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports of the transport below it:\n{}",
        bad.join("\n")
    );
}

#[test]
fn nothing_outside_store_names_sled() {
    let bad = offending(
        |code| code.contains("sled::"),
        |rel| rel.starts_with("store/"),
    );
    assert!(
        bad.is_empty(),
        "sled named outside src/store/:\n{}",
        bad.join("\n")
    );
}

#[test]
fn handlers_write_only_through_services() {
    // Every write is a service's (its permission check, its audit event, its transaction).
    let bad = offending(
        |code| code.contains(".transact(") || code.contains("tx.") || code.contains("tx_audit"),
        |rel| !rel.starts_with("http/"),
    );
    assert!(
        bad.is_empty(),
        "writes in the transport (move them into src/service/):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_store_hands_out_no_sled_tree() {
    // Trees are private to src/store/: what it makes public is typed (tables, indexes, codecs).
    let bad = offending(
        |code| {
            // A private tree inside a public wrapper is the point: `Texts(pub(super) sled::Tree)`.
            let code = code
                .trim_start()
                .replace("pub(super) sled::Tree", "")
                .replace("pub(super) &'a TransactionalTree", "");
            code.starts_with("pub ")
                && (code.contains("sled::Tree") || code.contains("TransactionalTree"))
        },
        |rel| !rel.starts_with("store/"),
    );
    assert!(
        bad.is_empty(),
        "sled trees made public by src/store/:\n{}",
        bad.join("\n")
    );
}

#[test]
fn permission_checks_live_in_services() {
    // Handlers ask services, which decide on a plain `Caller`: the transport never consults the
    // permission bridge, builds a permission subject, or checks for an administrator itself.
    let needles = [
        "service::access",
        "access::",
        ".subject()",
        "require_admin",
        ".is_admin()",
        "is_effective_admin",
    ];
    let bad = offending(
        |code| needles.iter().any(|n| code.contains(n)),
        |rel| !rel.starts_with("http/"),
    );
    assert!(
        bad.is_empty(),
        "permission checks in the transport (move them into src/service/):\n{}",
        bad.join("\n")
    );
}
