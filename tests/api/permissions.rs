//! The permission matrix of issue 4: every route the server registers × every role (admin,
//! manager, editor, reviewer, reader, external guest, expired intern, anonymous) × a resource inside
//! the role's grants and resources outside them (another space; a category of the same space with
//! `inherit: false`). Each cell asserts the exact status and error code, and no response to a
//! non-admin contains a hidden title, body, tag, id or facet count.
//!
//! `every_route_has_a_row` reads `src/http/*.rs` and fails when a route is registered without a
//! row here (or a row names a route that is gone).

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ADMIN_PASSWORD, Client, Server, urlencode};

const PASSWORD: &str = "Passw0rd-long";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Admin,
    Manager,
    Editor,
    Reviewer,
    Reader,
    External,
    ExpiredIntern,
    Anonymous,
}

const ROLES: [Role; 8] = [
    Role::Admin,
    Role::Manager,
    Role::Editor,
    Role::Reviewer,
    Role::Reader,
    Role::External,
    Role::ExpiredIntern,
    Role::Anonymous,
];

impl Role {
    fn username(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "mgr1",
            Role::Editor => "editor1",
            Role::Reviewer => "reviewer1",
            Role::Reader => "reader1",
            Role::External => "guest1",
            Role::ExpiredIntern => "intern1",
            Role::Anonymous => "nobody",
        }
    }
    fn password(self) -> &'static str {
        match self {
            Role::Admin => ADMIN_PASSWORD,
            Role::Anonymous => "Wrong-Pass-123",
            _ => PASSWORD,
        }
    }
    fn active(self) -> bool {
        !matches!(self, Role::ExpiredIntern | Role::Anonymous)
    }
}

/// Which resource a request is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Inside space A, where every role but admin and anonymous has its grant (category 公开分类).
    Inside,
    /// Space B: only the admin has a grant there.
    OtherSpace,
    /// Category 限制分类 of space A: `inherit: false`, no grants (admin only; a space manager may
    /// still manage it but not read its documents).
    HiddenCategory,
}
use Target::{HiddenCategory as HID, Inside as IN, OtherSpace as OUT};

/// Expected status per role, in the order of [`ROLES`].
type Expect = [u16; 8];
/// No authentication needed.
const PUBLIC: Expect = [200, 200, 200, 200, 200, 200, 200, 200];
/// Any active account.
const SIGNED_IN: Expect = [200, 200, 200, 200, 200, 200, 401, 401];
/// Editor and above; reader and external guest see it but may not change it.
const EDIT: Expect = [200, 200, 200, 200, 403, 403, 401, 401];
/// Editor and above, on a never-published draft or a trashed document. A reader or guest of the
/// place does not see it, so it answers 404 like any hidden thing: the hardening issue demands
/// this explicitly ("hidden things answer 404 everywhere"), it is no weakening of the old 403.
const EDIT_UNSEEN: Expect = [200, 200, 200, 200, 404, 404, 401, 401];
/// Space manager and admin.
const MANAGE: Expect = [200, 200, 403, 403, 403, 403, 401, 401];
/// Administrators only.
const ADMIN_ONLY: Expect = [200, 403, 403, 403, 403, 403, 401, 401];
/// Hidden from everyone but the admin: 404, never 403.
const HIDDEN: Expect = [200, 404, 404, 404, 404, 404, 401, 401];
/// Hidden except that the space manager may manage (not read) the category.
const MANAGE_HIDDEN: Expect = [200, 200, 404, 404, 404, 404, 401, 401];
/// A review by the editor in a category whose stage lists `everyone`: the author and those who
/// may review see it; a reader or guest (no reviewer role) gets 404.
const REVIEW_VIEW: Expect = [200, 200, 200, 200, 404, 404, 401, 401];
/// Deciding that review: the author may not approve their own (403 self_approval).
const REVIEW_DECIDE: Expect = [200, 200, 403, 200, 404, 404, 401, 401];
/// Withdrawing it: only the author (others who can see it: 403 not_author).
const REVIEW_WITHDRAW: Expect = [403, 403, 200, 403, 404, 404, 401, 401];
/// Deciding a hidden review: the admin sees it but is not named in its stage (403 not_a_reviewer).
const HIDDEN_DECIDE: Expect = [403, 404, 404, 404, 404, 404, 401, 401];
/// Withdrawing a hidden review (by another author): the admin sees it but is not the author.
const HIDDEN_WITHDRAW: Expect = [403, 404, 404, 404, 404, 404, 401, 401];
/// Acknowledging an item of a collection for everyone inside: the admin manages it but is not in
/// its audience (403).
const ACK: Expect = [403, 200, 200, 200, 200, 200, 401, 401];
/// Acknowledging in a collection for someone else: hidden (404), the admin manages it (403).
const ACK_HIDDEN: Expect = [403, 404, 404, 404, 404, 404, 401, 401];
/// Login: the expired intern is refused (403 account_inactive), a wrong password is 401.
const LOGIN: Expect = [200, 200, 200, 200, 200, 200, 403, 401];

struct Row {
    method: &'static str,
    path: &'static str,
    cases: &'static [(Target, Expect)],
}

const fn row(method: &'static str, path: &'static str, cases: &'static [(Target, Expect)]) -> Row {
    Row {
        method,
        path,
        cases,
    }
}

/// Every route, as written in `src/http/*.rs`. `/healthz` is outside `/api/v1`.
const ROWS: &[Row] = &[
    // session.rs
    row("POST", "/session", &[(IN, LOGIN)]),
    row("DELETE", "/session", &[(IN, SIGNED_IN)]),
    row("GET", "/me", &[(IN, SIGNED_IN)]),
    // documents.rs
    row(
        "POST",
        "/documents",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents",
        &[(IN, SIGNED_IN), (OUT, SIGNED_IN), (HID, SIGNED_IN)],
    ),
    row(
        "GET",
        "/documents/{id}",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "PUT",
        "/documents/{id}",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "DELETE",
        "/documents/{id}",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "POST",
        "/documents/{id}/undelete",
        &[(IN, EDIT_UNSEEN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents/{id}/versions",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents/{id}/versions/{n}",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents/{id}/diff",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "POST",
        "/documents/{id}/restore",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "PUT",
        "/documents/{id}/favourite",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    // Removing a favourite answers the same for any id (even one that does not exist): no oracle.
    row(
        "DELETE",
        "/documents/{id}/favourite",
        &[(IN, SIGNED_IN), (OUT, SIGNED_IN), (HID, SIGNED_IN)],
    ),
    row("GET", "/favourites", &[(IN, SIGNED_IN)]),
    row("GET", "/trash", &[(IN, SIGNED_IN)]),
    row("GET", "/drafts", &[(IN, SIGNED_IN)]),
    // spaces.rs
    row("GET", "/spaces", &[(IN, SIGNED_IN)]),
    row("POST", "/spaces", &[(IN, ADMIN_ONLY)]),
    row("GET", "/spaces/{id}", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row("PATCH", "/spaces/{id}", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row("PUT", "/spaces/{id}/grants", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row("GET", "/spaces/{id}/grants", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row(
        "PUT",
        "/spaces/{id}/review-policy",
        &[(IN, MANAGE), (OUT, HIDDEN)],
    ),
    row(
        "GET",
        "/spaces/{id}/categories",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    row(
        "POST",
        "/spaces/{id}/categories",
        &[(IN, MANAGE), (OUT, HIDDEN), (HID, MANAGE_HIDDEN)],
    ),
    row(
        "PATCH",
        "/categories/{id}",
        &[(IN, MANAGE), (OUT, HIDDEN), (HID, MANAGE_HIDDEN)],
    ),
    row(
        "GET",
        "/categories/{id}",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, MANAGE_HIDDEN)],
    ),
    row(
        "PUT",
        "/categories/{id}/grants",
        &[(IN, MANAGE), (OUT, HIDDEN), (HID, MANAGE_HIDDEN)],
    ),
    row(
        "PUT",
        "/categories/{id}/review-policy",
        &[(IN, MANAGE), (OUT, HIDDEN), (HID, MANAGE_HIDDEN)],
    ),
    // search.rs
    row(
        "GET",
        "/search",
        &[(IN, SIGNED_IN), (OUT, SIGNED_IN), (HID, SIGNED_IN)],
    ),
    row(
        "GET",
        "/search/suggest",
        &[(IN, SIGNED_IN), (OUT, SIGNED_IN), (HID, SIGNED_IN)],
    ),
    row(
        "GET",
        "/documents/{id}/related",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row("GET", "/admin/synonyms", &[(IN, ADMIN_ONLY)]),
    row("PUT", "/admin/synonyms", &[(IN, ADMIN_ONLY)]),
    // users.rs (Inside = the caller's own account, OtherSpace = someone else's)
    row("GET", "/users", &[(IN, ADMIN_ONLY)]),
    row("POST", "/users", &[(IN, ADMIN_ONLY)]),
    row("GET", "/users/{id}", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row("PATCH", "/users/{id}", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row("POST", "/me/password", &[(IN, SIGNED_IN)]),
    row("GET", "/groups", &[(IN, SIGNED_IN)]),
    row("POST", "/groups", &[(IN, ADMIN_ONLY)]),
    row("GET", "/groups/{id}", &[(IN, ADMIN_ONLY)]),
    row("PATCH", "/groups/{id}", &[(IN, ADMIN_ONLY)]),
    row("PUT", "/groups/{id}/members", &[(IN, ADMIN_ONLY)]),
    row("GET", "/audit", &[(IN, ADMIN_ONLY)]),
    // reviews.rs (Inside: category 审核分类 of A, review stage `everyone`; HiddenCategory: a
    // review by another author in 限制分类, whose stage names the reviewer who cannot read there,
    // or, once the policy row has rewritten 限制分类's policy, `keeper1`, who is no role here)
    row(
        "POST",
        "/documents/{id}/submit",
        &[(IN, EDIT_UNSEEN), (HID, HIDDEN)],
    ),
    row(
        "PUT",
        "/documents/{id}/review-by",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row("GET", "/reviews", &[(IN, SIGNED_IN)]),
    row("GET", "/reviews/stale", &[(IN, SIGNED_IN)]),
    row("GET", "/reviews/{id}", &[(IN, REVIEW_VIEW), (HID, HIDDEN)]),
    row(
        "POST",
        "/reviews/{id}/approve",
        &[(IN, REVIEW_DECIDE), (HID, HIDDEN_DECIDE)],
    ),
    row(
        "POST",
        "/reviews/{id}/reject",
        &[(IN, REVIEW_DECIDE), (HID, HIDDEN_DECIDE)],
    ),
    row(
        "POST",
        "/reviews/{id}/withdraw",
        &[(IN, REVIEW_WITHDRAW), (HID, HIDDEN_WITHDRAW)],
    ),
    row("GET", "/notifications", &[(IN, SIGNED_IN)]),
    row("POST", "/notifications/read", &[(IN, SIGNED_IN)]),
    row("GET", "/admin/sensitive-words", &[(IN, ADMIN_ONLY)]),
    row("PUT", "/admin/sensitive-words", &[(IN, ADMIN_ONLY)]),
    // backups.rs
    row("GET", "/admin/backups", &[(IN, ADMIN_ONLY)]),
    row("POST", "/admin/backups", &[(IN, ADMIN_ONLY)]),
    // stats.rs: space managers see their own space's figures; a space they cannot read is hidden
    // from them, and someone who manages no space is refused before any space is looked at.
    row(
        "GET",
        "/admin/stats",
        &[
            (IN, MANAGE),
            (OUT, [200, 404, 403, 403, 403, 403, 401, 401]),
        ],
    ),
    // import.rs
    row(
        "POST",
        "/spaces/{id}/import",
        &[(IN, MANAGE), (OUT, HIDDEN)],
    ),
    // export.rs
    row("GET", "/spaces/{id}/export", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row(
        "GET",
        "/documents/{id}/export",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    // webhooks.rs
    row(
        "GET",
        "/spaces/{id}/webhooks",
        &[(IN, MANAGE), (OUT, HIDDEN)],
    ),
    row(
        "PUT",
        "/spaces/{id}/webhooks",
        &[(IN, MANAGE), (OUT, HIDDEN)],
    ),
    // render.rs (stateless: no resource, any signed-in account)
    row("POST", "/render", &[(IN, SIGNED_IN)]),
    row("POST", "/diff", &[(IN, SIGNED_IN)]),
    // onboarding.rs (Inside: a collection of doc A for every role inside; OtherSpace: one of the
    // hidden category's document for `keeper1` alone)
    row("POST", "/collections", &[(IN, MANAGE)]),
    row("GET", "/collections", &[(IN, SIGNED_IN)]),
    row(
        "GET",
        "/collections/{id}",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    row(
        "PUT",
        "/collections/{id}",
        &[(IN, ADMIN_ONLY), (OUT, HIDDEN)],
    ),
    row(
        "POST",
        "/collections/{id}/items/{doc_id}/ack",
        &[(IN, ACK), (OUT, ACK_HIDDEN)],
    ),
    row(
        "GET",
        "/collections/{id}/progress",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    // collab.rs (comments by the admin on the target's document; an external guest reads but
    // may not comment without more than a reader's grant; resolving is for editors, deleting
    // someone else's comment for managers)
    row(
        "GET",
        "/documents/{id}/comments",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "POST",
        "/documents/{id}/comments",
        &[
            (IN, [200, 200, 200, 200, 200, 403, 401, 401]),
            (OUT, HIDDEN),
            (HID, HIDDEN),
        ],
    ),
    row(
        "PATCH",
        "/comments/{id}",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "DELETE",
        "/comments/{id}",
        &[(IN, MANAGE), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "PUT",
        "/documents/{id}/watch",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "DELETE",
        "/documents/{id}/watch",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "PUT",
        "/spaces/{id}/watch",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    row(
        "DELETE",
        "/spaces/{id}/watch",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    row(
        "POST",
        "/documents/{id}/editing",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "DELETE",
        "/documents/{id}/editing",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents/{id}/mentionable",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    // records.rs (the forms' schemas: no resource)
    row("GET", "/record-types", &[(IN, SIGNED_IN)]),
    // A list filtered to a space nobody but the admin reads is empty, not an error: the
    // leak check proves it names nothing.
    row("GET", "/records", &[(IN, SIGNED_IN), (OUT, SIGNED_IN)]),
    row("GET", "/action-items", &[(IN, SIGNED_IN), (OUT, SIGNED_IN)]),
    // An item of the admin's: editors tick it; readers and guests, not its owner, may not.
    // (Not in the hidden category: its review policy keeps a new document unpublished, and
    // only published versions hold items.)
    row("PATCH", "/action-items/{id}", &[(IN, EDIT), (OUT, HIDDEN)]),
    row("GET", "/templates", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row("POST", "/templates", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row("GET", "/templates/{id}", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row("DELETE", "/templates/{id}", &[(IN, MANAGE), (OUT, HIDDEN)]),
    row("GET", "/people", &[(IN, SIGNED_IN), (OUT, HIDDEN)]),
    row(
        "GET",
        "/spaces/{id}/members",
        &[(IN, SIGNED_IN), (OUT, HIDDEN)],
    ),
    // attachments.rs: files that become documents need the right to create there.
    row("POST", "/spaces/{id}/upload", &[(IN, EDIT), (OUT, HIDDEN)]),
    // An attachment is read exactly when its document is.
    row(
        "POST",
        "/documents/{id}/attachments",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/documents/{id}/attachments",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/attachments/{id}",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/attachments/{id}/content",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "GET",
        "/attachments/{id}/text",
        &[(IN, SIGNED_IN), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    row(
        "DELETE",
        "/attachments/{id}",
        &[(IN, EDIT), (OUT, HIDDEN), (HID, HIDDEN)],
    ),
    // openapi.rs
    row("GET", "/openapi.json", &[(IN, PUBLIC)]),
    // mod.rs
    row("GET", "/healthz", &[(IN, PUBLIC)]),
    // metrics.rs (outside /api/v1 too)
    row("GET", "/metrics", &[(IN, ADMIN_ONLY)]),
];

/// Routes that are not API routes: the static files of the browser UI (web.rs).
const EXEMPT: &[(&str, &str)] = &[("GET", "/"), ("GET", "/{*path}")];

// ---------------------------------------------------------------------------------------------
// The route census
// ---------------------------------------------------------------------------------------------

/// Every `(METHOD, PATH)` registered with `.route("PATH", get(..).post(..))` in `src/http/*.rs`.
fn registered_routes() -> BTreeSet<(String, String)> {
    registered_handlers()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect()
}

/// One registered route and the handler that serves it.
pub struct Registered {
    /// Upper case.
    pub method: String,
    /// As in the router.
    pub path: String,
    /// The source of the file that registers it, line comments dropped.
    pub code: std::rc::Rc<String>,
    /// The handler's name, when the method router names a function (`get(read)`).
    pub handler: Option<String>,
}

/// Every route registered in `src/http/*.rs`, with its handler.
pub fn registered_handlers() -> Vec<Registered> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut out: Vec<Registered> = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
    {
        let src = std::fs::read_to_string(&f).unwrap();
        // Drop line comments (doc comments may mention `.route(`).
        let code: String = src
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("//") {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let code = std::rc::Rc::new(code);
        for (method, path, handler) in parse_route_handlers(&code, &f.display().to_string()) {
            assert!(
                !out.iter().any(|r| r.method == method && r.path == path),
                "{method} {path} registered twice"
            );
            out.push(Registered {
                method,
                path,
                code: code.clone(),
                handler,
            });
        }
    }
    out
}

fn parse_routes(code: &str, file: &str) -> Vec<(String, String)> {
    parse_route_handlers(code, file)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect()
}

/// `(METHOD, PATH, handler)` of every `.route(..)` in `code`; the handler when the method
/// function's argument is a plain name.
fn parse_route_handlers(code: &str, file: &str) -> Vec<(String, String, Option<String>)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = code[from..].find(".route(") {
        let at = from + pos;
        let mut i = at + ".route(".len();
        from = i;
        if at > 0 && b[at - 1] == b'"' {
            continue; // the text ".route(" inside a string literal (openapi.rs scans sources too)
        }
        let skip_ws = |i: &mut usize| {
            while *i < b.len() && b[*i].is_ascii_whitespace() {
                *i += 1;
            }
        };
        skip_ws(&mut i);
        assert_eq!(
            b[i], b'"',
            "{file}: .route( without a string literal path at byte {i}"
        );
        let end = i + 1 + code[i + 1..].find('"').unwrap();
        let path = code[i + 1..end].to_owned();
        i = end + 1;
        skip_ws(&mut i);
        assert_eq!(b[i], b',', "{file}: route {path}: expected ','");
        i += 1;
        loop {
            skip_ws(&mut i);
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let name = code[start..i].rsplit("::").next().unwrap().to_owned();
            let method = match name.as_str() {
                "get" | "post" | "put" | "patch" | "delete" => Some(name.to_uppercase()),
                // Middleware on the method router, not a method.
                "layer" | "route_layer" => None,
                other => panic!(
                    "{file}: route {path}: unsupported routing function {other:?}; teach the census test"
                ),
            };
            skip_ws(&mut i);
            assert_eq!(
                b[i], b'(',
                "{file}: route {path}: expected '(' after {name}"
            );
            let open = i;
            i = skip_balanced(b, i);
            if let Some(method) = method {
                let arg = code[open + 1..i - 1].trim();
                let handler = (!arg.is_empty()
                    && arg.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_'))
                .then(|| arg.to_owned());
                out.push((method, path.clone(), handler));
            }
            skip_ws(&mut i);
            if b[i] == b',' {
                // A trailing comma after the method router.
                i += 1;
                skip_ws(&mut i);
            }
            match b[i] {
                b'.' => i += 1,
                b')' => break,
                c => panic!(
                    "{file}: route {path}: unexpected {:?} in the method chain",
                    c as char
                ),
            }
        }
    }
    out
}

/// From an opening parenthesis, the index just past its matching close (string literals skipped).
fn skip_balanced(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced parentheses in a route");
}

#[test]
fn the_route_census_reads_method_chains() {
    let src = r#"
        Router::new()
            .route("/a/{id}", get(|| async { f("(x)") }).post(b).delete(c))
            .route(
                "/b",
                axum::routing::put(d).layer(DefaultBodyLimit::max(1)),
            )
        // rest.find(".route(") in a string is not a route
    "#;
    let found = parse_routes(src, "test");
    let want: Vec<(String, String)> = [
        ("GET", "/a/{id}"),
        ("POST", "/a/{id}"),
        ("DELETE", "/a/{id}"),
        ("PUT", "/b"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(found, want);
}

#[test]
fn every_route_has_a_row() {
    let registered = registered_routes();
    assert!(
        registered.len() > 30,
        "the census found too few routes: {registered:?}"
    );
    let mut rows = BTreeSet::new();
    for r in ROWS {
        assert!(
            rows.insert((r.method.to_owned(), r.path.to_owned())),
            "duplicate row {} {}",
            r.method,
            r.path
        );
        assert!(!r.cases.is_empty());
    }
    let exempt: BTreeSet<(String, String)> = EXEMPT
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = registered
        .difference(&rows)
        .filter(|r| !exempt.contains(r))
        .collect();
    let stale: Vec<_> = rows
        .union(&exempt)
        .filter(|r| !registered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the permission matrix (tests/api/permissions.rs): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix rows or exemptions for routes that are not registered: {stale:?}"
    );
    // The same census keeps GET /api/v1/openapi.json honest: the generated description has
    // exactly the paths and methods served (API paths under /api/v1, `/healthz` as it is).
    let documented = crate::openapi::described_routes();
    let served: BTreeSet<(String, String)> = registered
        .iter()
        .filter(|r| !exempt.contains(*r))
        .cloned()
        .collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but missing from the generated openapi.json (a #[utoipa::path] on the handler, \
         listed in its module's ApiDoc): {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "in the generated openapi.json but not served: {phantom:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The fixture
// ---------------------------------------------------------------------------------------------

struct Fixture {
    srv: Server,
    admin: Client,
    /// One client per role, in the order of [`ROLES`] (the expired intern keeps its old token).
    clients: Vec<Client>,
    /// User id per role (empty for anonymous).
    user_ids: Vec<String>,
    /// An account nobody else may look at.
    spare: String,
    group_ed: String,
    space_a: String,
    space_b: String,
    space_all: String,
    cat_a: String,
    cat_h: String,
    cat_b: String,
    /// Visible in A (two versions).
    doc_a: String,
    /// In B (two versions).
    doc_b: String,
    /// In the hidden category of A (two versions).
    doc_h: String,
    /// Category 审核分类 of A: review policy with one stage for `everyone`.
    cat_r: String,
    /// A review by the editor in 审核分类, and one by `author1` in the hidden category.
    review_in: String,
    review_hidden: String,
    /// `author1`: an editor of A and of the hidden category (the author of hidden reviews).
    author: Client,
    /// `keeper1`: reads the hidden category (and nothing else of A); no role of the matrix.
    keeper: String,
    /// Texts and ids no non-admin may ever see.
    hidden: Vec<String>,
    /// What `everyone` can read but an external guest must not see.
    not_for_guests: Vec<String>,
}

async fn ok(resp: (StatusCode, Value), what: &str) -> Value {
    assert_eq!(resp.0, StatusCode::OK, "{what}: {}", resp.1);
    resp.1
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

impl Fixture {
    async fn build() -> Fixture {
        let srv = Server::start().await;
        let admin = srv.admin().await;
        let space_a = admin.new_space("甲空间").await;
        let space_b = admin.new_space("乙空间机密").await;
        let space_all = admin.new_space("全员空间").await;
        let cat_a = admin.new_category(&space_a, "公开分类", None).await;
        let cat_h = admin.new_category(&space_a, "限制分类", None).await;
        let cat_b = admin.new_category(&space_b, "机密分类乙", None).await;

        let future = (Utc::now() + Duration::days(30)).to_rfc3339();
        let mut clients = vec![admin.clone()];
        let admin_me = admin.get("/api/v1/me").await.1;
        let mut user_ids = vec![admin_me["user"]["id"].as_str().unwrap().to_owned()];
        for role in &ROLES[1..7] {
            let extra = match role {
                Role::External => json!({"kind": "external", "expires_at": future}),
                Role::ExpiredIntern => json!({"kind": "intern", "expires_at": future}),
                _ => json!({}),
            };
            let (id, c) = srv.user(&admin, role.username(), extra).await;
            user_ids.push(id);
            clients.push(c);
        }
        clients.push(srv.client());
        user_ids.push(String::new());
        let (spare, _) = srv.user(&admin, "spare1", json!({})).await;
        let (author_id, author) = srv.user(&admin, "author1", json!({})).await;
        let (keeper, _) = srv.user(&admin, "keeper1", json!({})).await;
        let uid = |r: Role| user_ids[r as usize].clone();

        let g = ok(
            admin
                .post(
                    "/api/v1/groups",
                    json!({"name": "编辑部", "members": [uid(Role::Editor)]}),
                )
                .await,
            "group",
        )
        .await;
        let group_ed = id_of(&g);
        let g = ok(
            admin
                .post(
                    "/api/v1/groups",
                    json!({"name": "读者部", "members": [uid(Role::Reader)]}),
                )
                .await,
            "group",
        )
        .await;
        let group_rd = id_of(&g);
        let grants = json!([
            {"principal": format!("user:{}", uid(Role::Manager)), "role": "manager"},
            {"principal": format!("group:{group_ed}"), "role": "editor"},
            {"principal": format!("user:{}", uid(Role::Reviewer)), "role": "reviewer"},
            {"principal": format!("group:{group_rd}"), "role": "reader"},
            {"principal": format!("user:{}", uid(Role::External)), "role": "reader"},
            {"principal": format!("user:{}", uid(Role::ExpiredIntern)), "role": "editor"},
            {"principal": format!("user:{author_id}"), "role": "editor"},
        ]);
        ok(
            admin
                .put(&format!("/api/v1/spaces/{space_a}/grants"), grants)
                .await,
            "grants A",
        )
        .await;
        ok(
            admin
                .put(
                    &format!("/api/v1/spaces/{space_all}/grants"),
                    json!([{"principal": "everyone", "role": "reader"}]),
                )
                .await,
            "grants all",
        )
        .await;

        let new_doc = |space: String, cat: Option<String>, title: &str, body: &str, tags: Value| {
            let admin = admin.clone();
            let (title, body) = (title.to_owned(), body.to_owned());
            async move {
                let d = ok(admin.post("/api/v1/documents", json!({"space_id": space, "category_id": cat, "title": title, "body": body, "tags": tags})).await, "doc").await;
                let id = id_of(&d);
                let v2 = json!({"title": title, "body": format!("{body}第二版\n"), "tags": tags, "base_version": 1});
                ok(
                    admin.put(&format!("/api/v1/documents/{id}"), v2).await,
                    "doc v2",
                )
                .await;
                id
            }
        };
        let secret = json!(["机密标签"]);
        let doc_a = new_doc(
            space_a.clone(),
            Some(cat_a.clone()),
            "公开文档甲",
            "季度报告 公开内容\n",
            json!(["公开"]),
        )
        .await;
        let doc_b = new_doc(
            space_b.clone(),
            Some(cat_b.clone()),
            "机密标题XYZ",
            "机密正文QWE 季度报告\n",
            secret.clone(),
        )
        .await;
        let doc_h = new_doc(
            space_a.clone(),
            Some(cat_h.clone()),
            "机密标题XYZ丙",
            "机密正文QWE 季度报告\n",
            secret.clone(),
        )
        .await;
        let doc_all = new_doc(
            space_all.clone(),
            None,
            "全员文档",
            "季度报告 全员内容\n",
            json!([]),
        )
        .await;
        // Trashed hidden document.
        let d = admin
            .new_doc(&space_b, Some(&cat_b), "机密标题XYZ回收", "机密正文QWE\n")
            .await;
        let doc_trashed = id_of(&d);
        ok(
            admin
                .delete(&format!("/api/v1/documents/{doc_trashed}"))
                .await,
            "trash",
        )
        .await;
        // A document everyone favourites while it is visible, then moved into the hidden category.
        let d = admin
            .new_doc(&space_a, Some(&cat_a), "收藏文档", "季度报告 收藏\n")
            .await;
        let doc_moved = id_of(&d);
        for c in &clients[1..6] {
            ok(
                c.put(
                    &format!("/api/v1/documents/{doc_moved}/favourite"),
                    json!({}),
                )
                .await,
                "favourite",
            )
            .await;
        }
        let moved = json!({"title": "机密标题XYZ已移走", "body": "机密正文QWE 季度报告\n", "tags": secret, "category_id": cat_h, "base_version": 1});
        ok(
            admin
                .put(&format!("/api/v1/documents/{doc_moved}"), moved)
                .await,
            "move",
        )
        .await;
        // The editor leaves a draft in the category (under review policy), then loses access to it.
        let policy = json!({"stages": [{"name": "一审", "reviewers": [format!("user:{}", uid(Role::Reviewer))], "quorum": "any"}]});
        ok(
            admin
                .put(&format!("/api/v1/categories/{cat_h}/review-policy"), policy)
                .await,
            "policy",
        )
        .await;
        let ed = &clients[Role::Editor as usize];
        let d = ok(ed.post("/api/v1/documents", json!({"space_id": space_a, "category_id": cat_h, "title": "机密标题XYZ草稿", "body": "机密正文QWE\n", "tags": ["机密标签"]})).await, "draft").await;
        assert_eq!(d["status"], "draft", "{d}");
        let doc_draft = id_of(&d);
        ok(ed.get("/api/v1/drafts").await, "drafts").await;
        let only_author = json!({"inherit": false, "grants": [
            {"principal": format!("user:{author_id}"), "role": "editor"},
            {"principal": format!("user:{keeper}"), "role": "reader"},
        ]});
        ok(
            admin
                .put(&format!("/api/v1/categories/{cat_h}/grants"), only_author)
                .await,
            "hide",
        )
        .await;
        // Reviews: one in a reviewed category everybody with a reviewer role may decide, one hidden.
        let cat_r = admin.new_category(&space_a, "审核分类", None).await;
        let everyone_reviews =
            json!({"stages": [{"name": "终审", "reviewers": ["everyone"], "quorum": "any"}]});
        ok(
            admin
                .put(
                    &format!("/api/v1/categories/{cat_r}/review-policy"),
                    everyone_reviews,
                )
                .await,
            "policy r",
        )
        .await;
        let review_in = submit_new(ed, &space_a, &cat_r, "待审文档", "季度报告 待审\n").await;
        let review_hidden = submit_new(
            &author,
            &space_a,
            &cat_h,
            "机密标题XYZ待审",
            "机密正文QWE\n",
        )
        .await;

        // The intern works, then its end date passes: its token stops working.
        let intern = &clients[Role::ExpiredIntern as usize];
        ok(intern.get("/api/v1/me").await, "intern before expiry").await;
        let past = (Utc::now() - Duration::minutes(1)).to_rfc3339();
        ok(
            admin
                .patch(
                    &format!("/api/v1/users/{}", uid(Role::ExpiredIntern)),
                    json!({"expires_at": past}),
                )
                .await,
            "expire",
        )
        .await;
        let r = intern.get("/api/v1/me").await;
        assert_eq!(
            r.0,
            StatusCode::UNAUTHORIZED,
            "expired intern's token still works: {}",
            r.1
        );

        // Everything hidden is indexed before the matrix runs (so search really has something to hide).
        for id in [&doc_b, &doc_h, &doc_all] {
            admin.search_until("季度报告", id, true).await;
        }
        admin.search_until("机密", &doc_moved, true).await;

        let hidden = vec![
            "机密标题XYZ".to_owned(),
            "机密正文QWE".to_owned(),
            "机密标签".to_owned(),
            "乙空间机密".to_owned(),
            "机密分类乙".to_owned(),
            space_b.clone(),
            cat_b.clone(),
            doc_b.clone(),
            doc_h.clone(),
            doc_trashed,
            doc_moved,
            doc_draft,
            review_hidden.clone(),
        ];
        let not_for_guests = vec![
            "全员空间".to_owned(),
            "全员文档".to_owned(),
            space_all.clone(),
            doc_all,
        ];
        Fixture {
            srv,
            admin,
            clients,
            user_ids,
            spare,
            group_ed,
            space_a,
            space_b,
            space_all,
            cat_a,
            cat_h,
            cat_b,
            doc_a,
            doc_b,
            doc_h,
            cat_r,
            review_in,
            review_hidden,
            author,
            keeper,
            hidden,
            not_for_guests,
        }
    }

    fn doc(&self, t: Target) -> &str {
        match t {
            IN => &self.doc_a,
            OUT => &self.doc_b,
            HID => &self.doc_h,
        }
    }

    fn space(&self, t: Target) -> &str {
        match t {
            OUT => &self.space_b,
            _ => &self.space_a,
        }
    }

    fn category(&self, t: Target) -> &str {
        match t {
            IN => &self.cat_a,
            OUT => &self.cat_b,
            HID => &self.cat_h,
        }
    }

    /// A new document at the target, made by the admin (optionally already in the trash).
    /// A new comment by the admin on the target's document.
    async fn admin_comment(&self, t: Target, n: usize) -> String {
        let body = match t {
            IN => format!("公开评论{n}"),
            _ => format!("机密正文QWE评论{n}"),
        };
        id_of(
            &ok(
                self.admin
                    .post(
                        &format!("/api/v1/documents/{}/comments", self.doc(t)),
                        json!({ "body": body }),
                    )
                    .await,
                "admin comment",
            )
            .await,
        )
    }

    /// An action item of the admin's in a fresh document at the target.
    async fn admin_item(&self, t: Target, n: usize) -> String {
        let title = match t {
            IN => format!("待办文档{n}"),
            _ => format!("机密标题XYZ待办{n}"),
        };
        let body = json!({"space_id": self.space(t), "category_id": self.category(t), "title": title,
                          "body": format!("- [ ] 事项{n} @admin 截止:2030-01-01\n"), "tags": []});
        let doc = id_of(&ok(self.admin.post("/api/v1/documents", body).await, "item doc").await);
        let items = ok(
            self.admin
                .get(&format!(
                    "/api/v1/action-items?assignee=all&space_id={}",
                    self.space(t)
                ))
                .await,
            "items",
        )
        .await;
        items["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["doc_id"] == doc.as_str())
            .map(id_of)
            .unwrap_or_else(|| panic!("no item of {doc}: {items}"))
    }

    /// An attachment of the admin's on the target's document.
    async fn admin_attachment(&self, t: Target, n: usize) -> String {
        let text = match t {
            IN => format!("公开附件{n}"),
            _ => format!("机密正文QWE附件{n}"),
        };
        let r = ok(
            crate::attachments::attach(
                &self.admin,
                self.doc(t),
                &[(&format!("a{n}.txt"), text.as_bytes())],
            )
            .await,
            "admin attachment",
        )
        .await;
        id_of(&r["attachments"][0])
    }

    /// A template of the admin's in the target's space.
    async fn admin_template(&self, t: Target, n: usize) -> String {
        let name = match t {
            IN => format!("公开模板{n}"),
            _ => format!("机密标题XYZ模板{n}"),
        };
        id_of(
            &ok(
                self.admin
                    .post(
                        "/api/v1/templates",
                        json!({"name": name, "space_id": self.space(t), "body": "x"}),
                    )
                    .await,
                "admin template",
            )
            .await,
        )
    }

    async fn fresh_doc(&self, t: Target, n: usize, trashed: bool) -> String {
        let (title, body, tags) = match t {
            IN => (format!("临时文档{n}"), "季度报告 临时\n", json!([])),
            _ => (
                format!("机密标题XYZ临时{n}"),
                "机密正文QWE\n",
                json!(["机密标签"]),
            ),
        };
        let body = json!({"space_id": self.space(t), "category_id": self.category(t), "title": title, "body": body, "tags": tags});
        let id = id_of(
            &ok(
                self.admin.post("/api/v1/documents", body).await,
                "fresh doc",
            )
            .await,
        );
        if trashed {
            ok(
                self.admin.delete(&format!("/api/v1/documents/{id}")).await,
                "fresh trash",
            )
            .await;
        }
        id
    }

    /// The items and audience of a collection at the target (see the rows of onboarding.rs).
    fn collection_body(&self, t: Target, n: usize) -> Value {
        let (doc, audience): (&str, Vec<String>) = match t {
            IN => (
                &self.doc_a,
                [
                    Role::Manager,
                    Role::Editor,
                    Role::Reviewer,
                    Role::Reader,
                    Role::External,
                    Role::ExpiredIntern,
                ]
                .iter()
                .map(|r| format!("user:{}", self.user_ids[*r as usize]))
                .collect(),
            ),
            _ => (&self.doc_h, vec![format!("user:{}", self.keeper)]),
        };
        json!({"name": format!("入职合集{n}"), "items": [{"doc_id": doc, "required": true}], "audience": audience, "due_days": 7})
    }

    /// A new collection at the target, made by the admin.
    async fn fresh_collection(&self, t: Target, n: usize) -> String {
        let c = ok(
            self.admin
                .post("/api/v1/collections", self.collection_body(t, n))
                .await,
            "collection",
        )
        .await;
        id_of(&c)
    }

    async fn admin_get(&self, path: &str) -> Value {
        ok(self.admin.get(&format!("/api/v1{path}")).await, path).await
    }

    /// Builds the request of a matrix cell. Writes read the current state first (as admin), so
    /// every cell is meaningful however earlier cells changed things.
    async fn prepare(&self, row: &Row, role: Role, t: Target, n: usize) -> Req {
        let api = |p: String| format!("/api/v1{p}");
        let get = |p: String| Req::new(Method::GET, api(p), None);
        let with = |m: Method, p: String, b: Value| Req::new(m, api(p), Some(b));
        let me = if role == Role::Anonymous {
            self.user_ids[Role::Reader as usize].clone()
        } else {
            self.user_ids[role as usize].clone()
        };
        match (row.method, row.path) {
            ("POST", "/session") => {
                let mut r = with(
                    Method::POST,
                    "/session".into(),
                    json!({"username": role.username(), "password": role.password()}),
                );
                r.client = Some(self.srv.client());
                r
            }
            ("DELETE", "/session") => {
                let mut r = Req::new(Method::DELETE, api("/session".into()), None);
                if role.active() {
                    r.client = Some(self.srv.login(role.username(), role.password()).await);
                    r.then_unauthenticated = true;
                }
                r
            }
            ("GET", "/me") => get("/me".into()),
            ("POST", "/documents") => {
                let (title, body, tags) = match t {
                    IN => (format!("新文档{n}"), "季度报告 新建\n", json!(["公开"])),
                    _ => (
                        format!("机密标题XYZ新{n}"),
                        "机密正文QWE\n",
                        json!(["机密标签"]),
                    ),
                };
                with(
                    Method::POST,
                    "/documents".into(),
                    json!({"space_id": self.space(t), "category_id": self.category(t), "title": title, "body": body, "tags": tags}),
                )
            }
            ("GET", "/documents") => match t {
                IN => get(format!("/documents?space_id={}&limit=100", self.space_a)),
                OUT => get(format!("/documents?space_id={}&limit=100", self.space_b)),
                HID => get(format!("/documents?category_id={}&limit=100", self.cat_h)),
            },
            ("GET", "/documents/{id}") => get(format!("/documents/{}", self.doc(t))),
            ("PUT", "/documents/{id}") => {
                let id = self.doc(t);
                let cur = self.admin_get(&format!("/documents/{id}")).await;
                let body = format!("{}编辑{n}\n", cur["body"].as_str().unwrap());
                with(
                    Method::PUT,
                    format!("/documents/{id}"),
                    json!({"title": cur["title"], "body": body, "tags": cur["tags"], "base_version": cur["version"]}),
                )
            }
            ("DELETE", "/documents/{id}") => {
                let id = self.fresh_doc(t, n, false).await;
                Req::new(Method::DELETE, api(format!("/documents/{id}")), None)
            }
            ("POST", "/documents/{id}/undelete") => {
                let id = self.fresh_doc(t, n, true).await;
                with(Method::POST, format!("/documents/{id}/undelete"), json!({}))
            }
            ("GET", "/documents/{id}/versions") => {
                get(format!("/documents/{}/versions", self.doc(t)))
            }
            ("GET", "/documents/{id}/versions/{n}") => {
                get(format!("/documents/{}/versions/1", self.doc(t)))
            }
            ("GET", "/documents/{id}/diff") => {
                get(format!("/documents/{}/diff?from=1&to=2", self.doc(t)))
            }
            ("POST", "/documents/{id}/restore") => with(
                Method::POST,
                format!("/documents/{}/restore", self.doc(t)),
                json!({"version": 1}),
            ),
            ("PUT", "/documents/{id}/favourite") => with(
                Method::PUT,
                format!("/documents/{}/favourite", self.doc(t)),
                json!({}),
            ),
            ("DELETE", "/documents/{id}/favourite") => Req::new(
                Method::DELETE,
                api(format!("/documents/{}/favourite", self.doc(t))),
                None,
            ),
            ("GET", "/favourites") => get("/favourites".into()),
            ("GET", "/trash") => get("/trash".into()),
            ("GET", "/drafts") => get("/drafts".into()),
            ("GET", "/spaces") => get("/spaces".into()),
            ("POST", "/spaces") => with(
                Method::POST,
                "/spaces".into(),
                json!({"name": format!("新空间{n}")}),
            ),
            ("GET", "/spaces/{id}") => get(format!("/spaces/{}", self.space(t))),
            ("PATCH", "/spaces/{id}") => with(
                Method::PATCH,
                format!("/spaces/{}", self.space(t)),
                json!({"description": format!("说明{n}")}),
            ),
            ("PUT", "/spaces/{id}/grants") => {
                let s = self.space(t);
                let cur = self.admin_get(&format!("/spaces/{s}/grants")).await;
                with(Method::PUT, format!("/spaces/{s}/grants"), cur)
            }
            ("GET", "/spaces/{id}/grants") => get(format!("/spaces/{}/grants", self.space(t))),
            ("GET", "/spaces/{id}/webhooks") => get(format!("/spaces/{}/webhooks", self.space(t))),
            // An empty list: no robot is posted to while the matrix publishes documents.
            ("PUT", "/spaces/{id}/webhooks") => with(
                Method::PUT,
                format!("/spaces/{}/webhooks", self.space(t)),
                json!([]),
            ),
            ("PUT", "/spaces/{id}/review-policy") => with(
                Method::PUT,
                format!("/spaces/{}/review-policy", self.space(t)),
                json!({"stages": []}),
            ),
            ("GET", "/spaces/{id}/categories") => {
                get(format!("/spaces/{}/categories", self.space(t)))
            }
            ("POST", "/spaces/{id}/categories") => {
                let parent = match t {
                    OUT => Value::Null,
                    _ => json!(self.category(t)),
                };
                with(
                    Method::POST,
                    format!("/spaces/{}/categories", self.space(t)),
                    json!({"name": format!("子分类{n}"), "parent_id": parent}),
                )
            }
            ("PATCH", "/categories/{id}") => {
                let c = self.category(t);
                let cur = self.admin_get(&format!("/categories/{c}")).await;
                with(
                    Method::PATCH,
                    format!("/categories/{c}"),
                    json!({"name": cur["name"]}),
                )
            }
            ("GET", "/categories/{id}") => get(format!("/categories/{}", self.category(t))),
            ("PUT", "/categories/{id}/grants") => {
                let c = self.category(t);
                let cur = self.admin_get(&format!("/categories/{c}")).await;
                with(
                    Method::PUT,
                    format!("/categories/{c}/grants"),
                    json!({"inherit": cur["inherit"], "grants": cur["grants"]}),
                )
            }
            ("PUT", "/categories/{id}/review-policy") => {
                let c = self.category(t);
                let cur = self.admin_get(&format!("/categories/{c}")).await;
                let policy = if cur["review_policy"].is_null() {
                    json!({"stages": []})
                } else if t == HID {
                    // The stored policy names the reviewer who has since lost 限制分类, which a
                    // policy may not do (400, see tests/api/reviews.rs); name one who reads there.
                    json!({"stages": [{"name": "一审", "reviewers": [format!("user:{}", self.keeper)], "quorum": "any"}]})
                } else {
                    cur["review_policy"].clone()
                };
                with(
                    Method::PUT,
                    format!("/categories/{c}/review-policy"),
                    policy,
                )
            }
            ("GET", "/search") => match t {
                IN => get(format!("/search?q={}&limit=100", urlencode("季度报告"))),
                OUT => get(format!("/search?q={}&limit=100", urlencode("机密"))),
                HID => get(format!("/search?q={}&limit=100", urlencode("#机密标签"))),
            },
            // Hidden titles by their words and by their pinyin initials (机密标题: jmbt).
            ("GET", "/search/suggest") => match t {
                IN => get(format!("/search/suggest?q={}", urlencode("公开文档"))),
                OUT => get(format!("/search/suggest?q={}", urlencode("机密标题"))),
                HID => get("/search/suggest?q=jmbt".into()),
            },
            ("GET", "/documents/{id}/related") => {
                get(format!("/documents/{}/related", self.doc(t)))
            }
            ("GET", "/record-types") => get("/record-types".into()),
            ("GET", "/records") => get(format!("/records?space_id={}", self.space(t))),
            ("GET", "/action-items") => get(format!(
                "/action-items?assignee=all&status=all&space_id={}",
                self.space(t)
            )),
            ("PATCH", "/action-items/{id}") => with(
                Method::PATCH,
                format!("/action-items/{}", self.admin_item(t, n).await),
                json!({"done": true}),
            ),
            ("GET", "/templates") => get(format!("/templates?space_id={}", self.space(t))),
            ("POST", "/templates") => with(
                Method::POST,
                "/templates".into(),
                json!({"name": format!("模板{n}"), "space_id": self.space(t), "body": "x"}),
            ),
            ("GET", "/templates/{id}") => {
                get(format!("/templates/{}", self.admin_template(t, n).await))
            }
            ("DELETE", "/templates/{id}") => Req::new(
                Method::DELETE,
                api(format!("/templates/{}", self.admin_template(t, n).await)),
                None,
            ),
            ("POST", "/spaces/{id}/upload") => {
                let boundary = "----hanlin-matrix-upload";
                let body = format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"category_id\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"上传{n}.md\"\r\n\r\n# 上传文档{n}\n\n季度报告 上传\n\r\n--{boundary}--\r\n",
                    self.category(t)
                );
                let mut r = Req::new(
                    Method::POST,
                    api(format!("/spaces/{}/upload", self.space(t))),
                    None,
                );
                r.raw = Some(body.into_bytes());
                r.raw_type = Some(format!("multipart/form-data; boundary={boundary}"));
                r
            }
            ("POST", "/documents/{id}/attachments") => {
                let (ct, body) = crate::attachments::multipart(&[(
                    &format!("附件{n}.txt"),
                    "附件正文".as_bytes(),
                )]);
                let mut r = Req::new(
                    Method::POST,
                    api(format!("/documents/{}/attachments", self.doc(t))),
                    None,
                );
                r.raw = Some(body);
                r.raw_type = Some(ct);
                r
            }
            ("GET", "/documents/{id}/attachments") => {
                get(format!("/documents/{}/attachments", self.doc(t)))
            }
            ("GET", "/attachments/{id}") => get(format!(
                "/attachments/{}",
                self.admin_attachment(t, n).await
            )),
            ("GET", "/attachments/{id}/content") => get(format!(
                "/attachments/{}/content",
                self.admin_attachment(t, n).await
            )),
            ("GET", "/attachments/{id}/text") => get(format!(
                "/attachments/{}/text",
                self.admin_attachment(t, n).await
            )),
            ("DELETE", "/attachments/{id}") => Req::new(
                Method::DELETE,
                api(format!(
                    "/attachments/{}",
                    self.admin_attachment(t, n).await
                )),
                None,
            ),
            ("GET", "/people") => get(format!("/people?q=&space_id={}", self.space(t))),
            ("GET", "/spaces/{id}/members") => get(format!("/spaces/{}/members", self.space(t))),
            ("GET", "/documents/{id}/comments") => {
                get(format!("/documents/{}/comments", self.doc(t)))
            }
            ("POST", "/documents/{id}/comments") => with(
                Method::POST,
                format!("/documents/{}/comments", self.doc(t)),
                json!({"body": format!("评论{n}")}),
            ),
            ("PATCH", "/comments/{id}") => with(
                Method::PATCH,
                format!("/comments/{}", self.admin_comment(t, n).await),
                json!({"resolved": true}),
            ),
            ("DELETE", "/comments/{id}") => Req::new(
                Method::DELETE,
                api(format!("/comments/{}", self.admin_comment(t, n).await)),
                None,
            ),
            ("PUT", "/documents/{id}/watch") => with(
                Method::PUT,
                format!("/documents/{}/watch", self.doc(t)),
                json!({}),
            ),
            ("DELETE", "/documents/{id}/watch") => Req::new(
                Method::DELETE,
                api(format!("/documents/{}/watch", self.doc(t))),
                None,
            ),
            ("PUT", "/spaces/{id}/watch") => with(
                Method::PUT,
                format!("/spaces/{}/watch", self.space(t)),
                json!({}),
            ),
            ("DELETE", "/spaces/{id}/watch") => Req::new(
                Method::DELETE,
                api(format!("/spaces/{}/watch", self.space(t))),
                None,
            ),
            ("POST", "/documents/{id}/editing") => with(
                Method::POST,
                format!("/documents/{}/editing", self.doc(t)),
                json!({}),
            ),
            ("DELETE", "/documents/{id}/editing") => Req::new(
                Method::DELETE,
                api(format!("/documents/{}/editing", self.doc(t))),
                None,
            ),
            ("GET", "/documents/{id}/mentionable") => {
                get(format!("/documents/{}/mentionable?q=", self.doc(t)))
            }
            ("GET", "/admin/synonyms") => get("/admin/synonyms".into()),
            ("PUT", "/admin/synonyms") => with(
                Method::PUT,
                "/admin/synonyms".into(),
                json!({"groups": [["甲方", "客户"]]}),
            ),
            ("GET", "/users") => get("/users".into()),
            ("POST", "/users") => with(
                Method::POST,
                "/users".into(),
                json!({"username": format!("new{n}"), "password": PASSWORD}),
            ),
            ("GET", "/users/{id}") => match t {
                IN => get(format!("/users/{me}")),
                _ => get(format!("/users/{}", self.spare)),
            },
            ("PATCH", "/users/{id}") => {
                let id = if t == IN { me } else { self.spare.clone() };
                with(
                    Method::PATCH,
                    format!("/users/{id}"),
                    json!({"display_name": format!("名字{n}")}),
                )
            }
            ("POST", "/me/password") => with(
                Method::POST,
                "/me/password".into(),
                json!({"current_password": role.password(), "new_password": role.password()}),
            ),
            ("GET", "/groups") => get("/groups".into()),
            ("POST", "/groups") => with(
                Method::POST,
                "/groups".into(),
                json!({"name": format!("部门{n}")}),
            ),
            ("GET", "/groups/{id}") => get(format!("/groups/{}", self.group_ed)),
            ("PATCH", "/groups/{id}") => {
                let cur = self.admin_get(&format!("/groups/{}", self.group_ed)).await;
                with(
                    Method::PATCH,
                    format!("/groups/{}", self.group_ed),
                    json!({"name": cur["name"]}),
                )
            }
            ("PUT", "/groups/{id}/members") => {
                let cur = self.admin_get(&format!("/groups/{}", self.group_ed)).await;
                with(
                    Method::PUT,
                    format!("/groups/{}/members", self.group_ed),
                    json!({"members": cur["members"]}),
                )
            }
            ("GET", "/audit") => get("/audit?limit=500".into()),
            ("POST", "/documents/{id}/submit") => {
                let (c, cat, title) = match t {
                    IN => (
                        &self.clients[Role::Editor as usize],
                        &self.cat_r,
                        format!("提交文档{n}"),
                    ),
                    _ => (&self.author, &self.cat_h, format!("机密标题XYZ提交{n}")),
                };
                let d = ok(c.post("/api/v1/documents", json!({"space_id": self.space_a, "category_id": cat, "title": title, "body": "季度报告\n"})).await, "draft").await;
                with(
                    Method::POST,
                    format!("/documents/{}/submit", id_of(&d)),
                    json!({}),
                )
            }
            ("PUT", "/documents/{id}/review-by") => with(
                Method::PUT,
                format!("/documents/{}/review-by", self.doc(t)),
                json!({"date": "2031-01-01"}),
            ),
            ("GET", "/reviews") => get("/reviews?limit=100".into()),
            ("GET", "/reviews/stale") => get("/reviews/stale".into()),
            ("GET", "/reviews/{id}") => get(format!(
                "/reviews/{}",
                if t == IN {
                    &self.review_in
                } else {
                    &self.review_hidden
                }
            )),
            ("POST", "/reviews/{id}/approve")
            | ("POST", "/reviews/{id}/reject")
            | ("POST", "/reviews/{id}/withdraw") => {
                let id = match t {
                    IN => {
                        submit_new(
                            &self.clients[Role::Editor as usize],
                            &self.space_a,
                            &self.cat_r,
                            &format!("待审文档{n}"),
                            "季度报告 待审\n",
                        )
                        .await
                    }
                    _ => {
                        submit_new(
                            &self.author,
                            &self.space_a,
                            &self.cat_h,
                            &format!("机密标题XYZ待审{n}"),
                            "机密正文QWE\n",
                        )
                        .await
                    }
                };
                let verb = row.path.rsplit('/').next().unwrap();
                with(
                    Method::POST,
                    format!("/reviews/{id}/{verb}"),
                    json!({"comment": "请补充数据来源"}),
                )
            }
            ("GET", "/notifications") => get("/notifications?limit=100".into()),
            ("POST", "/notifications/read") => {
                with(Method::POST, "/notifications/read".into(), json!({}))
            }
            ("GET", "/admin/sensitive-words") => get("/admin/sensitive-words".into()),
            ("PUT", "/admin/sensitive-words") => {
                let cur = self.admin_get("/admin/sensitive-words").await;
                with(
                    Method::PUT,
                    "/admin/sensitive-words".into(),
                    json!({"words": cur["words"]}),
                )
            }
            ("POST", "/spaces/{id}/import") => {
                let mut r = Req::new(
                    Method::POST,
                    api(format!("/spaces/{}/import", self.space(t))),
                    None,
                );
                r.raw = Some(zip_of(
                    &format!("导入文档{n}.md"),
                    "# 导入文档\n\n季度报告 导入\n",
                ));
                r
            }
            ("POST", "/render") => with(
                Method::POST,
                "/render".into(),
                json!({"body": format!("# 预览{n}\n\n- [x] 季度报告\n")}),
            ),
            ("POST", "/diff") => with(
                Method::POST,
                "/diff".into(),
                json!({"from": "季度报告\n", "to": format!("季度报告 修订{n}\n")}),
            ),
            ("GET", "/admin/backups") => get("/admin/backups".into()),
            ("GET", "/admin/stats") => get(format!("/admin/stats?space_id={}", self.space(t))),
            ("POST", "/admin/backups") => with(Method::POST, "/admin/backups".into(), json!({})),
            ("GET", "/spaces/{id}/export") => get(format!("/spaces/{}/export", self.space(t))),
            ("GET", "/documents/{id}/export") => get(format!("/documents/{}/export", self.doc(t))),
            ("POST", "/collections") => with(
                Method::POST,
                "/collections".into(),
                self.collection_body(t, n),
            ),
            ("GET", "/collections") => get("/collections".into()),
            ("GET", "/collections/{id}") => get(format!(
                "/collections/{}",
                self.fresh_collection(t, n).await
            )),
            ("PUT", "/collections/{id}") => {
                let id = self.fresh_collection(t, n).await;
                with(
                    Method::PUT,
                    format!("/collections/{id}"),
                    self.collection_body(t, n + 1),
                )
            }
            ("POST", "/collections/{id}/items/{doc_id}/ack") => {
                let id = self.fresh_collection(t, n).await;
                let doc = if t == IN { &self.doc_a } else { &self.doc_h };
                with(
                    Method::POST,
                    format!("/collections/{id}/items/{doc}/ack"),
                    json!({}),
                )
            }
            ("GET", "/collections/{id}/progress") => get(format!(
                "/collections/{}/progress",
                self.fresh_collection(t, n).await
            )),
            ("GET", "/openapi.json") => get("/openapi.json".into()),
            ("GET", "/healthz") => Req::new(Method::GET, "/healthz".into(), None),
            ("GET", "/metrics") => Req::new(Method::GET, "/metrics".into(), None),
            (m, p) => panic!("no request builder for the row {m} {p}: add one to Fixture::prepare"),
        }
    }

    /// Hidden strings in a non-admin's response that the request did not itself carry.
    fn leaks(&self, role: Role, req: &Req, body: &Value) -> Vec<String> {
        let text = body.to_string();
        let sent = format!(
            "{} {}",
            req.path,
            req.body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        let guest_only: &[String] = if role == Role::External {
            &self.not_for_guests
        } else {
            &[]
        };
        self.hidden
            .iter()
            .chain(guest_only)
            .filter(|m| text.contains(m.as_str()) && !sent.contains(m.as_str()))
            .cloned()
            .collect()
    }

    /// Extra checks on a search answered to a non-admin: totals and facets count only what the
    /// caller may read.
    fn check_search(&self, role: Role, t: Target, body: &Value) -> Vec<String> {
        let mut errs = Vec::new();
        let total = body["total"].as_u64().unwrap_or(u64::MAX);
        let hits = body["hits"].as_array().map(Vec::len).unwrap_or(0) as u64;
        if total != hits {
            errs.push(format!("total {total} but {hits} hits (limit 100): {body}"));
        }
        let spaces = body["facets"]["spaces"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let sum: u64 = spaces.values().filter_map(Value::as_u64).sum();
        if sum != total {
            errs.push(format!(
                "space facets add up to {sum}, total is {total}: {body}"
            ));
        }
        let allowed: Vec<&str> = if role == Role::External {
            vec![&self.space_a]
        } else {
            vec![&self.space_a, &self.space_all]
        };
        for k in spaces.keys() {
            if !allowed.contains(&k.as_str()) {
                errs.push(format!(
                    "facet for space {k} the caller cannot read: {body}"
                ));
            }
        }
        if body["facets"]["categories"].get(&self.cat_h).is_some()
            || body.to_string().contains(&self.cat_h)
        {
            errs.push(format!("hidden category {} appears: {body}", self.cat_h));
        }
        if t != IN && total != 0 {
            errs.push(format!("a search for hidden text found {total}: {body}"));
        }
        if t == IN && total == 0 {
            errs.push(format!("a search for visible text found nothing: {body}"));
        }
        errs
    }
}

/// Creates a document in a reviewed category and submits it; the review id.
async fn submit_new(c: &Client, space: &str, cat: &str, title: &str, body: &str) -> String {
    let d = ok(
        c.post(
            "/api/v1/documents",
            json!({"space_id": space, "category_id": cat, "title": title, "body": body}),
        )
        .await,
        "draft",
    )
    .await;
    let r = ok(
        c.post(
            &format!("/api/v1/documents/{}/submit", id_of(&d)),
            json!({}),
        )
        .await,
        "submit",
    )
    .await;
    r["id"]
        .as_str()
        .or(r["review"]["id"].as_str())
        .unwrap_or_else(|| panic!("no review id: {r}"))
        .to_owned()
}

/// A zip holding one Markdown file.
fn zip_of(name: &str, text: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
        w.finish().unwrap();
    }
    buf.into_inner()
}

struct Req {
    method: Method,
    path: String,
    body: Option<Value>,
    /// Send with this client instead of the role's own.
    client: Option<Client>,
    /// After success, the client's token must be dead (logout).
    then_unauthenticated: bool,
    /// A zip body instead of JSON.
    raw: Option<Vec<u8>>,
    /// The raw body's type, when it is not a zip.
    raw_type: Option<String>,
}

impl Req {
    fn new(method: Method, path: String, body: Option<Value>) -> Req {
        Req {
            method,
            path,
            body,
            client: None,
            then_unauthenticated: false,
            raw: None,
            raw_type: None,
        }
    }
}

fn expected_code(row: &Row, role: Role, status: u16) -> &'static str {
    match (row.method, row.path, role, status) {
        ("POST", "/session", Role::Anonymous, 401) => "invalid_credentials",
        ("POST", "/session", Role::ExpiredIntern, 403) => "account_inactive",
        ("POST", "/reviews/{id}/approve" | "/reviews/{id}/reject", Role::Admin, 403) => {
            "not_a_reviewer"
        }
        ("POST", "/reviews/{id}/approve" | "/reviews/{id}/reject", _, 403) => "self_approval",
        ("POST", "/reviews/{id}/withdraw", _, 403) => "not_author",
        (.., 401) => "unauthenticated",
        (.., 403) => "forbidden",
        (.., 404) => "not_found",
        _ => panic!("no error code known for {status}"),
    }
}

#[tokio::test]
async fn permission_matrix() {
    let fx = Fixture::build().await;
    let mut failures: Vec<String> = Vec::new();
    let mut cells = 0usize;
    for row in ROWS {
        for &(target, expect) in row.cases {
            for role in ROLES {
                cells += 1;
                let req = fx.prepare(row, role, target, cells).await;
                let client = req
                    .client
                    .clone()
                    .unwrap_or_else(|| fx.clients[role as usize].clone());
                let (st, body) = match &req.raw {
                    Some(bytes) => {
                        client
                            .raw(
                                req.method.clone(),
                                &req.path,
                                req.raw_type.as_deref().unwrap_or("application/zip"),
                                bytes.clone(),
                            )
                            .await
                    }
                    None => {
                        client
                            .send(req.method.clone(), &req.path, req.body.clone())
                            .await
                    }
                };
                let want = expect[role as usize];
                let label = format!(
                    "{} {} [{target:?}] as {role:?} ({} {})",
                    row.method, row.path, req.method, req.path
                );
                if st.as_u16() != want {
                    failures.push(format!("{label}: expected {want}, got {st}: {body}"));
                    continue;
                }
                if want != 200 {
                    let code = expected_code(row, role, want);
                    if body["error"]["code"] != code
                        || body["error"]["message"].as_str().is_none_or(str::is_empty)
                    {
                        failures.push(format!("{label}: expected error code {code}: {body}"));
                    }
                }
                if role != Role::Admin {
                    let leaks = fx.leaks(role, &req, &body);
                    if !leaks.is_empty() {
                        failures.push(format!("{label}: response leaks {leaks:?}: {body}"));
                    }
                    if row.path == "/search" && want == 200 {
                        failures.extend(
                            fx.check_search(role, target, &body)
                                .into_iter()
                                .map(|e| format!("{label}: {e}")),
                        );
                    }
                }
                if req.then_unauthenticated && st == StatusCode::OK {
                    let (st, body) = client.get("/api/v1/me").await;
                    if st != StatusCode::UNAUTHORIZED {
                        failures.push(format!(
                            "{label}: the token still works after logout: {st} {body}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The admin, for contrast, does see the hidden documents (so the matrix hid something real).
    let (_, r) = fx
        .admin
        .get(&format!("/api/v1/search?q={}&limit=100", urlencode("机密")))
        .await;
    assert!(r["total"].as_u64().unwrap() >= 3, "{r}");
}
