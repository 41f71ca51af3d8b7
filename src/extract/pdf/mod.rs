//! PDF text, page by page. Our own reader rather than a crate: the Rust PDF crates we read
//! about panic on malformed files by design (pdf-extract), abort on hostile allocations
//! (lopdf), and none reads the predefined Chinese CMaps; here every cost is bounded (see
//! `Limits`) and nothing is trusted.

mod content;
mod doc;
mod font;
mod lexer;

use std::collections::HashSet;

use super::{ExtractError, Limits};
use content::{Page, Shared};
use doc::Doc;
use lexer::{Dict, Obj};

#[cfg(test)]
pub(crate) use font::GLYPHS;

/// The text of a PDF's pages, with what the glyph counts say about its quality.
pub(crate) struct PdfText {
    pub pages: Vec<String>,
    /// Glyphs shown.
    pub glyphs: usize,
    /// Glyphs with no way back to Unicode.
    pub unmapped: usize,
    /// Pages were left out (`max_pages` or `max_text_bytes`).
    pub truncated: bool,
}

/// Deeper page trees than this are not real.
const MAX_TREE_DEPTH: usize = 256;

fn is_pages_node(d: &Dict) -> bool {
    match d.name(b"Type") {
        Some(b"Pages") => true,
        Some(b"Page") => false,
        _ => d.get(b"Kids").is_some(),
    }
}

/// The pages in order, each with the resources it inherits. Iterative, with every node
/// visited once: a node met again is a loop (or a shared subtree, as bad), refused.
fn page_list(doc: &mut Doc<'_>, limits: &Limits) -> Result<(Vec<(Dict, Obj)>, bool), ExtractError> {
    let root = doc.trailer.get(b"Root").cloned().unwrap_or(Obj::Null);
    let Obj::Dict(catalog) = doc.resolve(&root)? else {
        return Err(ExtractError::PdfCorrupt("no catalog".into()));
    };
    let Some(top) = catalog.get(b"Pages").cloned() else {
        return Err(ExtractError::PdfCorrupt("no page tree".into()));
    };
    let mut pages = Vec::new();
    let mut visited = HashSet::new();
    let mut stack: Vec<(Obj, Obj, usize)> = vec![(top, Obj::Null, 0)];
    let mut nodes = 0usize;
    let node_cap = limits.max_pages.saturating_mul(4).saturating_add(10_000);
    while let Some((node, inherited, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH {
            return Err(ExtractError::TooDeep);
        }
        nodes += 1;
        if nodes > node_cap {
            return Err(ExtractError::TooComplex(
                "page tree has too many nodes".into(),
            ));
        }
        let id = match node {
            Obj::Ref(n, _) => Some(n),
            _ => None,
        };
        let d = match doc.resolve_lenient(&node)? {
            Obj::Dict(d) => d,
            _ => continue,
        };
        if let Some(n) = id
            && !visited.insert(n)
        {
            if is_pages_node(&d) {
                return Err(ExtractError::Cycle(format!(
                    "page tree node {n} reached twice"
                )));
            }
            // The same page listed twice: read it once.
            continue;
        }
        let res = d.get(b"Resources").cloned().unwrap_or(inherited);
        if is_pages_node(&d) {
            let Obj::Array(kids) = doc.get_in(&d, b"Kids")? else {
                continue;
            };
            for kid in kids.into_iter().rev() {
                if matches!(kid, Obj::Ref(..) | Obj::Dict(_)) {
                    stack.push((kid, res.clone(), depth + 1));
                }
                if stack.len() > node_cap {
                    return Err(ExtractError::TooComplex(
                        "page tree has too many nodes".into(),
                    ));
                }
            }
        } else {
            pages.push((d, res));
            if pages.len() >= limits.max_pages {
                return Ok((pages, !stack.is_empty()));
            }
        }
    }
    Ok((pages, false))
}

/// A page's content streams, decoded and joined.
fn page_content(doc: &mut Doc<'_>, page: &Dict) -> Result<Vec<u8>, ExtractError> {
    let mut out = Vec::new();
    match doc.get_in(page, b"Contents")? {
        Obj::Stream(s) => out = doc.decode(&s)?,
        Obj::Array(parts) => {
            for p in parts.iter().take(10_000) {
                if let Obj::Stream(s) = doc.resolve_lenient(p)? {
                    out.extend_from_slice(&doc.decode(&s)?);
                    out.push(b'\n');
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

pub(crate) fn extract_pages(bytes: &[u8], limits: &Limits) -> Result<PdfText, ExtractError> {
    let mut doc = Doc::open(bytes, limits)?;
    let (pages, mut truncated) = page_list(&mut doc, limits)?;
    if pages.is_empty() {
        return Err(ExtractError::PdfCorrupt("no pages".into()));
    }
    let mut shared = Shared::new(
        limits.max_unzipped_bytes.saturating_mul(2),
        limits.max_text_bytes,
    );
    let mut texts = Vec::with_capacity(pages.len());
    for (page, res) in pages {
        if shared.text_len > limits.max_text_bytes {
            truncated = true;
            break;
        }
        let res = match doc.resolve_lenient(&res)? {
            Obj::Dict(d) => d,
            _ => Dict::default(),
        };
        let content = page_content(&mut doc, &page)?;
        let mut p = Page::new(&mut doc, &mut shared);
        let mut forms = Vec::new();
        p.run(&content, &res, 0, &mut forms)?;
        let text = p.finish();
        shared.text_len = shared.text_len.saturating_add(text.len());
        texts.push(text);
    }
    if doc.damaged {
        return Err(ExtractError::PdfCorrupt(
            "objects missing or cut off (truncated file?)".into(),
        ));
    }
    Ok(PdfText {
        pages: texts,
        glyphs: shared.glyphs,
        unmapped: shared.unmapped,
        truncated,
    })
}
