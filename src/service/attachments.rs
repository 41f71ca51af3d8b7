//! Attachments: files on a document, read exactly when the document may be read. Bytes are
//! blobs by SHA-256 (`store::blobs`); text is extracted in the background by a child process
//! (`hanlin extract-worker`, with memory, CPU and time limits), so a hostile file can only fail
//! its own extraction. A restart resumes what was pending. The text is indexed with the
//! document (`indexer::to_index_doc`), one section per page.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    domain::permission::Action,
    error::{Error, Reason, Result},
    model::{Attachment, AttachmentText, Doc, TextStatus, new_id},
    service::{
        Caller, access,
        documents::{self as docs, Actor, checked, tx_audit, tx_outbox},
    },
    store::{Store, blobs::Blobs},
};

/// Longest file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;
/// Most attachments on one document.
pub const MAX_PER_DOC: usize = 500;
/// Text kept per attachment (the worker cuts there).
pub const MAX_TEXT_BYTES: usize = 20 * 1024 * 1024;
/// Memory the worker may use.
const WORKER_MEMORY: u64 = 1024 * 1024 * 1024;

/// The file name as uploaded, made safe: the last path component, control characters
/// dropped, trimmed, at most [`MAX_FILENAME_CHARS`]. An empty one is 400.
pub fn clean_filename(raw: &str) -> Result<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILENAME_CHARS)
        .collect();
    let name = name.trim().trim_start_matches('.').trim().to_owned();
    if name.is_empty() {
        return Err(Error::invalid("file", "the file needs a name").because(Reason::Required));
    }
    Ok(name)
}

/// The type a file name suggests.
fn content_type(name: &str) -> String {
    mime_guess::from_path(name)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned()
}

/// Whether the bytes are what a browser may show inline: a PDF or a raster image whose first
/// bytes say so (never HTML, SVG or anything that runs).
pub fn inline_kind(head: &[u8], content_type: &str) -> bool {
    match content_type {
        "application/pdf" => head.starts_with(b"%PDF-"),
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => head.starts_with(b"\xff\xd8\xff"),
        "image/gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "image/webp" => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
        _ => false,
    }
}

/// The document a caller may attach files to (edit rights; hidden: 404).
pub fn may_attach(store: &Store, who: &Caller, doc_id: &str) -> Result<Doc> {
    let doc = docs::load_meta(store, doc_id)?;
    access::require_seen_doc(store, &who.subject(), Action::Edit, &doc)?;
    Ok(doc)
}

/// An upload written to a temporary file (fsynced), with its hash, size and first bytes.
pub struct Upload {
    /// The name as sent.
    pub filename: String,
    /// The temporary file.
    pub tmp: PathBuf,
    /// SHA-256, hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// The first bytes (for the inline check).
    pub head: Vec<u8>,
}

/// Adds an upload to a document the caller may edit: the blob moved into place first, then
/// the record (pending extraction) in one transaction with its audit event.
pub fn add(
    store: &Store,
    blobs: &Blobs,
    who: &Caller,
    doc_id: &str,
    up: Upload,
) -> Result<Attachment> {
    let doc = may_attach(store, who, doc_id)?;
    if store.attachments.of_doc(&doc.id)?.len() >= MAX_PER_DOC {
        let _ = std::fs::remove_file(&up.tmp);
        return Err(
            Error::invalid("file", format!("at most {MAX_PER_DOC} attachments"))
                .because(Reason::TooMany)
                .with("limit", MAX_PER_DOC)
                .unprocessable(),
        );
    }
    let filename = clean_filename(&up.filename)?;
    blobs.commit(&up.tmp, &up.sha256)?;
    let ct = content_type(&filename);
    let a = Attachment {
        id: new_id(),
        doc_id: doc.id.clone(),
        inline: inline_kind(&up.head, &ct),
        content_type: ct,
        filename,
        size: up.size,
        sha256: up.sha256,
        text_status: TextStatus::Pending,
        text_error: None,
        pages: 0,
        created_at: Utc::now(),
        uploaded_by: who.id().to_owned(),
    };
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "attachment.add",
        format!("document:{}", doc.id),
        "ok",
        Some(
            json!({"attachment": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256}),
        ),
    );
    store.transact(|tx| {
        tx.attachments.put(&a)?;
        tx_audit(tx, &ev)
    })?;
    Ok(a)
}

/// The attachments of a document the caller may read.
pub fn list(store: &Store, who: &Caller, doc_id: &str) -> Result<Vec<Attachment>> {
    let r = checked::readable(store, who, doc_id)?;
    store.attachments.of_doc(&r.head.id)
}

/// An attachment whose document the caller may read; else 404, as for one that does not exist.
pub fn get(store: &Store, who: &Caller, id: &str) -> Result<Attachment> {
    let a = store
        .attachments
        .get(id)?
        .ok_or(Error::NotFound("attachment"))?;
    checked::readable(store, who, &a.doc_id).map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("attachment"),
        e => e,
    })?;
    Ok(a)
}

/// The bytes of an attachment the caller may read.
pub fn open(
    store: &Store,
    blobs: &Blobs,
    who: &Caller,
    id: &str,
) -> Result<(Attachment, std::fs::File)> {
    let a = get(store, who, id)?;
    let f = blobs.open(&a.sha256)?;
    Ok((a, f))
}

/// Removes an attachment (those who may edit its document); its blob goes when no other
/// attachment holds the same bytes. Its text leaves the index with the document's next
/// indexing.
pub fn delete(store: &Store, blobs: &Blobs, who: &Caller, id: &str) -> Result<()> {
    let a = get(store, who, id)?;
    may_attach(store, who, &a.doc_id)?;
    let ev = Actor::of(who).event(
        store.next_seq()?,
        "attachment.delete",
        format!("document:{}", a.doc_id),
        "ok",
        Some(json!({"attachment": a.id, "filename": a.filename})),
    );
    let seq = store.next_seq()?;
    store.transact(|tx| {
        tx.attachments.remove(&a)?;
        tx_outbox(tx, seq, &a.doc_id)?;
        tx_audit(tx, &ev)
    })?;
    if store.attachments.using_blob(&a.sha256)? == 0 {
        blobs.remove(&a.sha256)?;
    }
    Ok(())
}

/// An attachment the caller may read, with its extracted text (None while pending or when it
/// has none).
pub fn text(store: &Store, who: &Caller, id: &str) -> Result<(Attachment, Option<AttachmentText>)> {
    let a = get(store, who, id)?;
    let t = store.attachments.text(&a.id)?;
    Ok((a, t))
}

/// The indexed text of a document's attachments, oldest first (those with text only).
pub fn searchable(store: &Store, doc_id: &str) -> Result<Vec<(Attachment, AttachmentText)>> {
    if !store.attachments.any_of_doc(doc_id)? {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for a in store.attachments.of_doc(doc_id)? {
        if a.text_status == TextStatus::Ok
            && let Some(t) = store.attachments.text(&a.id)?
        {
            out.push((a, t));
        }
    }
    Ok(out)
}

// ---- extraction ---------------------------------------------------------------------------------

/// What the worker writes on its standard output (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerOutput {
    /// `ok`, `no_text` or `failed`.
    pub status: TextStatus,
    /// Why not (Chinese).
    #[serde(default)]
    pub error: Option<String>,
    /// The text.
    #[serde(default)]
    pub text: String,
    /// Where pages 2, 3… start in it.
    #[serde(default)]
    pub pages: Vec<usize>,
    /// With `--markdown`, for a .docx: the document as Markdown, its images linked as
    /// `attachment:NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// Those images.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<WorkerImage>,
}

/// An image of a converted .docx.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerImage {
    /// Its name in the document (`image1.png`).
    pub name: String,
    /// Its bytes, base64.
    pub data: String,
}

impl WorkerOutput {
    /// A failed extraction.
    pub fn failed(why: &str) -> WorkerOutput {
        WorkerOutput {
            status: TextStatus::Failed,
            error: Some(why.to_owned()),
            text: String::new(),
            pages: Vec::new(),
            markdown: None,
            images: Vec::new(),
        }
    }
}

/// `hanlin extract-worker FILE --name NAME`: limits itself (memory, CPU), reads one file and
/// prints what it holds as [`WorkerOutput`] JSON.
pub fn worker_main(file: &Path, name: &str, max_text: usize, markdown: bool) -> Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let _ = setrlimit(
        Resource::As,
        Rlimit {
            current: Some(WORKER_MEMORY),
            maximum: Some(WORKER_MEMORY),
        },
    );
    let _ = setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(120),
            maximum: Some(120),
        },
    );
    let bytes = std::fs::read(file)
        .map_err(|e| Error::internal(format!("cannot read {}: {e}", file.display())))?;
    let out = if markdown {
        crate::extraction::to_markdown(name, &bytes, max_text)
    } else {
        crate::extraction::extract(name, &bytes, max_text)
    };
    let json = serde_json::to_string(&out).map_err(Error::internal)?;
    println!("{json}");
    Ok(())
}

/// How the server runs the worker.
#[derive(Debug, Clone)]
pub struct Worker {
    /// The program (`hanlin`).
    pub program: PathBuf,
    /// Wall-clock limit.
    pub timeout: Duration,
}

impl Worker {
    /// Runs the worker on one blob; whatever goes wrong is a failed extraction with a reason.
    pub fn run(&self, file: &Path, name: &str) -> WorkerOutput {
        self.run_mode(file, name, false)
    }

    /// Runs the worker converting a .docx to Markdown (with its images).
    pub fn markdown(&self, file: &Path, name: &str) -> WorkerOutput {
        self.run_mode(file, name, true)
    }

    fn run_mode(&self, file: &Path, name: &str, markdown: bool) -> WorkerOutput {
        let failed = WorkerOutput::failed;
        let mut cmd = Command::new(&self.program);
        if markdown {
            cmd.arg("extract-worker").arg("--markdown");
        } else {
            cmd.arg("extract-worker");
        }
        let child = cmd
            .arg(file)
            .arg("--name")
            .arg(name)
            .arg("--max-text")
            .arg(MAX_TEXT_BYTES.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, program = %self.program.display(), "cannot start the extraction worker");
                return failed("无法启动文本提取进程");
            }
        };
        // Read the output on a thread while this one watches the clock.
        let mut stdout = child.stdout.take().expect("piped");
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let limit = (MAX_TEXT_BYTES as u64) * 3 + (1 << 20);
            let r = (&mut stdout).take(limit).read_to_end(&mut buf);
            r.map(|_| buf)
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if start.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break None,
            }
        };
        let out = reader.join().ok().and_then(|r| r.ok()).unwrap_or_default();
        match status {
            None => failed("文本提取超时（文件过大或结构异常）"),
            Some(s) if !s.success() => failed("文本提取进程异常退出（文件可能已损坏或过于复杂）"),
            Some(_) => {
                serde_json::from_slice(&out).unwrap_or_else(|_| failed("文本提取结果无法读取"))
            }
        }
    }
}

/// Extracts one pending attachment and stores the outcome (and queues its document for
/// indexing). Returns whether anything was done.
pub fn extract_one(store: &Store, blobs: &Blobs, worker: &Worker, a: &Attachment) -> Result<bool> {
    let out = worker.run(&blobs.path(&a.sha256), &a.filename);
    let status = match out.status {
        TextStatus::Ok if out.text.trim().is_empty() => TextStatus::NoText,
        TextStatus::Pending => TextStatus::Failed,
        s => s,
    };
    let text = AttachmentText {
        text: out.text,
        pages: out.pages,
        markdown: out.markdown,
    };
    let seq = store.next_seq()?;
    let done = store.transact(|tx| {
        let Some(mut cur) = tx.attachments.get(&a.id)? else {
            return Ok(false); // deleted meanwhile
        };
        cur.text_status = status;
        cur.text_error = out.error.clone().filter(|_| status != TextStatus::Ok);
        cur.pages = if status == TextStatus::Ok {
            u32::try_from(text.pages.len() + 1).unwrap_or(u32::MAX)
        } else {
            0
        };
        tx.attachments.put(&cur)?;
        if status == TextStatus::Ok {
            tx.attachments.put_text(&a.id, &text)?;
        }
        tx_outbox(tx, seq, &a.doc_id)?;
        Ok(true)
    })?;
    Ok(done)
}

/// Extracts pending attachments one at a time (2 cores: one worker): at start-up every pending
/// one (what a restart left), then, when woken, those added since (ids are time-ordered, so
/// no wake reads every record again).
pub async fn run(state: crate::AppState) {
    let mut cursor: Option<String> = None;
    loop {
        let (st, from) = (state.clone(), cursor.clone());
        let r = tokio::task::spawn_blocking(move || -> Result<(usize, Option<String>)> {
            let (pending, last) = st.store.attachments.pending_after(from.as_deref())?;
            let mut n = 0;
            for a in pending {
                if extract_one(&st.store, &st.blobs, &st.extract_worker(), &a)? {
                    n += 1;
                }
            }
            Ok((n, last))
        })
        .await;
        match r {
            Ok(Ok((n, last))) => {
                cursor = last;
                if n > 0 {
                    let _ = state.store.flush().await;
                    state.notify_indexer();
                    continue; // more may have arrived meanwhile
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "attachment extraction"),
            Err(_) => {}
        }
        tokio::select! {
            _ = state.extract_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

/// `hanlin check`: every attachment's blob exists and hashes to its name; blobs no attachment
/// names are reported as orphaned.
pub fn verify(store: &Store, blobs: &Blobs) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let all = store.attachments.all()?;
    let mut named: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for a in &all {
        named.insert(&a.sha256);
        if !blobs.path(&a.sha256).exists() {
            problems.push(format!(
                "attachment {} ({}) of document {}: its file {} is missing",
                a.id, a.filename, a.doc_id, a.sha256
            ));
        } else if !blobs.verify(&a.sha256)? {
            problems.push(format!(
                "attachment {} ({}): its file {} does not match its hash",
                a.id, a.filename, a.sha256
            ));
        }
        if store.docs.get(&a.doc_id)?.is_none() {
            problems.push(format!(
                "attachment {} ({}) names document {}, which does not exist",
                a.id, a.filename, a.doc_id
            ));
        }
    }
    for sha in blobs.list()? {
        if !named.contains(sha.as_str()) {
            problems.push(format!(
                "orphaned attachment file {sha}: no attachment names it"
            ));
        }
    }
    Ok(problems)
}
