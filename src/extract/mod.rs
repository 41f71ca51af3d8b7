//! Text extraction from uploaded files: Word (.docx, also to Markdown), PDF, Excel (.xlsx),
//! PowerPoint (.pptx) and plain text (.txt, .md, .csv, in UTF-8, UTF-16, GBK, GB18030 or Big5).
//!
//! Self-contained on purpose: it knows nothing of the server, so the extraction worker (a child
//! process) can run it alone. Every input is hostile until read: no function here panics on any
//! bytes (checked arithmetic, bounded reads, explicit stacks instead of recursion on the input's
//! structure), and each cost is capped by [`Limits`]: the text returned, the bytes inflated from a
//! zip or a PDF stream (read through a counting reader, never trusting a declared size), the
//! number of zip entries, the nesting of XML and PDF objects, the pages. A file that hits a cap
//! or is broken gets [`TextStatus::Failed`] with a short Chinese reason the UI can show.
//!
//! The searchable text is NFKC-normalised (full-width Latin letters and digits, compatibility
//! ideographs and Kangxi radicals become their ordinary forms); the Markdown of a .docx is not,
//! since it is shown to people as written.

#![forbid(unsafe_code)]

mod docx;
mod ooxml;
mod pdf;
mod text;
mod xml;

#[cfg(test)]
mod testgen;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use docx::docx_to_markdown;
pub use text::decode_text;

/// What one extraction may cost. The defaults suit a 100 MB upload limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The text is cut here (at a character boundary); `Extracted::truncated` says so.
    pub max_text_bytes: usize,
    /// Bytes inflated from a zip (.docx/.xlsx/.pptx), per entry and in total; also the cap for
    /// one PDF stream, four times it for all the streams of one PDF together, and twice it
    /// for the content a PDF's pages and forms make the interpreter read.
    pub max_unzipped_bytes: u64,
    /// Entries in a zip's central directory.
    pub max_zip_entries: usize,
    /// Nesting of XML elements, and of PDF arrays and dictionaries.
    pub max_xml_depth: usize,
    /// PDF pages read; the text of later pages is left out (`truncated`).
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_bytes: 20 * 1024 * 1024,
            max_unzipped_bytes: 256 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_xml_depth: 256,
            max_pages: 10_000,
        }
    }
}

/// The outcome of an extraction, as the attachment's `text_status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// Text was found (it may still be empty for an empty document).
    Ok,
    /// The format carries no text we can read: an image, an unknown binary, a scanned PDF.
    NoText,
    /// The file is broken or hostile; `Extracted::error` says why.
    Failed,
}

impl TextStatus {
    /// `"ok"`, `"no_text"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Ok => "ok",
            TextStatus::NoText => "no_text",
            TextStatus::Failed => "failed",
        }
    }
}

/// An image embedded in a .docx, referenced from the Markdown as `![](attachment:NAME)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// The file name inside the package (`image1.png`), unique within one document.
    pub name: String,
    /// `image/png`, `image/jpeg`, ... (`application/octet-stream` when unknown).
    pub content_type: String,
    /// The image file as stored in the package.
    pub bytes: Vec<u8>,
}

/// What [`extract`] found in one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// Whether text was found.
    pub status: TextStatus,
    /// When `Failed` (or `NoText`): a short Chinese reason the UI can show.
    pub error: Option<String>,
    /// NFKC-normalised plain text.
    pub text: String,
    /// Byte offsets into `text` where page N+1 (PDF), slide N+1 (.pptx) or sheet N+1 (.xlsx)
    /// starts; empty for flat text. Always ascending, each at a character boundary.
    pub pages: Vec<usize>,
    /// For .docx: the converted Markdown.
    pub markdown: Option<String>,
    /// For .docx: the embedded images the Markdown references.
    pub images: Vec<Image>,
    /// The text was cut at `Limits::max_text_bytes` or `Limits::max_pages`.
    pub truncated: bool,
}

impl Extracted {
    fn failed(err: &ExtractError) -> Self {
        Extracted {
            status: TextStatus::Failed,
            error: Some(err.to_string()),
            text: String::new(),
            pages: Vec::new(),
            markdown: None,
            images: Vec::new(),
            truncated: false,
        }
    }

    fn no_text(reason: Option<&str>) -> Self {
        Extracted {
            status: TextStatus::NoText,
            error: reason.map(str::to_owned),
            ..Extracted::failed(&ExtractError::Unsupported)
        }
    }
}

/// Why an extraction failed. `Display` is the short Chinese reason for the UI; `detail()` the
/// technical one for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A PDF that cannot be read: no header, no catalog, objects missing or cut off.
    #[error("PDF 文件已损坏或不完整")]
    PdfCorrupt(String),
    /// A .docx that is not a readable zip of WordprocessingML.
    #[error("Word 文档已损坏或不完整")]
    DocxCorrupt(String),
    /// Another broken file (.xlsx, .pptx).
    #[error("文件已损坏或不完整")]
    Corrupt(String),
    /// Something inflates past `Limits::max_unzipped_bytes`: a zip or stream bomb.
    #[error("压缩内容过大（疑似压缩炸弹）")]
    TooBig(String),
    /// A zip with more entries than `Limits::max_zip_entries`.
    #[error("压缩包内文件过多")]
    TooManyEntries(usize),
    /// XML or PDF nesting past `Limits::max_xml_depth` (or a page tree too deep).
    #[error("嵌套层级过深")]
    TooDeep,
    /// A PDF page tree or reference chain that loops.
    #[error("PDF 页面结构存在循环引用")]
    Cycle(String),
    /// A PDF that would take too long: forms drawing forms, giant arrays.
    #[error("PDF 内容过于复杂，无法在限定时间内读取")]
    TooComplex(String),
    /// A password-protected file.
    #[error("文件已加密，无法读取文字")]
    Encrypted,
    /// Nothing we can read.
    #[error("不支持的文件格式")]
    Unsupported,
}

impl ExtractError {
    /// The technical detail, for logs (English, may name offsets and objects).
    pub fn detail(&self) -> String {
        match self {
            ExtractError::PdfCorrupt(d)
            | ExtractError::DocxCorrupt(d)
            | ExtractError::Corrupt(d)
            | ExtractError::TooBig(d)
            | ExtractError::Cycle(d)
            | ExtractError::TooComplex(d) => d.clone(),
            ExtractError::TooManyEntries(n) => format!("{n} zip entries"),
            ExtractError::TooDeep => "nesting too deep".to_owned(),
            ExtractError::Encrypted => "encrypted".to_owned(),
            ExtractError::Unsupported => "unsupported format".to_owned(),
        }
    }
}

/// The kinds of file [`extract`] knows, from the name and the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Docx,
    Xlsx,
    Pptx,
    Pdf,
    Text,
    Binary,
}

fn kind_of(filename: &str, bytes: &[u8]) -> Kind {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let is_zip = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06");
    // A PDF may have junk before its header; readers look in the first KiB.
    let head = &bytes[..bytes.len().min(1024)];
    let is_pdf = memchr::memmem::find(head, b"%PDF-").is_some();
    match ext.as_str() {
        "pdf" => Kind::Pdf,
        "docx" | "docm" | "dotx" => Kind::Docx,
        "xlsx" | "xlsm" => Kind::Xlsx,
        "pptx" | "pptm" => Kind::Pptx,
        "txt" | "md" | "markdown" | "csv" | "tsv" | "text" | "log" => {
            if bytes.starts_with(b"%PDF-") {
                Kind::Pdf
            } else if looks_binary(bytes) {
                Kind::Binary
            } else {
                Kind::Text
            }
        }
        _ if bytes.starts_with(b"%PDF-") || (is_pdf && !is_zip && looks_binary(bytes)) => Kind::Pdf,
        _ if is_zip => ooxml::sniff_kind(bytes).unwrap_or(Kind::Binary),
        _ if !looks_binary(bytes) => Kind::Text,
        _ => Kind::Binary,
    }
}

/// Text has no NUL bytes (UTF-16 has many, but then it has a BOM or alternating zeros) and few
/// control characters in its first 8 KiB.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    if text::utf16_without_bom(head).is_some() {
        return false;
    }
    if head.contains(&0) {
        return true;
    }
    let bad = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    bad.saturating_mul(100) > head.len()
}

/// Reads the text of one file. Dispatches on the extension and the magic bytes; an unknown
/// binary gets `NoText`. Never panics.
pub fn extract(filename: &str, bytes: &[u8], limits: &Limits) -> Extracted {
    // Nothing below is meant to panic; this is the belt to those braces, for the crates we use.
    match std::panic::catch_unwind(|| extract_inner(filename, bytes, limits)) {
        Ok(e) => e,
        Err(_) => Extracted::failed(&ExtractError::Corrupt("panic during extraction".into())),
    }
}

fn extract_inner(filename: &str, bytes: &[u8], limits: &Limits) -> Extracted {
    match kind_of(filename, bytes) {
        Kind::Text => {
            let text = decode_text(bytes);
            finish_flat(&text, limits, None, Vec::new())
        }
        Kind::Docx => match docx::convert(bytes, limits) {
            Ok(conv) => finish_flat(&conv.text, limits, Some(conv.markdown), conv.images),
            Err(e) => Extracted::failed(&e),
        },
        Kind::Xlsx => match ooxml::xlsx_text(bytes, limits) {
            Ok(sheets) => finish_pages(sheets, limits, false),
            Err(e) => Extracted::failed(&e),
        },
        Kind::Pptx => match ooxml::pptx_text(bytes, limits) {
            Ok(slides) => finish_pages(slides, limits, false),
            Err(e) => Extracted::failed(&e),
        },
        Kind::Pdf => match pdf::extract_pages(bytes, limits) {
            Ok(out) => {
                if out.glyphs == 0 {
                    let mut e =
                        Extracted::no_text(Some("PDF 中没有可提取的文字（可能是扫描件或图片）"));
                    e.pages = Vec::new();
                    return e;
                }
                // Most glyphs unmappable: a font without any way back to Unicode. Indexing the
                // rest would be garbage.
                if out.unmapped.saturating_mul(2) > out.glyphs {
                    return Extracted::no_text(Some("PDF 中的文字无法识别（字体缺少编码信息）"));
                }
                finish_pages(out.pages, limits, out.truncated)
            }
            Err(e) => Extracted::failed(&e),
        },
        Kind::Binary => Extracted::no_text(None),
    }
}

/// NFKC, then the cut at `max_text_bytes`.
fn normalize(s: &str) -> String {
    let n = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc();
    n.normalize(s).into_owned()
}

/// The largest char boundary at or below `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn finish_flat(
    text: &str,
    limits: &Limits,
    markdown: Option<String>,
    images: Vec<Image>,
) -> Extracted {
    let mut text = normalize(text);
    let mut truncated = false;
    if text.len() > limits.max_text_bytes {
        text.truncate(floor_boundary(&text, limits.max_text_bytes));
        truncated = true;
    }
    Extracted {
        status: TextStatus::Ok,
        error: None,
        text,
        pages: Vec::new(),
        markdown,
        images,
        truncated,
    }
}

/// Joins pages (or slides, or sheets) and records where each starts, after normalising each.
fn finish_pages(parts: Vec<String>, limits: &Limits, mut truncated: bool) -> Extracted {
    let mut text = String::new();
    let mut pages = Vec::with_capacity(parts.len().min(limits.max_pages));
    for part in parts {
        let mut p = normalize(&part);
        let p_trim = p.trim_end().len();
        p.truncate(p_trim);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let room = limits.max_text_bytes.saturating_sub(text.len());
        if room == 0 && !p.is_empty() {
            truncated = true;
            break;
        }
        pages.push(text.len());
        if p.len() > room {
            p.truncate(floor_boundary(&p, room));
            truncated = true;
            text.push_str(&p);
            break;
        }
        text.push_str(&p);
    }
    if text.len() > limits.max_text_bytes {
        text.truncate(floor_boundary(&text, limits.max_text_bytes));
        pages.retain(|&o| o <= text.len());
        truncated = true;
    }
    Extracted {
        status: TextStatus::Ok,
        error: None,
        text,
        pages,
        markdown: None,
        images: Vec::new(),
        truncated,
    }
}
