//! The browser UI: files of `web/`, embedded in the binary (or read from `--web-dir` while developing).
//!
//! No build step, and still quick on a slow network: the UI's version is a hash over every embedded
//! file. `index.html` names the modules the first screen needs as `<link rel="modulepreload">` (the
//! static import graph of `app.js`), so the browser fetches them at once instead of one import
//! level after another, and every relative import inside the JavaScript is served as
//! `./x.js?v=<version>`. A request that names the current version is answered with a year-long
//! `immutable` cache; everything else (the page itself, `app.js`, an old version) with an ETag and
//! `Cache-Control: no-cache`, so browsers revalidate (a cheap 304) and never mix modules of two
//! versions after an upgrade. With `--web-dir` files are served as they are, without versions.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::{
    Router,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::RustEmbed;
use sha2::Digest as _;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|s: State<AppState>, h: HeaderMap, q: RawQuery| async move {
                file(s, h, "index.html".into(), q.0).await
            }),
        )
        .route(
            "/{*path}",
            get(
                |s: State<AppState>, h: HeaderMap, Path(p): Path<String>, q: RawQuery| async move {
                    file(s, h, p, q.0).await
                },
            ),
        )
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

/// The script at `path` with `?v=<version>` after every relative module specifier, except those
/// naming the entry script `app.js`: the page loads it as plain `app.js`, and a module is one
/// module only under one address.
fn version_imports(path: &str, src: &str, version: &str) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut last = 0;
    for (start, end, _) in module_specifiers(src) {
        if resolve(path, &src[start..end]).as_deref() == Some("app.js") {
            continue;
        }
        out.push_str(&src[last..end]);
        out.push_str("?v=");
        out.push_str(version);
        last = end;
    }
    out.push_str(&src[last..]);
    out
}

/// The modules `app.js` loads before the first screen: its static import graph, in a stable order.
fn first_screen_modules() -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    let mut queue = VecDeque::from(["app.js".to_owned()]);
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
    order
}

/// `index.html` for this version: the stylesheet and icon versioned, the first screen's modules
/// preloaded ahead of the entry script.
fn versioned_index(html: &str, version: &str) -> String {
    let mut preload = String::new();
    for m in first_screen_modules() {
        let href = if m == "app.js" {
            m.clone()
        } else {
            format!("{m}?v={version}")
        };
        preload.push_str(&format!("<link rel=\"modulepreload\" href=\"{href}\">\n"));
    }
    let script = "<script type=\"module\" src=\"app.js\"></script>";
    html.replace("href=\"app.css\"", &format!("href=\"app.css?v={version}\""))
        .replace(
            "href=\"favicon.svg\"",
            &format!("href=\"favicon.svg?v={version}\""),
        )
        .replacen(script, &format!("{preload}{script}"), 1)
}

async fn file(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: String,
    query: Option<String>,
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
                let js = version_imports(&path, &String::from_utf8_lossy(&bytes), &v);
                (js.into_bytes(), format!("{tag}-{v}"))
            } else {
                (bytes, tag)
            }
        }),
    };
    let Some((bytes, tag)) = found else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
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
        let out = version_imports("x.js", src, "abc");
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
    fn the_entry_script_keeps_its_one_address() {
        let src = "import { navigate } from '../app.js';\nimport { h } from '../dom.js';\n";
        let out = version_imports("pages/doc.js", src, "abc");
        assert!(out.contains("from '../app.js';"), "{out}");
        assert!(out.contains("from '../dom.js?v=abc';"), "{out}");
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
        assert!(out.contains("<script type=\"module\" src=\"app.js\"></script>"));
        assert!(out.contains(&format!("href=\"app.css?v={v}\"")), "{out}");
        assert!(
            out.contains("<link rel=\"modulepreload\" href=\"app.js\">"),
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
        // Pages loaded on demand are not preloaded.
        assert!(!out.contains("pages/admin.js"), "{out}");
        assert!(!out.contains("pages/editor.js"), "{out}");
    }
}
