//! Export: a space (or one category of it) as a zip of Markdown files with front matter, which
//! the importer takes back unchanged; one document as Markdown, self-contained printable HTML or
//! Word (.docx). Always the version the caller may read, never anything hidden from them.

use std::io::Write;

use serde::Serialize;

use crate::{
    error::{Error, Result},
    markdown,
    model::{Category, Doc},
    service::{Caller, access, documents as docs},
    store::Store,
};

/// A file to hand to the client.
#[derive(Debug)]
pub struct Download {
    /// Suggested file name (UTF-8).
    pub file_name: String,
    /// Media type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The formats one document exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown with front matter.
    Markdown,
    /// One HTML file with its stylesheet inside, for reading offline and printing.
    Html,
    /// Word.
    Docx,
}

impl Format {
    /// Parses `md`, `html` or `docx`.
    pub fn parse(s: Option<&str>) -> Result<Format> {
        match s.unwrap_or("md") {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "docx" => Ok(Format::Docx),
            _ => Err(Error::invalid("format", "format is md, html or docx")
                .because(crate::error::Reason::NotOneOf)
                .with("allowed", ["md", "html", "docx"])),
        }
    }
}

/// The front matter written above each exported document (what the importer reads back: title and
/// tags; the rest is for people).
#[derive(Serialize)]
struct FrontMatter<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    author: String,
    updated: String,
}

/// The document as the caller may read it (the head for those who may edit it, else the published
/// version), or `not_found`.
pub fn readable(store: &Store, who: &Caller, id: &str) -> Result<Doc> {
    if !crate::model::valid_id(id) {
        return Err(Error::NotFound("document"));
    }
    let doc = docs::load(store, id)?;
    let seen = access::seen(store, &who.subject(), &doc)?.ok_or(Error::NotFound("document"))?;
    if seen.version == doc.version {
        Ok(doc)
    } else {
        docs::published_view(store, doc, seen.version)
    }
}

/// The category path of `id` from the top, by name.
fn category_path(cats: &[Category], id: Option<&str>) -> Vec<String> {
    let mut path = Vec::new();
    let mut cur = id;
    while let Some(c) = cur.and_then(|i| cats.iter().find(|c| c.id == i)) {
        path.push(c.name.clone());
        cur = c.parent_id.as_deref();
        if path.len() > 64 {
            break; // a cycle cannot be stored, but never loop on a damaged tree
        }
    }
    path.reverse();
    path
}

/// A name as one path segment of a zip entry: separators and control characters become `_`.
/// Other characters stay, even those Windows refuses in file names (`:` `?` …): folder names are
/// category names, and the importer must get them back unchanged (unzip tools replace them when
/// extracting on Windows; the front matter keeps the real category path for people).
fn safe_segment(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\".contains(c) {
                '_'
            } else {
                c
            }
        })
        .take(80)
        .collect();
    let s = s.trim().trim_matches('.').trim().to_owned();
    if s.is_empty() { "_".into() } else { s }
}

/// The document as a Markdown file with front matter.
pub fn markdown_file(store: &Store, doc: &Doc, cats: &[Category]) -> Result<String> {
    let path = category_path(cats, doc.category_id.as_deref());
    let fm = FrontMatter {
        title: &doc.title,
        tags: &doc.tags,
        category: (!path.is_empty()).then(|| path.join("/")),
        author: docs::user_names(store, &doc.updated_by).1,
        updated: doc.updated_at.to_rfc3339(),
    };
    let yaml = serde_yaml_ng::to_string(&fm).map_err(Error::internal)?;
    Ok(format!("---\n{yaml}---\n\n{}", doc.body))
}

/// A space, or the subtree of one of its categories, as a zip of Markdown files (folders are
/// categories), for those who manage the space. Only documents the caller may read, each in the
/// version the caller may read.
pub fn space_zip(
    store: &Store,
    who: &Caller,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<Download> {
    if !crate::model::valid_id(space_id) {
        return Err(Error::NotFound("space"));
    }
    let space = access::managed_space(store, &who.subject(), space_id, category_id)?;
    let cats: Vec<Category> = crate::service::spaces::space_categories(store, space_id)?;
    if let Some(c) = category_id
        && !cats.iter().any(|x| x.id == c)
    {
        return Err(Error::NotFound("category"));
    }
    let under = |doc_cat: Option<&str>| -> bool {
        let Some(root) = category_id else {
            return true;
        };
        let mut cur = doc_cat;
        for _ in 0..64 {
            match cur {
                Some(c) if c == root => return true,
                Some(c) => {
                    cur = cats
                        .iter()
                        .find(|x| x.id == c)
                        .and_then(|x| x.parent_id.as_deref())
                }
                None => return false,
            }
        }
        false
    };
    let mut docs_out = Vec::new();
    for d in store.docs.values() {
        let d = d?;
        if d.space_id != space_id || d.deleted.is_some() {
            continue;
        }
        let Ok(doc) = readable(store, who, &d.id) else {
            continue;
        };
        if under(doc.category_id.as_deref()) {
            docs_out.push(doc);
        }
    }
    docs_out.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    // A category exported on its own is the zip's root: paths start below it.
    let strip = category_id.map_or(0, |c| category_path(&cats, Some(c)).len());
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut used = std::collections::HashSet::new();
    for doc in &docs_out {
        let folders: Vec<String> = category_path(&cats, doc.category_id.as_deref())
            .into_iter()
            .skip(strip)
            .map(|n| safe_segment(&n))
            .collect();
        let stem = safe_segment(&doc.title);
        let mut n = 1;
        let name = loop {
            let file = if n == 1 {
                format!("{stem}.md")
            } else {
                format!("{stem} ({n}).md")
            };
            let full = folders
                .iter()
                .cloned()
                .chain([file])
                .collect::<Vec<_>>()
                .join("/");
            if used.insert(full.to_lowercase()) {
                break full;
            }
            n += 1;
        };
        zip.start_file(&name, opts)
            .map_err(|e| Error::internal(format!("export: {e}")))?;
        zip.write_all(markdown_file(store, doc, &cats)?.as_bytes())
            .map_err(Error::internal)?;
    }
    zip.finish()
        .map_err(|e| Error::internal(format!("export: {e}")))?;
    let base = match category_id.and_then(|c| cats.iter().find(|x| x.id == c)) {
        Some(c) => format!("{}-{}", space.name, c.name),
        None => space.name.clone(),
    };
    Ok(Download {
        file_name: format!("{}.zip", safe_segment(&base)),
        content_type: "application/zip",
        bytes: buf.into_inner(),
    })
}

/// One document, as the caller may read it, in `format`.
pub fn document(store: &Store, who: &Caller, id: &str, format: Format) -> Result<Download> {
    let doc = readable(store, who, id)?;
    let cats = crate::service::spaces::space_categories(store, &doc.space_id)?;
    let stem = safe_segment(&doc.title);
    Ok(match format {
        Format::Markdown => Download {
            file_name: format!("{stem}.md"),
            content_type: "text/markdown; charset=utf-8",
            bytes: markdown_file(store, &doc, &cats)?.into_bytes(),
        },
        Format::Html => Download {
            file_name: format!("{stem}.html"),
            content_type: "text/html; charset=utf-8",
            bytes: html_page(store, &doc).into_bytes(),
        },
        Format::Docx => Download {
            file_name: format!("{stem}.docx"),
            content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            bytes: crate::docx::from_markdown(&doc.title, &doc.body)?,
        },
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Styles of the exported page, screen and print (A4, no navigation, links spelled out).
const EXPORT_CSS: &str = "body{font-family:'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif;line-height:1.7;max-width:46em;margin:2em auto;padding:0 1em;color:#1f2328}h1,h2,h3{line-height:1.3}pre{background:#f6f8fa;padding:.8em;overflow:auto}code{font-family:Consolas,'Courier New',monospace}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.3em .6em}blockquote{border-left:4px solid #d0d7de;margin:0;padding-left:1em;color:#57606a}.meta{color:#57606a;font-size:.9em}@page{size:A4;margin:2cm}@media print{body{margin:0;max-width:none}a[href^=http]::after{content:' (' attr(href) ')';font-size:.85em}pre,table,img{page-break-inside:avoid}h1,h2,h3{page-break-after:avoid}}";

/// The document as one self-contained HTML page (the same sanitised rendering as the document
/// view, its stylesheet inline, no script).
pub fn html_page(store: &Store, doc: &Doc) -> String {
    let r = markdown::render(&doc.body);
    let author = docs::user_names(store, &doc.updated_by).1;
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{EXPORT_CSS}</style></head><body><h1>{title}</h1><p class=\"meta\">{author} · 版本 {v} · {updated}</p>{html}</body></html>\n",
        title = escape(&doc.title),
        author = escape(&author),
        v = doc.version,
        updated = doc.updated_at.format("%Y-%m-%d %H:%M UTC"),
        html = r.html,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_safe_everywhere() {
        assert_eq!(safe_segment("a/b\\c:d"), "a_b_c:d");
        assert_eq!(safe_segment(" .. "), "_");
        assert_eq!(safe_segment("季度报告"), "季度报告");
        assert_eq!(safe_segment(&"长".repeat(200)).chars().count(), 80);
    }

    #[test]
    fn front_matter_reads_back_through_the_importer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        crate::bootstrap::first_start(&store, Some("Passw0rd-long")).unwrap();
        let mut doc = store.docs.values().next().unwrap().unwrap();
        doc.body = "# 标题\n\n正文: 带冒号 \"引号\" 与 #井号\n".into();
        doc.title = "标题: 带冒号 - 与 #".into();
        doc.tags = vec!["标签 一".into(), "yes".into()];
        let text = markdown_file(&store, &doc, &[]).unwrap();
        let parsed = crate::service::import::parse_markdown(&text, "x");
        assert_eq!(parsed.title, doc.title);
        assert_eq!(parsed.tags, doc.tags);
        assert_eq!(parsed.body, doc.body);
    }
}
