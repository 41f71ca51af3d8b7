//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 description of every route served, built from the
//! table below. The route census of `tests/api/permissions.rs` reads the routers' source and fails
//! when a route is missing here (or listed here but not served), so the description always matches
//! what is served.

use axum::{Json, Router, routing::get};
use serde_json::{Map, Value, json};

use crate::AppState;

/// One served route: method, path (as in the router, under `/api/v1`), tag, summary.
pub struct RouteDoc {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// Group.
    pub tag: &'static str,
    /// What it does.
    pub summary: &'static str,
}

macro_rules! routes {
    ($($m:ident $p:literal $t:literal $s:literal;)*) => {
        /// Every API route.
        pub const ROUTES: &[RouteDoc] = &[$(RouteDoc { method: stringify!($m), path: $p, tag: $t, summary: $s }),*];
    };
}

routes! {
    post "/session" "session" "Log in: returns a token (also usable as a bearer token), a CSRF token and sets the session cookie";
    delete "/session" "session" "Log out: the token stops working";
    get "/me" "session" "The current user and the CSRF token";
    post "/me/password" "session" "Change one's own password (other sessions end)";
    get "/users" "accounts" "List accounts (admins)";
    post "/users" "accounts" "Create an account (admins)";
    get "/users/{id}" "accounts" "One account (admins, or oneself)";
    patch "/users/{id}" "accounts" "Edit, disable, reset the password of an account (admins); display name (oneself)";
    get "/groups" "accounts" "List departments";
    post "/groups" "accounts" "Create a department (admins)";
    get "/groups/{id}" "accounts" "One department with its members (admins)";
    patch "/groups/{id}" "accounts" "Rename a department (admins)";
    put "/groups/{id}/members" "accounts" "Set a department's members (admins)";
    get "/audit" "accounts" "Audit events, newest first, filtered by actor, action, outcome, since, until (admins)";
    get "/spaces" "spaces" "Spaces the caller can see, with the caller's role";
    post "/spaces" "spaces" "Create a space (admins)";
    get "/spaces/{id}" "spaces" "One space";
    patch "/spaces/{id}" "spaces" "Rename or describe a space (managers)";
    get "/spaces/{id}/grants" "spaces" "A space's grants (managers)";
    put "/spaces/{id}/grants" "spaces" "Replace a space's grants (managers)";
    put "/spaces/{id}/review-policy" "reviews" "Set the space's default review policy (managers)";
    get "/spaces/{id}/categories" "spaces" "The category tree the caller can see";
    post "/spaces/{id}/categories" "spaces" "Create a category (managers)";
    post "/spaces/{id}/import" "documents" "Import a zip of Markdown files; sub-folders become categories (managers)";
    get "/spaces/{id}/export" "documents" "The space (or ?category_id= one category) as a zip of Markdown with front matter, as the importer takes it back (managers)";
    get "/documents/{id}/export" "documents" "One document, in the version the caller may read: ?format=md|html|docx";
    get "/categories/{id}" "spaces" "One category";
    patch "/categories/{id}" "spaces" "Rename or move a category (managers; no cycles)";
    put "/categories/{id}/grants" "spaces" "Override grants for a category and its children (managers)";
    put "/categories/{id}/review-policy" "reviews" "Set a category's review policy (managers)";
    get "/documents" "documents" "List documents the caller may read (filters: space_id, category_id; sort recent or title)";
    post "/documents" "documents" "Create a document (version 1)";
    get "/documents/{id}" "documents" "The version this caller should see, with sanitised HTML and a table of contents";
    put "/documents/{id}" "documents" "Save a new version on top of base_version (409 edit_conflict when stale)";
    delete "/documents/{id}" "documents" "Move to the trash";
    post "/documents/{id}/undelete" "documents" "Bring back from the trash";
    get "/documents/{id}/versions" "documents" "History, newest first";
    get "/documents/{id}/versions/{n}" "documents" "One version, whole";
    get "/documents/{id}/diff" "documents" "Diff between two versions (?from=&to=): line hunks with word-level changes";
    post "/documents/{id}/restore" "documents" "Make a new version equal to an old one";
    put "/documents/{id}/favourite" "documents" "Add to favourites";
    delete "/documents/{id}/favourite" "documents" "Remove from favourites";
    put "/documents/{id}/review-by" "reviews" "Set or clear the date by which the document should be reviewed again";
    post "/documents/{id}/submit" "reviews" "Submit a version for review";
    get "/favourites" "documents" "The caller's favourites";
    get "/trash" "documents" "Documents in the trash the caller may restore";
    get "/drafts" "documents" "The caller's drafts and documents under review";
    get "/reviews" "reviews" "Review queue (?state=pending&assigned=me, mine=true)";
    get "/reviews/stale" "reviews" "Published documents past their review-by date";
    get "/reviews/{id}" "reviews" "A review: stages, decisions, diff against the published version";
    post "/reviews/{id}/approve" "reviews" "Approve the current stage";
    post "/reviews/{id}/reject" "reviews" "Reject with a comment";
    post "/reviews/{id}/withdraw" "reviews" "Withdraw one's own submission";
    get "/notifications" "reviews" "In-app inbox with the unread count";
    post "/notifications/read" "reviews" "Mark notifications read";
    get "/admin/sensitive-words" "admin" "The sensitive-word list (admins)";
    put "/admin/sensitive-words" "admin" "Replace the sensitive-word list (admins)";
    get "/admin/synonyms" "admin" "Admin synonym groups (admins)";
    get "/admin/backups" "admin" "Backups, newest first, with size and whether each was verified (admins)";
    post "/admin/backups" "admin" "Take a consistent backup now, while serving; verified, then old ones pruned (admins)";
    put "/admin/synonyms" "admin" "Replace admin synonym groups (admins)";
    post "/render" "documents" "Render a Markdown body as a document page would ({body} -> {html, toc}); the editor preview";
    post "/diff" "documents" "Diff two texts ({from, to}) as the document diff does; the editor's conflict view";
    get "/search" "search" "Full-text search: ?q=&limit=&offset=&sort=relevance|recent; hits with snippets and facets";
    get "/openapi.json" "meta" "This description";
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document()) }))
}

/// Builds the OpenAPI document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "tags": [r.tag],
            "summary": r.summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        if r.path == "/session" && r.method == "post" {
            op["security"] = json!([]);
        }
        let entry = paths
            .entry(format!("/api/v1{}", r.path))
            .or_insert_with(|| json!({}));
        entry[r.method] = op;
    }
    paths.insert(
        "/healthz".into(),
        json!({"get": {"tags": ["meta"], "summary": "Liveness (no authentication)", "security": [], "responses": {"200": {"description": "OK"}}}}),
    );
    paths.insert(
        "/metrics".into(),
        json!({"get": {"tags": ["meta"], "summary": "Prometheus metrics (admins; or unauthenticated on --metrics-bind)", "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}, "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Hanlin (翰林) API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": crate::http::auth::SESSION_COOKIE, "description": "Writes also need the X-CSRF-Token header"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "enum": crate::error::Code::ALL},
                        "message": {"type": "string"}, "field": {"type": "string"},
                        "reason": {"type": "string", "enum": crate::error::Reason::ALL},
                        "current_version": {"type": "integer"}
                    }, "additionalProperties": true, "description": "Parameters of the message (limit, name, line, column…) sit beside code and message: see docs/API-NOTES.md"}},
                },
            },
        },
    })
}
