//! The browser UI: files of `web/`, embedded in the binary (or read from `--web-dir` while developing).
//!
//! No build step, and still quick on a slow network: the UI's version is a hash over every embedded
//! file. `index.html` names the modules the first screen needs as `<link rel="modulepreload">` (the
//! static import graph of `app.js`), so the browser fetches them at once instead of one import
//! level after another, and every relative import inside the JavaScript, the entry script's
//! included, is served as `./x.js?v=<version>`. A request that names the current version is
//! answered with a year-long `immutable` cache; anything else (an unversioned address, an old
//! version) with an ETag and `Cache-Control: no-cache`, so browsers revalidate (a cheap 304). A tab
//! left open over an upgrade that loads a page on demand gets the new `app.js` under a new address;
//! that script sees it is not the page's entry script and reloads the tab rather than mix versions.
//! The page itself is built per request and never stored: it carries `GET /me`'s answer, so the
//! first screen needs no round trip of its own to learn who is there. With `--web-dir` files are
//! served as they are, without versions.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::{
    Router,
    extract::{FromRequestParts, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;
use sha2::Digest as _;

use super::auth::CurrentUser;
use crate::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|s: State<AppState>, req: Request| async move {
                let (mut parts, _) = req.into_parts();
                let q = parts.uri.query().map(str::to_owned);
                let boot = boot_data(&s, &mut parts).await;
                file(s, parts.headers, "index.html".into(), q, Some(boot)).await
            }),
        )
        .route(
            "/{*path}",
            get(
                |s: State<AppState>, Path(p): Path<String>, req: Request| async move {
                    let (mut parts, _) = req.into_parts();
                    let q = parts.uri.query().map(str::to_owned);
                    let boot = if p == "index.html" {
                        Some(boot_data(&s, &mut parts).await)
                    } else {
                        None
                    };
                    file(s, parts.headers, p, q, boot).await
                },
            ),
        )
}

/// What the page carries for the script's first look (`GET /me`'s answer, or `{"user":null}`
/// without a session), as JSON safe inside `<script type="application/json">`: a data block,
/// never run, so the strict CSP needs no exception. A failure only means the script asks `/me`.
async fn boot_data(state: &AppState, parts: &mut Parts) -> String {
    let json = match CurrentUser::from_request_parts(parts, state).await {
        Ok(who) => super::session::me_view(state, &who)
            .ok()
            .and_then(|me| serde_json::to_string(&me).ok()),
        Err(crate::error::Error::Unauthenticated) => Some("{\"user\":null}".to_owned()),
        Err(_) => None,
    };
    json.map_or_else(|| "{}".to_owned(), |j| script_safe(&j))
}

/// JSON that cannot end the `<script>` element it sits in: `<`, `>` and `&` only occur inside
/// JSON strings, where their `\u` escapes mean the same.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// The version of the embedded UI: a hash over the name and content of every file. Debug builds
/// read `web/` from disk on every request, so there it is worked out again once a second at most.
fn version() -> String {
    fn compute() -> String {
        let mut names: Vec<String> = Assets::iter().map(|n| n.into_owned()).collect();
        names.sort();
        let mut h = sha2::Sha256::new();
        for n in &names {
            if let Some(f) = Assets::get(n) {
                h.update(n.as_bytes());
                h.update([0]);
                h.update(f.metadata.sha256_hash());
            }
        }
        hex::encode(&h.finalize()[..6])
    }
    static V: OnceLock<String> = OnceLock::new();
    static DEV: Mutex<Option<(Instant, String)>> = Mutex::new(None);
    if !cfg!(debug_assertions) {
        return V.get_or_init(compute).clone();
    }
    let mut dev = DEV.lock().unwrap_or_else(|e| e.into_inner());
    match &*dev {
        Some((at, v)) if at.elapsed() < Duration::from_secs(1) => v.clone(),
        _ => {
            let v = compute();
            *dev = Some((Instant::now(), v.clone()));
            v
        }
    }
}

/// The `v` parameter of a query string.
fn version_asked(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("v="))
        .filter(|v| !v.is_empty())
}

/// Where a relative module specifier (`./x.js`, `../y.js`) of the file at `from` points.
fn resolve(from: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the file itself
    for seg in spec.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The relative module specifiers of a script, in order: (start, end) byte ranges inside the quotes,
/// and whether the import is static (`import … from '…'`, `import '…'`) rather than `import('…')`.
fn module_specifiers(src: &str) -> Vec<(usize, usize, bool)> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if (q == b'\'' || q == b'"')
            && (src[i + 1..].starts_with("./") || src[i + 1..].starts_with("../"))
        {
            let start = i + 1;
            let Some(len) = src[start..].find([q as char, '\n']) else {
                break;
            };
            let end = start + len;
            if bytes.get(end) == Some(&q) && src[start..end].ends_with(".js") {
                let before = src[..i].trim_end();
                let dynamic = before.ends_with("import(");
                if dynamic || before.ends_with("from") || before.ends_with("import") {
                    out.push((start, end, !dynamic));
                }
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// A script with `?v=<version>` after every relative module specifier. The entry
/// script is loaded as `app.js?v=<version>` too, so every import of it names the one address a
/// module has.
fn version_imports(src: &str, version: &str) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut last = 0;
    for (_, end, _) in module_specifiers(src) {
        out.push_str(&src[last..end]);
        out.push_str("?v=");
        out.push_str(version);
        last = end;
    }
    out.push_str(&src[last..]);
    out
}

/// Pages `app.js` loads on demand that most visits begin with: preloaded after what the login
/// page needs, so they are at hand without holding it up.
const FIRST_PAGES: [&str; 2] = ["pages/home.js", "pages/doc.js"];

/// The modules of the first screen: the static import graph of `app.js`, then those of
/// [`FIRST_PAGES`], in a stable order (what the login page needs comes first).
fn first_screen_modules() -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    for start in std::iter::once("app.js").chain(FIRST_PAGES) {
        let mut queue = VecDeque::from([start.to_owned()]);
        while let Some(path) = queue.pop_front() {
            if !seen.insert(path.clone()) {
                continue;
            }
            let Some(f) = Assets::get(&path) else {
                continue;
            };
            let src = String::from_utf8_lossy(&f.data).into_owned();
            order.push(path.clone());
            for (s, e, is_static) in module_specifiers(&src) {
                if let (true, Some(p)) = (is_static, resolve(&path, &src[s..e])) {
                    queue.push_back(p);
                }
            }
        }
    }
    order
}

/// `index.html` for this version: the stylesheet, icon and entry script versioned, the first
/// screen's modules preloaded ahead of the entry script.
fn versioned_index(html: &str, version: &str) -> String {
    let mut preload = String::new();
    for m in first_screen_modules() {
        preload.push_str(&format!(
            "<link rel=\"modulepreload\" href=\"{m}?v={version}\">\n"
        ));
    }
    html.replace("href=\"app.css\"", &format!("href=\"app.css?v={version}\""))
        .replace(
            "href=\"favicon.svg\"",
            &format!("href=\"favicon.svg?v={version}\""),
        )
        .replacen(
            ENTRY_SCRIPT,
            &format!("{preload}<script type=\"module\" src=\"app.js?v={version}\"></script>"),
            1,
        )
}

const ENTRY_SCRIPT: &str = "<script type=\"module\" src=\"app.js\"></script>";

/// The page with the data of [`boot_data`] ahead of its entry script.
fn with_boot(html: &str, boot: &str) -> String {
    let data = format!("<script type=\"application/json\" id=\"hanlin-boot\">{boot}</script>\n");
    match html.find("<script type=\"module\"") {
        Some(at) => format!("{}{data}{}", &html[..at], &html[at..]),
        None => html.to_owned(),
    }
}

/// One file of the UI; `boot` (for `index.html`) is what the page carries for the script.
async fn file(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: String,
    query: Option<String>,
    boot: Option<String>,
) -> Response {
    if path.starts_with("api/")
        || path
            .split('/')
            .any(|seg| seg == ".." || seg.starts_with('.'))
    {
        return crate::error::Error::NotFound("file").into_response();
    }
    let mut immutable = false;
    let found: Option<(Vec<u8>, String)> = match &state.config.web_dir {
        Some(dir) => tokio::fs::read(dir.join(&path)).await.ok().map(|b| {
            let tag = hex::encode(&sha2::Sha256::digest(&b)[..16]);
            (b, tag)
        }),
        None => Assets::get(&path).map(|f| {
            let v = version();
            immutable = version_asked(query.as_deref()) == Some(v.as_str());
            let tag = hex::encode(&f.metadata.sha256_hash()[..16]);
            let bytes = f.data.into_owned();
            if path == "index.html" {
                let html = versioned_index(&String::from_utf8_lossy(&bytes), &v);
                (html.into_bytes(), format!("{tag}-{v}"))
            } else if path.ends_with(".js") {
                let js = version_imports(&String::from_utf8_lossy(&bytes), &v);
                (js.into_bytes(), format!("{tag}-{v}"))
            } else {
                (bytes, tag)
            }
        }),
    };
    let Some((bytes, tag)) = found else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if let Some(boot) = boot {
        // The page names the caller and their CSRF token: built per request, never stored.
        let html = with_boot(&String::from_utf8_lossy(&bytes), &boot);
        let mut r = html.into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store, private"),
        );
        return r;
    }
    let etag = format!("\"{tag}\"");
    let mut resp = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = bytes.into_response();
        let mime = mime_guess::from_path(&path).first_or_octet_stream();
        if let Ok(v) = HeaderValue::from_str(mime.as_ref()) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_imports_get_the_version_and_nothing_else_does() {
        let src = "import { h } from './dom.js';\nimport {t} from \"../i18n.js\";\nimport './side.js';\n\
                   const p = import('./pages/editor.js');\nconst s = 'see ./not-an-import.js';\n\
                   fetch('/api/v1/x'); const u = './x.js';\n";
        let out = version_imports(src, "abc");
        assert!(out.contains("from './dom.js?v=abc'"), "{out}");
        assert!(out.contains("from \"../i18n.js?v=abc\""), "{out}");
        assert!(out.contains("import './side.js?v=abc'"), "{out}");
        assert!(out.contains("import('./pages/editor.js?v=abc')"), "{out}");
        assert!(out.contains("'see ./not-an-import.js'"), "{out}");
        assert!(
            out.contains("const u = './x.js';"),
            "a plain string is left alone: {out}"
        );
        assert!(out.contains("fetch('/api/v1/x')"), "{out}");
    }

    #[test]
    fn the_entry_script_is_imported_under_the_address_the_page_loads() {
        let src = "import { navigate } from '../app.js';\nimport { h } from '../dom.js';\n";
        let out = version_imports(src, "abc");
        assert!(out.contains("from '../app.js?v=abc';"), "{out}");
        assert!(out.contains("from '../dom.js?v=abc';"), "{out}");
        let html = versioned_index(ENTRY_SCRIPT, "abc");
        assert!(
            html.contains("<script type=\"module\" src=\"app.js?v=abc\"></script>"),
            "{html}"
        );
    }

    #[test]
    fn the_boot_data_goes_before_the_entry_script_and_cannot_close_its_tag() {
        let page = format!("<head>{ENTRY_SCRIPT}</head>");
        let out = with_boot(&page, "{\"user\":null}");
        assert_eq!(
            out,
            format!(
                "<head><script type=\"application/json\" id=\"hanlin-boot\">{{\"user\":null}}</script>\n{ENTRY_SCRIPT}</head>"
            )
        );
        let name = serde_json::to_string("</script><script>alert(1)</script>&").unwrap();
        let safe = script_safe(&name);
        assert!(!safe.contains('<') && !safe.contains('>'), "{safe}");
        assert_eq!(
            serde_json::from_str::<String>(&safe).unwrap(),
            "</script><script>alert(1)</script>&"
        );
    }

    #[test]
    fn specifiers_resolve_against_their_file() {
        assert_eq!(
            resolve("pages/doc.js", "../ui.js").as_deref(),
            Some("ui.js")
        );
        assert_eq!(
            resolve("app.js", "./pages/doc.js").as_deref(),
            Some("pages/doc.js")
        );
        assert_eq!(resolve("app.js", "../../x.js"), None);
    }

    #[test]
    fn the_index_preloads_the_first_screen_and_keeps_its_entry_script() {
        let v = version();
        let html = String::from_utf8(Assets::get("index.html").unwrap().data.into_owned()).unwrap();
        let out = versioned_index(&html, &v);
        assert!(out.contains(&format!(
            "<script type=\"module\" src=\"app.js?v={v}\"></script>"
        )));
        assert!(out.contains(&format!("href=\"app.css?v={v}\"")), "{out}");
        assert!(
            out.contains(&format!(
                "<link rel=\"modulepreload\" href=\"app.js?v={v}\">"
            )),
            "{out}"
        );
        for m in [
            "dom.js",
            "i18n.js",
            "api.js",
            "ui.js",
            "pages/login.js",
            "pages/home.js",
        ] {
            assert!(
                out.contains(&format!("<link rel=\"modulepreload\" href=\"{m}?v={v}\">")),
                "{m}: {out}"
            );
        }
        // What the login page needs comes before the pages preloaded for later.
        let at = |m: &str| out.find(&format!("href=\"{m}?v=")).unwrap();
        assert!(at("pages/login.js") < at("pages/home.js"), "{out}");
        assert!(at("ui.js") < at("pages/doc.js"), "{out}");
        // Other pages loaded on demand are not preloaded.
        assert!(!out.contains("pages/admin.js"), "{out}");
        assert!(!out.contains("pages/editor.js"), "{out}");
    }
}
