//! Links between imported or uploaded Markdown files (`[安装](../运维/安装.md)`, `/b.md`,
//! `b.md#步骤`): rewritten to the documents those files became, so they are not dead links.
//! A link to a Markdown file that became no document stays readable as text with a marker.

use pulldown_cmark::{Event, Options, Parser, Tag};

/// A link's target: a path relative to the import root, and the fragment.
type Target = (String, Option<String>);

/// Where a link points: a path relative to the import root, and the fragment.
fn target(from: &str, dest: &str) -> Option<Target> {
    if dest.contains("://") || dest.starts_with("mailto:") || dest.starts_with('#') {
        return None;
    }
    let (path, frag) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f.to_owned())),
        None => (dest, None),
    };
    let path = percent_decode(path);
    let lower = path.to_lowercase();
    if !(lower.ends_with(".md") || lower.ends_with(".markdown")) {
        return None;
    }
    let mut parts: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        let mut dir: Vec<&str> = from.split('/').collect();
        dir.pop(); // the file itself
        dir
    };
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    Some((parts.join("/"), frag))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// `body` (of the file at `from`, a path relative to the import root) with each inline link to a
/// Markdown file pointing at the document `resolve` names for its path (`#/doc/<id>`, a fragment as
/// `?h=anchor`), and each one that resolves to nothing turned into its text followed by
/// `（链接的文档不存在：path）`. Links in code are left alone; other links are untouched.
pub fn rewrite(body: &str, from: &str, resolve: &dyn Fn(&str) -> Option<String>) -> String {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut open: Option<(usize, String, Option<Target>)> = None;
    for (ev, range) in Parser::new_ext(body, Options::all()).into_offset_iter() {
        match ev {
            Event::Start(Tag::Link { dest_url, .. }) if open.is_none() => {
                let t = target(from, &dest_url);
                if t.is_some() {
                    open = Some((range.start, dest_url.to_string(), t));
                }
            }
            Event::End(pulldown_cmark::TagEnd::Link) => {
                let Some((start, dest, Some((path, frag)))) = open.take() else {
                    continue;
                };
                let src = &body[start..range.end];
                // Only inline links `[text](dest …)`: the destination is inside the source.
                let Some(at) = src.rfind(&format!("]({dest}")) else {
                    continue;
                };
                let text = &src[1..at];
                let replacement = match resolve(&path) {
                    Some(id) => {
                        // The web app's route to a document, at a heading (`?h=anchor`).
                        let href = match &frag {
                            Some(f) => format!("#/doc/{id}?h={f}"),
                            None => format!("#/doc/{id}"),
                        };
                        format!("[{text}]({href})")
                    }
                    None => format!("{text}（链接的文档不存在：{path}）"),
                };
                edits.push((start..range.end, replacement));
            }
            _ => {}
        }
    }
    let mut out = body.to_owned();
    for (r, s) in edits.into_iter().rev() {
        out.replace_range(r, &s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(p: &str) -> Option<String> {
        match p {
            "运维/安装.md" => Some("A".into()),
            "readme.md" => Some("B".into()),
            _ => None,
        }
    }

    #[test]
    fn links_between_files_point_at_their_documents() {
        let body = "见 [安装](../运维/安装.md#步骤) 与 [首页](/readme.md)，[外链](https://x.cn/a.md)，\
                    [丢失](缺失.md)，`[代码](../运维/安装.md)`，[图](pic.png)。\n\n```\n[块](../运维/安装.md)\n```\n";
        let out = rewrite(body, "开发/指南.md", &resolve);
        assert_eq!(
            out,
            "见 [安装](#/doc/A?h=步骤) 与 [首页](#/doc/B)，[外链](https://x.cn/a.md)，\
             丢失（链接的文档不存在：开发/缺失.md），`[代码](../运维/安装.md)`，[图](pic.png)。\n\n```\n[块](../运维/安装.md)\n```\n"
        );
    }

    #[test]
    fn percent_encoded_names_resolve() {
        let out = rewrite("[a](%E5%AE%89%E8%A3%85.md)", "运维/x.md", &resolve);
        assert_eq!(out, "[a](#/doc/A)");
    }
}
