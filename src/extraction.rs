//! The text of a file, for the extraction worker: the bridge from the worker protocol
//! ([`crate::service::attachments::WorkerOutput`]) to the format readers.

use crate::{model::TextStatus, service::attachments::WorkerOutput};

/// What `name` (its bytes) holds as text, cut at `max_text` bytes.
pub fn extract(name: &str, bytes: &[u8], max_text: usize) -> WorkerOutput {
    let lower = name.to_lowercase();
    let text_like = [".txt", ".md", ".markdown", ".csv", ".text"]
        .iter()
        .any(|e| lower.ends_with(e));
    if !text_like {
        return WorkerOutput {
            status: TextStatus::NoText,
            error: Some("暂不支持提取这种文件的文字".into()),
            ..WorkerOutput::failed("")
        };
    }
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    if text.len() > max_text {
        let mut cut = max_text;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    WorkerOutput {
        status: TextStatus::Ok,
        error: None,
        text,
        pages: Vec::new(),
        markdown: None,
        images: Vec::new(),
    }
}

/// A .docx as Markdown with its images.
pub fn to_markdown(_name: &str, _bytes: &[u8], _max_text: usize) -> WorkerOutput {
    WorkerOutput::failed("暂不支持转换 Word 文档")
}

/// A text file's bytes as text, whatever its encoding.
pub fn decode_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
