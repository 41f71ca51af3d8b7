//! Corpus loading shared by the eval example and the bench: Markdown files to [`IndexDoc`]s.
#![allow(dead_code)]

use std::path::Path;

use hanlin_index::IndexDoc;

/// Loads every `.md` under `root` (sorted by path); ids are paths relative to `root`.
pub fn load_corpus(root: &Path) -> Vec<IndexDoc> {
    let mut docs = Vec::new();
    for e in walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if e.file_type().is_file()
            && e.path().extension().is_some_and(|x| x == "md")
            && let Some(d) = load_doc(root, e.path())
        {
            docs.push(d);
        }
    }
    docs
}

/// Loads one Markdown file as an [`IndexDoc`].
pub fn load_doc(root: &Path, path: &Path) -> Option<IndexDoc> {
    let raw = std::fs::read_to_string(path).ok()?;
    let rel = path
        .strip_prefix(root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let (front, md) = split_front_matter(&raw);
    let mut title = None;
    let mut tags = Vec::new();
    if let Some(front) = front
        && let Ok(serde_yaml_ng::Value::Mapping(m)) =
            serde_yaml_ng::from_str::<serde_yaml_ng::Value>(front)
    {
        if let Some(serde_yaml_ng::Value::String(t)) = m.get("title") {
            title = Some(t.trim().to_string());
        }
        for key in ["keywords", "tags"] {
            match m.get(key) {
                Some(serde_yaml_ng::Value::Sequence(s)) => tags.extend(
                    s.iter()
                        .filter_map(|v| v.as_str().map(|s| s.trim().to_string())),
                ),
                Some(serde_yaml_ng::Value::String(s)) => tags.extend(
                    s.split([',', '，'])
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                ),
                _ => {}
            }
        }
    }
    if title.is_none() {
        title = md.lines().find_map(|l| {
            l.strip_prefix("# ").map(|h| {
                let h = h.trim();
                match h.rfind("{#") {
                    Some(i) if h.ends_with('}') => h[..i].trim().to_string(),
                    _ => h.to_string(),
                }
            })
        });
    }
    let title = title.unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let mut parts = rel.split('/').collect::<Vec<_>>();
    parts.pop();
    let space = parts.first().copied().unwrap_or("root").to_string();
    let category_path: Vec<String> = parts.iter().skip(1).map(|s| s.to_string()).collect();
    let category_id = if category_path.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    };
    let scope = category_id
        .clone()
        .unwrap_or_else(|| format!("space:{space}"));
    tags.dedup();
    Some(IndexDoc {
        id: rel,
        kind: "doc".into(),
        space_id: space.clone(),
        space_name: space,
        scope,
        category_id,
        category_path,
        tags,
        title,
        body: markdown_to_text(md),
        author: "import".into(),
        updated_at: chrono::Utc::now(),
        status: "published".into(),
        sections: vec![],
    })
}

fn split_front_matter(raw: &str) -> (Option<&str>, &str) {
    let s = raw.trim_start_matches('\u{feff}');
    if let Some(rest) = s
        .strip_prefix("---\n")
        .or_else(|| s.strip_prefix("---\r\n"))
    {
        for marker in ["\n---\n", "\n---\r\n"] {
            if let Some(end) = rest.find(marker) {
                return (Some(&rest[..end]), &rest[end + marker.len()..]);
            }
        }
        if let Some(front) = rest.strip_suffix("\n---") {
            return (Some(front), "");
        }
    }
    (None, s)
}

/// Markdown to plain text: block boundaries become newlines, code text is kept.
fn markdown_to_text(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut out = String::with_capacity(md.len());
    for ev in Parser::new(md) {
        match ev {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
}
