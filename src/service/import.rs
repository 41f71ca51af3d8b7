//! Import of Markdown files (.md, .markdown) into a space: from a folder (`hanlin import`) or a zip upload (API).
//! Front matter `title`, `tags`/`keywords`; else the first heading; else the file name. Sub-folders
//! become categories. Importing the same path again saves a new version instead of a duplicate.
//!
//! Validate first, then write whole: [`check`] looks at every file (paths, names, depth, collisions
//! that differ only in case, front matter, bodies) and reports every problem it finds; only a clean
//! set is written, by [`write`], in one store transaction. A bad archive writes nothing.

use std::{
    collections::HashMap,
    io::Read,
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::{
    error::{Code, Error, Reason, Result},
    markdown,
    model::{AuditEvent, Category, DocKind, Space, SpaceKind},
    service::documents::{
        self as docs, Actor, DocContent, NewDoc, Planned, PreparedCreate, PreparedUpdate, Update,
    },
    service::spaces::{
        MAX_CATEGORY_DEPTH, MAX_NAME_CHARS, category_created, create_space, new_category,
        tx_write_category,
    },
    service::{Caller, access},
    store::Store,
};

/// Largest front matter read, in bytes; larger is refused before the YAML parser sees it.
pub const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;
/// Deepest nesting in front matter (brackets, braces, indentation, `- ` chains). The YAML parser's
/// time grows faster than linearly with depth: 100,000 nested brackets took 24 s.
pub const MAX_FRONT_MATTER_DEPTH: usize = 32;

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
    /// Files not imported, with the reason (not Markdown).
    pub skipped: Vec<String>,
    /// Categories created.
    pub categories: u64,
}

/// Something wrong with one entry of an import; any problem stops the whole import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The entry's path in the archive or folder.
    pub entry: String,
    /// Stable code: `unsafe_path`, `unreadable`, `empty_name`, `name_too_long`,
    /// `control_character`, `too_deep`, `name_collision`, `front_matter_too_large`,
    /// `front_matter_too_deep`, `body_too_large`, `body_too_deep`, `invalid_body`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

impl Problem {
    fn new(entry: &str, code: &'static str, message: impl Into<String>) -> Self {
        Problem {
            entry: entry.to_owned(),
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.entry, self.message, self.code)
    }
}

/// The error for a refused import: 400 `invalid_input` on `file`, with every problem in
/// `"problems": [{"entry", "code", "message"}]`.
pub fn problems_error(problems: &[Problem]) -> Error {
    let mut message = format!(
        "nothing was imported: {} problem{} found; first: {}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.first().map(|p| p.to_string()).unwrap_or_default()
    );
    if problems.len() > 1 {
        message.push_str(" (all in \"problems\")");
    }
    Error::invalid("file", message)
        .because(Reason::BadEntries)
        .with("problems", problems)
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

/// Splits a file into its front matter (between `---` lines at the very top) and the body after it.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let end = rest
        .match_indices("\n---")
        .find(|(i, _)| {
            let after = &rest[i + 4..];
            after.is_empty() || after.starts_with('\n') || after.starts_with("\r\n")
        })
        .map(|(i, _)| i)?;
    Some((
        &rest[..end],
        rest[end + 4..].trim_start_matches(['\r', '\n']),
    ))
}

/// How deeply front matter nests, as an upper estimate: indentation levels and `- ` chains of the
/// deepest line, plus the deepest bracket nesting (quotes are not parsed: brackets inside quoted
/// strings count too, which only ever over-estimates). Stops counting past `limit`.
fn front_matter_depth(fm: &str, limit: usize) -> usize {
    let mut deepest = 0;
    let mut indents: Vec<usize> = Vec::new();
    for line in fm.lines() {
        let t = line.trim_start_matches([' ', '\t']);
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = line.len() - t.len();
        while indents.last().is_some_and(|&i| i >= indent) {
            indents.pop();
        }
        indents.push(indent);
        let mut rest = t;
        let mut chained = 0;
        while let Some(r) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) {
            chained += 1;
            rest = r.trim_start();
            if chained > limit {
                break;
            }
        }
        deepest = deepest.max(indents.len() + chained);
        if deepest > limit {
            return deepest;
        }
    }
    let (mut flow, mut flow_max) = (0usize, 0usize);
    for b in fm.bytes() {
        match b {
            b'[' | b'{' => {
                flow += 1;
                flow_max = flow_max.max(flow);
                if deepest + flow_max > limit {
                    break;
                }
            }
            b']' | b'}' => flow = flow.saturating_sub(1),
            _ => {}
        }
    }
    deepest + flow_max
}

/// Checks a file's front matter (if it has any) against [`MAX_FRONT_MATTER_BYTES`] and
/// [`MAX_FRONT_MATTER_DEPTH`]: (code, message) of the first limit passed.
pub fn check_front_matter(text: &str) -> std::result::Result<(), (&'static str, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((fm, _)) = split_front_matter(text) else {
        return Ok(());
    };
    if fm.len() > MAX_FRONT_MATTER_BYTES {
        return Err((
            "front_matter_too_large",
            format!(
                "the front matter is {} bytes; the limit is {} KiB",
                fm.len(),
                MAX_FRONT_MATTER_BYTES / 1024
            ),
        ));
    }
    if front_matter_depth(fm, MAX_FRONT_MATTER_DEPTH) > MAX_FRONT_MATTER_DEPTH {
        return Err((
            "front_matter_too_deep",
            format!(
                "the front matter nests more than {MAX_FRONT_MATTER_DEPTH} levels deep (the limit)"
            ),
        ));
    }
    Ok(())
}

/// Splits front matter from a Markdown file and derives title and tags. Front matter that is not
/// YAML, or is over the limits of [`check_front_matter`], gives no title or tags (and is never
/// handed to the YAML parser when over them).
pub fn parse_markdown(text: &str, file_stem: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut title = None;
    let mut tags = Vec::new();
    let mut body = text;
    if let Some((fm, rest)) = split_front_matter(text) {
        body = rest;
        if check_front_matter(text).is_ok()
            && let Ok(serde_yaml_ng::Value::Mapping(m)) =
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
    let title = title.filter(|t| !t.is_empty()).or_else(|| {
        body.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("# "))
            .map(|h| strip_anchor(h.trim()).to_owned())
            .filter(|h| !h.is_empty())
    });
    let title = title.unwrap_or_else(|| file_stem.to_owned());
    // A title comes from a file: control characters (a tab in YAML, say) become spaces.
    let title: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
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
    let spaces: Vec<Space> = store.spaces.all()?;
    if let Some(s) = spaces
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    {
        return Ok(s);
    }
    create_space(store, actor, name, SpaceKind::Knowledge, "")
}

/// A file that passed [`check`]: where it goes and what it holds.
#[derive(Clone)]
pub struct CheckedFile {
    /// Path relative to the import root (the key that finds it again on a re-import).
    pub rel_path: String,
    /// Category names from the top, trimmed.
    pub folders: Vec<String>,
    /// The document's content, validated.
    pub content: DocContent,
}

/// The key comparing names the way collisions are judged: trimmed, case folded.
fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Checks every file (sorted by path) and returns those that pass and every problem found. Pure: no
/// store access. Parses each file (front matter, Markdown nesting): CPU work, off the async workers.
pub fn check(mut files: Vec<SourceFile>, max_body: usize) -> (Vec<CheckedFile>, Vec<Problem>) {
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(files.len());
    // Folder path (folded) -> its first spelling; file path (folded) -> its entry.
    let mut folders_seen: HashMap<String, String> = HashMap::new();
    let mut files_seen: HashMap<String, String> = HashMap::new();
    for f in files {
        let entry = f.rel_path.as_str();
        let before = problems.len();
        let parts: Vec<&str> = entry.split('/').filter(|p| !p.is_empty()).collect();
        let Some((file_name, folders)) = parts.split_last() else {
            problems.push(Problem::new(
                entry,
                "empty_name",
                "the entry has no file name",
            ));
            continue;
        };
        for folder in folders {
            let name = folder.trim();
            if name.is_empty() {
                problems.push(Problem::new(
                    entry,
                    "empty_name",
                    "a folder name is empty or only spaces",
                ));
            } else if name.chars().count() > MAX_NAME_CHARS {
                problems.push(Problem::new(
                    entry,
                    "name_too_long",
                    format!(
                        "the folder name {}... is longer than {MAX_NAME_CHARS} characters (the limit for a category)",
                        name.chars().take(20).collect::<String>()
                    ),
                ));
            }
            if name.chars().any(char::is_control) {
                problems.push(Problem::new(
                    entry,
                    "control_character",
                    format!("the folder name {name:?} contains a control character"),
                ));
            }
        }
        if file_name.chars().any(char::is_control) {
            problems.push(Problem::new(
                entry,
                "control_character",
                format!("the file name {file_name:?} contains a control character"),
            ));
        }
        if folders.len() > MAX_CATEGORY_DEPTH {
            problems.push(Problem::new(
                entry,
                "too_deep",
                format!(
                    "the file is {} folders deep; categories nest at most {MAX_CATEGORY_DEPTH} deep",
                    folders.len()
                ),
            ));
        }
        let names: Vec<String> = folders.iter().map(|f| f.trim().to_owned()).collect();
        if problems.len() == before {
            let mut collided = false;
            for i in 0..names.len() {
                let spelling = names[..=i].join("/");
                let key = fold(&spelling);
                match folders_seen.get(&key) {
                    Some(first) if *first != spelling => {
                        problems.push(Problem::new(
                            entry,
                            "name_collision",
                            format!(
                                "the folder {spelling} differs only in case or spacing from {first}"
                            ),
                        ));
                        collided = true;
                        break;
                    }
                    Some(_) => {}
                    None => {
                        folders_seen.insert(key, spelling);
                    }
                }
            }
            let key = fold(&parts.join("/"));
            if collided {
                // Reported once, for the folder.
            } else if let Some(first) = files_seen.get(&key) {
                problems.push(Problem::new(
                    entry,
                    "name_collision",
                    format!("the path is the same as {first} apart from case or spacing"),
                ));
            } else {
                files_seen.insert(key, entry.to_owned());
            }
        }
        if let Err((code, message)) = check_front_matter(&f.text) {
            problems.push(Problem::new(entry, code, message));
        }
        let stem = file_name
            .rsplit_once('.')
            .map(|(s, _)| s)
            .unwrap_or(file_name);
        let parsed = parse_markdown(&f.text, stem);
        if parsed.body.len() > max_body {
            problems.push(Problem::new(
                entry,
                "body_too_large",
                format!(
                    "the body is {} bytes; the limit is {max_body}",
                    parsed.body.len()
                ),
            ));
        } else if markdown::nests_too_deep(&parsed.body) {
            problems.push(Problem::new(
                entry,
                "body_too_deep",
                format!(
                    "the body nests HTML elements, block quotes or lists more than {} levels deep (the limit)",
                    markdown::MAX_NESTING
                ),
            ));
        }
        if problems.len() > before {
            continue;
        }
        match docs::validate_fields(&parsed.title, &parsed.body, &parsed.tags, max_body) {
            Ok(content) => out.push(CheckedFile {
                rel_path: f.rel_path,
                folders: names,
                content,
            }),
            Err(e) => problems.push(Problem::new(entry, "invalid_body", e.to_string())),
        }
    }
    (out, problems)
}

/// What [`write`] will do, computed outside the transaction.
struct Plan {
    categories: Vec<(Category, AuditEvent)>,
    creates: Vec<PreparedCreate>,
    updates: Vec<PreparedUpdate>,
    report: ImportReport,
}

/// Existing categories of a space by folded path ("a/b").
fn category_paths(store: &Store, space: &Space) -> Result<HashMap<String, String>> {
    let cats: Vec<Category> = store.categories.all()?;
    let by_id: HashMap<&str, &Category> = cats
        .iter()
        .filter(|c| c.space_id == space.id)
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut by_path = HashMap::new();
    for c in by_id.values() {
        let mut names = vec![fold(&c.name)];
        let mut p = c.parent_id.as_deref();
        while let Some(pid) = p {
            match by_id.get(pid) {
                Some(pc) => {
                    names.push(fold(&pc.name));
                    p = pc.parent_id.as_deref();
                }
                None => break,
            }
        }
        names.reverse();
        by_path.entry(names.join("/")).or_insert(c.id.clone());
    }
    Ok(by_path)
}

fn plan(store: &Store, actor: &Actor, space: &Space, files: &[CheckedFile]) -> Result<Plan> {
    let mut by_path = category_paths(store, space)?;
    let mut plan = Plan {
        categories: Vec::new(),
        creates: Vec::new(),
        updates: Vec::new(),
        report: ImportReport::default(),
    };
    // Every file's document id first (the one it became on an earlier import, or a new one),
    // so that links between the files can point at their documents in the first version.
    let mut ids: HashMap<String, (String, bool)> = HashMap::new();
    for f in files {
        let existing = store
            .import_paths
            .get(&space.id, &f.rel_path)?
            .filter(|id| docs::load_meta(store, id).is_ok_and(|d| d.deleted.is_none()));
        let entry = match existing {
            Some(id) => (id, true),
            None => (crate::model::new_id(), false),
        };
        ids.insert(fold(&f.rel_path), entry);
    }
    let resolve = |path: &str| -> Option<String> {
        ids.get(&fold(path))
            .map(|(id, _)| id.clone())
            .or_else(|| store.import_paths.get(&space.id, path).ok().flatten())
    };
    for f in files {
        let mut content = f.content.clone();
        if content.body.contains(".md") || content.body.contains(".markdown") {
            content.body = crate::domain::links::rewrite(&content.body, &f.rel_path, &resolve);
        }
        let mut parent: Option<String> = None;
        let mut path = String::new();
        for folder in &f.folders {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&fold(folder));
            let id = match by_path.get(&path) {
                Some(id) => id.clone(),
                None => {
                    let cat = new_category(&space.id, folder.clone(), parent.as_deref());
                    let ev = category_created(actor, store.next_seq()?, &cat);
                    by_path.insert(path.clone(), cat.id.clone());
                    let id = cat.id.clone();
                    plan.categories.push((cat, ev));
                    id
                }
            };
            parent = Some(id);
        }
        let key = (space.id.clone(), f.rel_path.clone());
        let (id, existed) = ids
            .get(&fold(&f.rel_path))
            .cloned()
            .unwrap_or_else(|| (crate::model::new_id(), false));
        match existed.then(|| docs::load_meta(store, &id).ok()).flatten() {
            Some(doc) if doc.deleted.is_none() => {
                let up = Update {
                    content,
                    category_id: Some(parent),
                    base_version: doc.version,
                    message: format!("导入 {}", f.rel_path),
                    needs_review: false,
                    action: "document.import",
                    reconfirm: false,
                };
                match docs::prepare_update(store, actor, &doc.id, &up)? {
                    Planned::Unchanged(_) => plan.report.unchanged += 1,
                    Planned::Save(p) => {
                        plan.updates.push(*p);
                        plan.report.updated += 1;
                    }
                }
            }
            _ => {
                plan.creates.push(docs::prepare_create_as(
                    store,
                    actor,
                    NewDoc {
                        space_id: space.id.clone(),
                        category_id: parent,
                        content,
                        kind: DocKind::Doc,
                        record_type: None,
                        needs_review: false,
                        message: format!("导入 {}", f.rel_path),
                        import_key: Some(key),
                    },
                    id,
                )?);
                plan.report.created += 1;
            }
        }
    }
    plan.report.categories = plan.categories.len() as u64;
    Ok(plan)
}

/// Writes checked files into a space in ONE store transaction: every category, document and version
/// lands, or nothing does. Sub-folders become categories (an existing one is reused, matched
/// without regard to case); a path imported before gets a new version. A document edited while the
/// import was planned makes it plan again (a few times, then 409 `import_conflict`).
pub fn write(
    store: &Store,
    actor: &Actor,
    space: &Space,
    files: &[CheckedFile],
) -> Result<ImportReport> {
    for _ in 0..3 {
        let plan = plan(store, actor, space, files)?;
        let written = store.transact(|tx| {
            for u in &plan.updates {
                if !docs::tx_still_current(tx, u)? {
                    return Ok(false);
                }
            }
            for (cat, ev) in &plan.categories {
                tx_write_category(tx, cat, ev)?;
            }
            for c in &plan.creates {
                docs::tx_create(tx, c)?;
            }
            for u in &plan.updates {
                docs::tx_update(tx, u)?;
            }
            Ok(true)
        })?;
        if written {
            return Ok(plan.report);
        }
    }
    Err(Error::rule(
        Code::ImportConflict,
        "documents of this space kept changing during the import; try again",
    ))
}

/// Checks files and, if every one passes, writes them all ([`check`] then [`write`]); otherwise
/// writes nothing and answers [`problems_error`].
pub fn import_files(
    store: &Store,
    actor: &Actor,
    space: &Space,
    files: Vec<SourceFile>,
    max_body: usize,
) -> Result<ImportReport> {
    let (checked, problems) = check(files, max_body);
    if !problems.is_empty() {
        return Err(problems_error(&problems));
    }
    write(store, actor, space, &checked)
}

/// The space a caller may import into: they must manage its categories (sub-folders become
/// categories). Hidden -> 404, visible but not managed -> 403.
pub fn target_space(store: &Store, who: &Caller, space_id: &str) -> Result<Space> {
    access::managed_space(store, &who.subject(), space_id, None)
}

/// Imports a zip archive into a space the caller may import into ([`target_space`]): unpacked
/// within `limits`, every file checked, then all written in one transaction or nothing (CPU and
/// blocking work: call from the pool).
pub fn import_zip(
    store: &Store,
    who: &Caller,
    space_id: &str,
    bytes: &[u8],
    limits: &ZipLimits,
    max_body: usize,
) -> Result<ImportReport> {
    let space = target_space(store, who, space_id)?;
    let zip = read_zip(bytes, limits)?;
    if zip.files.is_empty() && zip.problems.is_empty() {
        return Err(
            Error::invalid("file", "the archive holds no Markdown (.md) files")
                .because(Reason::NoMarkdown),
        );
    }
    let (checked, more) = check(zip.files, max_body);
    let problems: Vec<_> = zip.problems.into_iter().chain(more).collect();
    if !problems.is_empty() {
        return Err(problems_error(&problems));
    }
    let mut report = write(store, &Actor::of(who), &space, &checked)?;
    report.skipped = zip.skipped;
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

/// Reads a folder's files as import sources (lossy UTF-8). A file that cannot be read, or is larger
/// than `max_file` bytes (read no further), is a problem, not a silent omission.
pub fn read_folder(
    dir: &Path,
    files: &[PathBuf],
    max_file: u64,
) -> (Vec<SourceFile>, Vec<Problem>) {
    let mut out = Vec::with_capacity(files.len());
    let mut problems = Vec::new();
    for p in files {
        let rel = p
            .strip_prefix(dir)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        let mut buf = Vec::new();
        let read = std::fs::File::open(p).and_then(|f| f.take(max_file + 1).read_to_end(&mut buf));
        match read {
            Err(e) => problems.push(Problem::new(
                &rel,
                "unreadable",
                format!("cannot read: {e}"),
            )),
            Ok(n) if n as u64 > max_file => problems.push(Problem::new(
                &rel,
                "body_too_large",
                format!("the file is larger than {max_file} bytes (the limit)"),
            )),
            Ok(_) => out.push(SourceFile {
                rel_path: rel,
                text: crate::extraction::decode_text(&buf),
            }),
        }
    }
    (out, problems)
}

/// Limits on zip uploads (zip-bomb defence, and the size of the one transaction an import is).
pub struct ZipLimits {
    /// Most entries.
    pub max_entries: usize,
    /// Largest total uncompressed size.
    pub max_total: u64,
    /// Largest single file.
    pub max_file: u64,
}

/// The importable files of an archive, the problems met reading it, and what was passed over.
#[derive(Default)]
pub struct ZipContents {
    /// Markdown files, sorted by path.
    pub files: Vec<SourceFile>,
    /// Entries refused (unsafe paths).
    pub problems: Vec<Problem>,
    /// Entries passed over, with the reason (not Markdown).
    pub skipped: Vec<String>,
}

/// Reads the importable files of a zip archive. An unsafe path (zip-slip: `..`, absolute) is a
/// problem of its entry; reading goes on so that every one is reported. Bombs stop it at once:
/// entry count, per-file and total sizes are capped by what is actually read, not by what the
/// archive claims (413 `payload_too_large`).
pub fn read_zip(bytes: &[u8], limits: &ZipLimits) -> Result<ZipContents> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        Error::invalid("file", format!("not a readable zip archive: {e}")).because(Reason::NotZip)
    })?;
    if zip.len() > limits.max_entries {
        return Err(Error::invalid(
            "file",
            format!(
                "the archive has {} entries; the limit is {}",
                zip.len(),
                limits.max_entries
            ),
        )
        .because(Reason::TooMany)
        .with("limit", limits.max_entries));
    }
    let mut total = 0u64;
    let mut out = ZipContents::default();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| {
            Error::invalid("file", format!("bad zip entry: {e}")).because(Reason::NotZip)
        })?;
        let name = entry.name().to_owned();
        // Windows archivers may write '\\' separators: they count as separators here.
        let pieces: Vec<&str> = name
            .split(['/', '\\'])
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if entry.enclosed_name().is_none()
            || name.starts_with(['/', '\\'])
            || pieces.contains(&"..")
        {
            out.problems.push(Problem::new(
                &name,
                "unsafe_path",
                "unsafe path in archive: it leads outside the import (`..` or absolute)",
            ));
            continue;
        }
        if entry.is_dir() {
            continue;
        }
        let rel = pieces.join("/");
        if rel.split('/').any(|c| c.starts_with('.')) {
            continue;
        }
        if !importable(&rel) {
            out.skipped.push(format!("{rel}: not a Markdown file"));
            continue;
        }
        let mut buf = Vec::new();
        let read = (&mut entry)
            .take(limits.max_file + 1)
            .read_to_end(&mut buf)
            .map_err(|e| {
                Error::invalid("file", format!("cannot read {rel} from the archive: {e}"))
                    .because(Reason::NotZip)
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
        out.files.push(SourceFile {
            rel_path: rel,
            text: crate::extraction::decode_text(&buf),
        });
    }
    out.files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
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

    #[test]
    fn front_matter_limits_are_checked_before_the_yaml_parser() {
        let deep = format!(
            "---\ntitle: {}{}\n---\n# 标题\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let t = std::time::Instant::now();
        let e = check_front_matter(&deep).unwrap_err();
        let p = parse_markdown(&deep, "f");
        eprintln!(
            "100,000 nested brackets: checked and parsed in {:?}",
            t.elapsed()
        );
        assert_eq!(e.0, "front_matter_too_large", "200 KB of brackets");
        assert_eq!(p.title, "标题", "the front matter is not read");
        let deep = format!(
            "---\ntitle: {}{}\n---\n# 标题\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let e = check_front_matter(&deep).unwrap_err();
        assert_eq!(e.0, "front_matter_too_deep");
        assert!(e.1.contains("32"), "{}", e.1);
        assert_eq!(parse_markdown(&deep, "f").title, "标题");
        let chained = format!("---\nk: \n{}x\n---\n", "- ".repeat(1_000));
        assert_eq!(
            check_front_matter(&chained).unwrap_err().0,
            "front_matter_too_deep"
        );
        let big = format!("---\ntitle: t\nsummary: {}\n---\n", "长".repeat(30_000));
        let e = check_front_matter(&big).unwrap_err();
        assert_eq!(e.0, "front_matter_too_large");
        assert!(e.1.contains("64 KiB"), "{}", e.1);
        let fine =
            "---\ntitle: 分区表\nkeywords: [TiDB, 分区]\nmeta:\n  a:\n    - {x: [1, 2]}\n---\n正文";
        assert_eq!(check_front_matter(fine), Ok(()));
        assert_eq!(check_front_matter("没有 front matter"), Ok(()));
    }

    fn src(path: &str, text: &str) -> SourceFile {
        SourceFile {
            rel_path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn check_reports_every_problem_with_its_entry() {
        let long = "长".repeat(101);
        let deep = (1..=13)
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join("/");
        let files = vec![
            src("ok/a.md", "# 好\n"),
            src(&format!("{long}/b.md"), "# b\n"),
            src("ctl\u{7}/c.md", "# c\n"),
            src("docs/d.md", "# d\n"),
            src("Docs/e.md", "# e\n"),
            src(&format!("{deep}/f.md"), "# f\n"),
            src("g.md", &format!("---\ntitle: {}\n---\n", "[".repeat(40))),
            src("h.md", &"<div>".repeat(200)),
            src("i.md", "# bad\n\0"),
            src("OK/A.md", "# dup\n"),
        ];
        let (ok, problems) = check(files, 1 << 20);
        let got: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.entry.as_str(), p.code))
            .collect();
        let long_entry = format!("{long}/b.md");
        let deep_entry = format!("{deep}/f.md");
        // Paths are taken in byte order: the upper-case spellings come first and stand.
        let mut want = vec![
            ("docs/d.md", "name_collision"),
            ("ok/a.md", "name_collision"),
            ("ctl\u{7}/c.md", "control_character"),
            (deep_entry.as_str(), "too_deep"),
            ("g.md", "front_matter_too_deep"),
            ("h.md", "body_too_deep"),
            ("i.md", "invalid_body"),
            (long_entry.as_str(), "name_too_long"),
        ];
        want.sort();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        assert_eq!(got_sorted, want, "{problems:#?}");
        assert!(problems.iter().all(|p| !p.message.is_empty()));
        let ok: Vec<&str> = ok.iter().map(|f| f.rel_path.as_str()).collect();
        assert_eq!(ok, vec!["Docs/e.md", "OK/A.md"]);
        let dup = problems.iter().find(|p| p.entry == "docs/d.md").unwrap();
        assert!(
            dup.message.contains("Docs"),
            "names the other: {}",
            dup.message
        );
        // 12 folders deep is allowed.
        let twelve = (1..=12)
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join("/");
        let (ok, problems) = check(vec![src(&format!("{twelve}/x.md"), "x")], 1 << 20);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(ok[0].folders.len(), 12);
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
        let z = zip_of(&[
            ("../../etc/evil.md", b"x"),
            ("ok.md", b"# ok"),
            ("/abs/evil.md", b"x"),
            ("a/../../evil.md", b"x"),
        ]);
        let c = read_zip(&z, &LIMITS).unwrap();
        let refused: Vec<(&str, &str)> = c
            .problems
            .iter()
            .map(|p| (p.entry.as_str(), p.code))
            .collect();
        assert_eq!(
            refused,
            vec![
                ("../../etc/evil.md", "unsafe_path"),
                ("/abs/evil.md", "unsafe_path"),
                ("a/../../evil.md", "unsafe_path")
            ]
        );
        assert!(c.problems[0].message.contains("unsafe path"));
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
        let c = read_zip(&z, &LIMITS).unwrap();
        assert_eq!(c.files.len(), 1);
        assert_eq!(c.files[0].rel_path, "docs/a.md");
        assert_eq!(c.skipped, vec!["img.png: not a Markdown file"]);
    }
}
