//! The text of a file, for the extraction worker: the bridge from the worker protocol
//! ([`crate::service::attachments::WorkerOutput`]) to the format readers of [`crate::extract`].

use base64::Engine;

use crate::{
    extract::{self, Limits},
    model::TextStatus,
    service::attachments::{WorkerImage, WorkerOutput},
};

fn status(s: extract::TextStatus) -> TextStatus {
    match s {
        extract::TextStatus::Ok => TextStatus::Ok,
        extract::TextStatus::NoText => TextStatus::NoText,
        extract::TextStatus::Failed => TextStatus::Failed,
    }
}

fn limits(max_text: usize) -> Limits {
    Limits {
        max_text_bytes: max_text,
        ..Limits::default()
    }
}

/// What `name` (its bytes) holds as text, cut at `max_text` bytes; a Word file's Markdown too
/// (to read it in the browser).
pub fn extract(name: &str, bytes: &[u8], max_text: usize) -> WorkerOutput {
    let e = extract::extract(name, bytes, &limits(max_text));
    WorkerOutput {
        status: status(e.status),
        error: e.error,
        text: e.text,
        // The readers list where every page starts; the worker protocol, where pages 2, 3… do.
        pages: e.pages.into_iter().skip(1).collect(),
        markdown: e.markdown,
        images: Vec::new(),
    }
}

/// A .docx as Markdown with its images (base64), for a document made from it.
pub fn to_markdown(name: &str, bytes: &[u8], max_text: usize) -> WorkerOutput {
    if !name.to_lowercase().ends_with(".docx") {
        return WorkerOutput::failed("只有 Word（.docx）文件可以转换");
    }
    match extract::docx_to_markdown(bytes, &limits(max_text)) {
        Ok((markdown, images)) => WorkerOutput {
            status: TextStatus::Ok,
            error: None,
            text: String::new(),
            pages: Vec::new(),
            markdown: Some(markdown),
            images: images
                .into_iter()
                .map(|i| WorkerImage {
                    name: i.name,
                    data: base64::engine::general_purpose::STANDARD.encode(&i.bytes),
                })
                .collect(),
        },
        Err(e) => WorkerOutput::failed(&e.to_string()),
    }
}

/// A text file's bytes as text, whatever its encoding (UTF-8, UTF-16, GBK/GB18030, Big5).
pub fn decode_text(bytes: &[u8]) -> String {
    extract::decode_text(bytes)
}
