//! Import of Markdown files (.md, .markdown) into a space: from a folder (`hanlin import`) or a zip upload (API).
//! Front matter `title`, `tags`/`keywords`; else the first heading; else the file name. Sub-folders
//! become categories. Importing the same path again saves a new version instead of a duplicate.

use std::{
    collections::HashMap,
    io::Read,
    path::{Path, PathBuf},
};

use crate::{
    docs::{self, Actor, NewDoc, Update},
    error::{Error, Result},
    model::{Category, DocKind, Space, SpaceKind},
    service::spaces::{create_category_in, create_space},
    store::{Store, pair_key},
};

/// One file to import.
pub struct SourceFile {
    /// Path relative to the import root, with '/' separators.
    pub rel_path: String,
    /// Raw file content.
    pub text: String,
}

/// What an import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ImportReport {
    /// Documents created.
    pub created: u64,
    /// Documents that got a new version.
    pub updated: u64,
    /// Files whose content was unchanged.
    pub unchanged: u64,
    /// Files skipped, with the reason.
    pub skipped: Vec<String>,
    /// Categories created.
    pub categories: u64,
}

/// Title, tags and body of a Markdown file.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Title.
    pub title: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Body without front matter.
    pub body: String,
}

fn yaml_strings(v: &serde_yaml_ng::Value) -> Vec<String> {
    match v {
        serde_yaml_ng::Value::String(s) => s
            .split([',', '，', '、'])
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        serde_yaml_ng::Value::Sequence(seq) => seq
            .iter()
            .filter_map(|x| match x {
                serde_yaml_ng::Value::String(s) => Some(s.trim().to_owned()),
                serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|t| !t.is_empty())
            .collect(),
        _ => vec![],
    }
}

/// Strips a trailing `{#anchor}` from a heading.
fn strip_anchor(s: &str) -> &str {
    match s.rfind("{#") {
        Some(i) if s.trim_end().ends_with('}') => s[..i].trim_end(),
        _ => s,
    }
}

/// Splits front matter from a Markdown file and derives title and tags.
pub fn parse_markdown(text: &str, file_stem: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut title = None;
    let mut tags = Vec::new();
    let mut body = text;
    if let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    {
        let end = rest
            .match_indices("\n---")
            .find(|(i, _)| {
                let after = &rest[i + 4..];
                after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
            })
            .map(|(i, _)| i);
        if let Some(end) = end {
            let fm = &rest[..end];
            body = rest[end + 4..].trim_start_matches(['\r', '\n']);
            if let Ok(serde_yaml_ng::Value::Mapping(m)) =
                serde_yaml_ng::from_str::<serde_yaml_ng::Value>(fm)
            {
                if let Some(serde_yaml_ng::Value::String(t)) = m.get("title") {
                    title = Some(t.trim().to_owned());
                }
                for key in ["tags", "keywords"] {
                    if let Some(v) = m.get(key) {
                        for t in yaml_strings(v) {
                            if !tags.contains(&t) {
                                tags.push(t);
                            }
                        }
                    }
                }
            }
        }
    }
    let title = title.filter(|t| !t.is_empty()).or_else(|| {
        body.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("# "))
            .map(|h| strip_anchor(h.trim()).to_owned())
            .filter(|h| !h.is_empty())
    });
    let title = title.unwrap_or_else(|| file_stem.to_owned());
    Parsed {
        title: truncate_chars(&title, docs::MAX_TITLE_CHARS),
        tags: tags
            .into_iter()
            .map(|t| {
                truncate_chars(t.trim_start_matches('#'), docs::MAX_TAG_CHARS).replace(',', " ")
            })
            .filter(|t| !t.trim().is_empty() && !t.chars().any(char::is_control))
            .take(docs::MAX_TAGS)
            .collect(),
        body: body.to_owned(),
    }
}

fn truncate_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect::<String>().trim().to_owned()
}

/// Finds a space by name or creates it.
pub fn find_or_create_space(store: &Store, actor: &Actor, name: &str) -> Result<Space> {
    let spaces: Vec<Space> = store.all_json(&store.spaces)?;
    if let Some(s) = spaces
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    {
        return Ok(s);
    }
    create_space(store, actor, name, SpaceKind::Knowledge, "")
}

/// Imports files into a space. `progress` is called after each file.
pub fn import_files(
    store: &Store,
    actor: &Actor,
    space: &Space,
    files: impl IntoIterator<Item = SourceFile>,
    max_body: usize,
    mut progress: impl FnMut(&str),
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    // Existing categories by path ("a/b"), so re-imports reuse them.
    let cats: Vec<Category> = store.all_json(&store.categories)?;
    let by_id: HashMap<&str, &Category> = cats
        .iter()
        .filter(|c| c.space_id == space.id)
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut by_path: HashMap<String, String> = HashMap::new();
    for c in by_id.values() {
        let mut names = vec![c.name.clone()];
        let mut p = c.parent_id.as_deref();
        while let Some(pid) = p {
            match by_id.get(pid) {
                Some(pc) => {
                    names.push(pc.name.clone());
                    p = pc.parent_id.as_deref();
                }
                None => break,
            }
        }
        names.reverse();
        by_path.insert(names.join("/"), c.id.clone());
    }
    for f in files {
        progress(&f.rel_path);
        let parts: Vec<&str> = f.rel_path.split('/').filter(|p| !p.is_empty()).collect();
        let Some((file_name, folders)) = parts.split_last() else {
            continue;
        };
        let mut parent: Option<String> = None;
        let mut path = String::new();
        for folder in folders {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(folder);
            let id = match by_path.get(&path) {
                Some(id) => id.clone(),
                None => {
                    let c = create_category_in(store, actor, space, folder, parent.as_deref())?;
                    report.categories += 1;
                    by_path.insert(path.clone(), c.id.clone());
                    c.id
                }
            };
            parent = Some(id);
        }
        let stem = file_name
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(file_name);
        let parsed = parse_markdown(&f.text, stem);
        let content = match docs::validate(&parsed.title, &parsed.body, &parsed.tags, max_body) {
            Ok(c) => c,
            Err(e) => {
                report.skipped.push(format!("{}: {e}", f.rel_path));
                continue;
            }
        };
        let key = pair_key(&space.id, &f.rel_path);
        let existing = store
            .import_paths
            .get(&key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned());
        match existing.and_then(|id| docs::load_meta(store, &id).ok()) {
            Some(doc) if doc.deleted.is_none() => {
                let saved = docs::update(
                    store,
                    actor,
                    &doc.id,
                    Update {
                        content,
                        category_id: Some(parent.clone()),
                        base_version: doc.version,
                        message: format!("导入 {}", f.rel_path),
                        needs_review: false,
                        action: "document.import",
                    },
                )?;
                if saved.changed {
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
            _ => {
                docs::create(
                    store,
                    actor,
                    NewDoc {
                        space_id: space.id.clone(),
                        category_id: parent.clone(),
                        content,
                        kind: DocKind::Doc,
                        needs_review: false,
                        message: format!("导入 {}", f.rel_path),
                        import_key: Some(key.clone()),
                    },
                )?;
                report.created += 1;
            }
        }
    }
    Ok(report)
}

/// Is this a file the importer takes? (Markdown only: licence and notice files beside the
/// documents are not knowledge.)
fn importable(name: &str) -> bool {
    let lower = name.to_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// The Markdown files under a folder, sorted by path.
pub fn folder_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Err(Error::bad(format!("{} is not a folder", dir.display())));
    }
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && importable(&e.file_name().to_string_lossy()))
        .filter(|e| {
            !e.path()
                .strip_prefix(dir)
                .map(|p| {
                    p.components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
                })
                .unwrap_or(true)
        })
        .map(|e| e.into_path())
        .collect();
    out.sort();
    Ok(out)
}

/// Reads a folder's files as import sources (lossy UTF-8).
pub fn read_folder(dir: &Path, files: &[PathBuf]) -> impl Iterator<Item = SourceFile> {
    files.iter().filter_map(move |p| {
        let rel = p
            .strip_prefix(dir)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(p).ok()?;
        Some(SourceFile {
            rel_path: rel,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    })
}

/// Limits on zip uploads (zip-bomb defence).
pub struct ZipLimits {
    /// Most entries.
    pub max_entries: usize,
    /// Largest total uncompressed size.
    pub max_total: u64,
    /// Largest single file.
    pub max_file: u64,
}

/// Reads the importable files of a zip archive, refusing path traversal (zip-slip) and bombs:
/// entry count, per-file and total sizes are capped by what is actually read, not by what the
/// archive claims.
pub fn read_zip(bytes: &[u8], limits: &ZipLimits) -> Result<Vec<SourceFile>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Error::invalid("file", format!("not a readable zip archive: {e}")))?;
    if zip.len() > limits.max_entries {
        return Err(Error::invalid(
            "file",
            format!("the archive has more than {} entries", limits.max_entries),
        ));
    }
    let mut total = 0u64;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| Error::invalid("file", format!("bad zip entry: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let Some(path) = entry.enclosed_name() else {
            return Err(Error::invalid(
                "file",
                format!("unsafe path in archive: {}", entry.name()),
            ));
        };
        let rel = path.to_string_lossy().replace('\\', "/");
        if !importable(&rel) || rel.split('/').any(|c| c.starts_with('.')) {
            continue;
        }
        let mut buf = Vec::new();
        let read = (&mut entry)
            .take(limits.max_file + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                Error::invalid("file", format!("cannot read {rel} from the archive: {e}"))
            })? as u64;
        if read > limits.max_file {
            return Err(Error::PayloadTooLarge {
                limit: limits.max_file as usize,
            });
        }
        total += read;
        if total > limits.max_total {
            return Err(Error::PayloadTooLarge {
                limit: limits.max_total as usize,
            });
        }
        out.push(SourceFile {
            rel_path: rel,
            text: String::from_utf8_lossy(&buf).into_owned(),
        });
    }
    out.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_title_and_keywords() {
        let p = parse_markdown(
            "---\ntitle: 分区表\nsummary: x\nkeywords: [TiDB, 分区]\n---\n\n# 其他标题\n正文",
            "f",
        );
        assert_eq!(p.title, "分区表");
        assert_eq!(p.tags, vec!["TiDB", "分区"]);
        assert!(p.body.starts_with("# 其他标题"));
    }

    #[test]
    fn heading_with_anchor_then_file_name() {
        assert_eq!(
            parse_markdown("# 组件基础 {#components-basics}\n\n文字", "f").title,
            "组件基础"
        );
        assert_eq!(parse_markdown("没有标题的文字", "readme").title, "readme");
        assert_eq!(
            parse_markdown("---\nkeywords: a, b，c\n---\n# T\n", "f").tags,
            vec!["a", "b", "c"]
        );
    }

    #[test]
    fn broken_front_matter_is_kept_as_text() {
        let p = parse_markdown("---\ntitle: [unclosed\n---\n# 标题\n", "f");
        assert_eq!(p.title, "标题");
        let p = parse_markdown("---\nno end", "f");
        assert_eq!(p.body, "---\nno end");
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                w.start_file(*name, opts).unwrap();
                std::io::Write::write_all(&mut w, data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    const LIMITS: ZipLimits = ZipLimits {
        max_entries: 100,
        max_total: 1 << 20,
        max_file: 1 << 19,
    };

    #[test]
    fn zip_slip_is_refused() {
        let z = zip_of(&[("../../etc/evil.md", b"x")]);
        let e = read_zip(&z, &LIMITS).err().expect("refused");
        assert!(e.to_string().contains("unsafe path"), "{e}");
    }

    #[test]
    fn zip_bomb_is_refused_by_what_is_read() {
        let big = vec![b'a'; (1 << 19) + 10];
        let z = zip_of(&[("a.md", &big)]);
        assert!(z.len() < 10_000, "compresses well: {}", z.len());
        assert!(matches!(
            read_zip(&z, &LIMITS),
            Err(Error::PayloadTooLarge { .. })
        ));
    }

    #[test]
    fn zip_reads_markdown_only() {
        let z = zip_of(&[
            ("docs/a.md", "# 甲".as_bytes()),
            ("img.png", b"\x89PNG"),
            (".hidden/b.md", b"x"),
        ]);
        let files = read_zip(&z, &LIMITS).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].rel_path, "docs/a.md");
    }
}
