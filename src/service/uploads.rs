//! `POST /spaces/{id}/upload`: files that become documents. Markdown and text files (in any
//! common Chinese encoding) are read as the CLI import reads them (front matter title and tags,
//! else the first heading, else the file name); a Word file is converted to Markdown in the
//! extraction worker (never in the server process), its images becoming attachments of the new
//! document. Each file succeeds or fails alone, with its reason.

use base64::Engine;
use serde_json::json;

use crate::{
    error::{Error, Reason, Result},
    model::{Attachment, TextStatus, new_id},
    service::{
        Caller,
        attachments::{Worker, inline_kind},
        documents::{self as docs, Actor, checked, tx_audit},
        import, records,
    },
    store::{Store, blobs::Blobs},
};

/// One uploaded file.
pub struct File {
    /// Its name.
    pub filename: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A document made from a file.
pub struct Made {
    /// Document id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The file.
    pub filename: String,
}

/// A file that did not become a document.
pub struct Failed {
    /// The file.
    pub filename: String,
    /// Stable code (`unsupported_type`, `payload_too_large`, `conversion_failed`, or the code of
    /// the refusal).
    pub code: String,
    /// Why (Chinese where the reason is the file's).
    pub message: String,
}

/// Resolves a linked file's path to a document id.
type Resolve<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Which kind of file a name is.
enum Kind {
    Markdown,
    Docx,
}

fn kind_of(name: &str) -> Option<Kind> {
    let lower = name.to_lowercase();
    if [".md", ".markdown", ".mdown", ".txt", ".text"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        Some(Kind::Markdown)
    } else if lower.ends_with(".docx") {
        Some(Kind::Docx)
    } else {
        None
    }
}

/// The stem of a file name (its title of last resort).
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Checks that the caller may create documents in the space (and category): hidden -> 404,
/// read-only -> 403, before any file is read.
pub fn check_target(
    store: &Store,
    who: &Caller,
    space_id: &str,
    category_id: Option<&str>,
) -> Result<()> {
    let space = crate::service::spaces::visible(store, who, space_id)?;
    let (can_create, _) = records::creatable(store, who, &space, category_id)?;
    if !can_create {
        return Err(Error::Forbidden(
            "you may not create documents in this space".into(),
        ));
    }
    Ok(())
}

/// Makes a document of each file (CPU and worker time: call from the pool).
#[allow(clippy::too_many_arguments)]
pub fn upload(
    store: &Store,
    blobs: &Blobs,
    worker: &Worker,
    who: &Caller,
    space_id: &str,
    category_id: Option<String>,
    files: Vec<File>,
    max_body: usize,
) -> Result<(Vec<Made>, Vec<Failed>)> {
    check_target(store, who, space_id, category_id.as_deref())?;
    // Each file's document id first, so that links between the files (`[见](安装.md)`) point
    // at the documents they become.
    let ids: Vec<String> = files.iter().map(|_| new_id()).collect();
    let names: std::collections::HashMap<String, String> = files
        .iter()
        .zip(&ids)
        .filter_map(|(f, id)| {
            let name = crate::service::attachments::clean_filename(&f.filename).ok()?;
            let md = name.rsplit_once('.').map(|(s, _)| format!("{s}.md"))?;
            Some([
                (name.to_lowercase(), id.clone()),
                (md.to_lowercase(), id.clone()),
            ])
        })
        .flatten()
        .collect();
    let resolve = |path: &str| -> Option<String> {
        names
            .get(&path.to_lowercase())
            .cloned()
            .or_else(|| store.import_paths.get(space_id, path).ok().flatten())
    };
    let mut made = Vec::new();
    let mut failed = Vec::new();
    for (f, id) in files.into_iter().zip(ids) {
        let filename = f.filename.clone();
        match one(
            store,
            blobs,
            worker,
            who,
            (space_id, category_id.clone()),
            f,
            max_body,
            (id, &resolve),
        ) {
            Ok(m) => made.push(m),
            Err(e) => {
                let (code, message) = match &e {
                    Error::Internal(_) => ("internal".to_owned(), "服务器内部错误".to_owned()),
                    e => (e.code().as_str().to_owned(), e.to_string()),
                };
                failed.push(Failed {
                    filename,
                    code,
                    message,
                });
            }
        }
    }
    Ok((made, failed))
}

#[allow(clippy::too_many_arguments)]
fn one(
    store: &Store,
    blobs: &Blobs,
    worker: &Worker,
    who: &Caller,
    (space_id, category_id): (&str, Option<String>),
    f: File,
    max_body: usize,
    (id, resolve): (String, Resolve<'_>),
) -> Result<Made> {
    let filename = crate::service::attachments::clean_filename(&f.filename)?;
    let kind = kind_of(&filename).ok_or_else(|| {
        Error::invalid(
            "file",
            "only .md, .markdown, .txt and .docx files become documents",
        )
        .because(Reason::NotOneOf)
        .with("allowed", [".md", ".markdown", ".txt", ".docx"])
        .unprocessable()
    })?;
    let (markdown, images) = match kind {
        Kind::Markdown => {
            if f.bytes.len() > max_body {
                return Err(Error::PayloadTooLarge { limit: max_body });
            }
            (crate::extraction::decode_text(&f.bytes), Vec::new())
        }
        Kind::Docx => {
            let (tmp, mut file) = blobs.temp()?;
            std::io::Write::write_all(&mut file, &f.bytes)
                .map_err(|e| Error::internal(format!("cannot write {}: {e}", tmp.display())))?;
            drop(file);
            let out = worker.markdown(&tmp, &filename);
            let _ = std::fs::remove_file(&tmp);
            match (out.status, out.markdown) {
                (TextStatus::Ok, Some(md)) => (md, out.images),
                _ => {
                    return Err(Error::invalid(
                        "file",
                        out.error.unwrap_or_else(|| "无法转换这个 Word 文档".into()),
                    )
                    .because(Reason::BadValue)
                    .unprocessable());
                }
            }
        }
    };
    if let Err((_, message)) = import::check_front_matter(&markdown) {
        return Err(Error::invalid("file", message)
            .because(Reason::TooDeep)
            .unprocessable());
    }
    let parsed = import::parse_markdown(&markdown, stem(&filename));
    // Images get their attachment ids before the document exists, so its first version links
    // them where they will be.
    let mut body = if parsed.body.contains(".md") || parsed.body.contains(".markdown") {
        crate::domain::links::rewrite(&parsed.body, &filename, resolve)
    } else {
        parsed.body
    };
    let mut pictures = Vec::new();
    for img in images {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&img.data) else {
            continue;
        };
        let id = new_id();
        body = body.replace(
            &format!("attachment:{}", img.name),
            &format!("/api/v1/attachments/{id}/content"),
        );
        pictures.push((id, img.name, bytes));
    }
    let content = docs::validate(&parsed.title, &body, &parsed.tags, max_body)?;
    let doc = checked::create(
        store,
        who,
        checked::CreateInput {
            space_id: space_id.to_owned(),
            category_id,
            content,
            message: format!("上传自 {filename}"),
            record_type: None,
            id: Some(id),
        },
    )?;
    for (id, name, bytes) in pictures {
        let sha = blobs.put(&bytes)?;
        let ct = mime_guess::from_path(&name)
            .first_raw()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let a = Attachment {
            id,
            doc_id: doc.id.clone(),
            inline: inline_kind(&bytes[..bytes.len().min(16)], &ct),
            content_type: ct,
            filename: name,
            size: bytes.len() as u64,
            sha256: sha,
            text_status: TextStatus::NoText,
            text_error: None,
            pages: 0,
            created_at: chrono::Utc::now(),
            uploaded_by: who.id().to_owned(),
        };
        let ev = Actor::of(who).event(
            store.next_seq()?,
            "attachment.add",
            format!("document:{}", doc.id),
            "ok",
            Some(json!({"attachment": a.id, "filename": a.filename, "from": filename})),
        );
        store.transact(|tx| {
            tx.attachments.put(&a)?;
            tx_audit(tx, &ev)
        })?;
    }
    Ok(Made {
        id: doc.id,
        title: doc.title,
        filename,
    })
}
