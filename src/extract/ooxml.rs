//! Office Open XML packages (zip files of XML parts): a zip reader that never trusts a declared
//! size, relationship parts, and the text of .xlsx and .pptx.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use zip::ZipArchive;
use zip::result::ZipError;

use super::xml::{Ev, Xml, part_text};
use super::{ExtractError, Kind, Limits};

/// One opened package: its entries by lower-cased name, and what is left of the inflate budget.
pub(crate) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    names: HashMap<String, usize>,
    budget: u64,
    per_entry: u64,
    pub max_depth: usize,
    format: &'static str,
}

/// The entry count from the end-of-central-directory record (zip64 too), read before the zip
/// crate builds its table of every entry.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    let tail_start = bytes.len().saturating_sub(65_557);
    let tail = &bytes[tail_start..];
    let pos = memchr::memmem::rfind(tail, b"PK\x05\x06")?;
    let eocd = tail.get(pos..pos.checked_add(22)?)?;
    let n = u64::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if n != 0xFFFF {
        return Some(n);
    }
    // Zip64: the locator sits just before the EOCD and points at the zip64 EOCD record.
    let loc_start = (tail_start + pos).checked_sub(20)?;
    let loc = bytes.get(loc_start..loc_start + 20)?;
    if &loc[..4] != b"PK\x06\x07" {
        return Some(n);
    }
    let mut off = [0u8; 8];
    off.copy_from_slice(&loc[8..16]);
    let off = usize::try_from(u64::from_le_bytes(off)).ok()?;
    let rec = bytes.get(off..off.checked_add(56)?)?;
    if &rec[..4] != b"PK\x06\x06" {
        return Some(n);
    }
    let mut total = [0u8; 8];
    total.copy_from_slice(&rec[32..40]);
    Some(u64::from_le_bytes(total))
}

fn zip_error(format: &'static str, e: ZipError) -> ExtractError {
    let detail = format!("zip: {e}");
    match e {
        ZipError::UnsupportedArchive(m) if m.contains("assword") || m.contains("ncrypt") => {
            ExtractError::Encrypted
        }
        _ if format == "docx" => ExtractError::DocxCorrupt(detail),
        _ => ExtractError::Corrupt(detail),
    }
}

impl<'a> Package<'a> {
    pub fn open(
        bytes: &'a [u8],
        limits: &Limits,
        format: &'static str,
    ) -> Result<Self, ExtractError> {
        if let Some(n) = declared_entries(bytes)
            && n > limits.max_zip_entries as u64
        {
            return Err(ExtractError::TooManyEntries(
                usize::try_from(n).unwrap_or(usize::MAX),
            ));
        }
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, e))?;
        if zip.len() > limits.max_zip_entries {
            return Err(ExtractError::TooManyEntries(zip.len()));
        }
        let mut names = HashMap::with_capacity(zip.len());
        for i in 0..zip.len() {
            if let Some(name) = zip.name_for_index(i) {
                names.insert(name.trim_start_matches('/').to_ascii_lowercase(), i);
            }
        }
        Ok(Package {
            zip,
            names,
            budget: limits.max_unzipped_bytes,
            per_entry: limits.max_unzipped_bytes,
            max_depth: limits.max_xml_depth,
            format,
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.names.contains_key(&name.to_ascii_lowercase())
    }

    /// The bytes of one part (part names are case-insensitive), inflated through a reader that
    /// stops one byte past what is left of the budget: an entry that inflates further is a bomb,
    /// whatever its header says.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(&index) = self
            .names
            .get(&name.trim_start_matches('/').to_ascii_lowercase())
        else {
            return Ok(None);
        };
        let format = self.format;
        let cap = self.per_entry.min(self.budget);
        let file = self.zip.by_index(index).map_err(|e| zip_error(format, e))?;
        if file.encrypted() {
            return Err(ExtractError::Encrypted);
        }
        if file.size() > cap {
            return Err(ExtractError::TooBig(format!(
                "{name} declares {} bytes, {} left",
                file.size(),
                cap
            )));
        }
        // The declared size is only a hint for the first allocation, and a bounded one.
        let hint = usize::try_from(file.size().min(1 << 24)).unwrap_or(0);
        let mut out = Vec::with_capacity(hint);
        let mut limited = file.take(cap.saturating_add(1));
        if let Err(e) = limited.read_to_end(&mut out) {
            return Err(if format == "docx" {
                ExtractError::DocxCorrupt(format!("{name}: {e}"))
            } else {
                ExtractError::Corrupt(format!("{name}: {e}"))
            });
        }
        let n = out.len() as u64;
        if n > cap {
            return Err(ExtractError::TooBig(format!(
                "{name} inflates past {cap} bytes"
            )));
        }
        self.budget = self.budget.saturating_sub(n);
        Ok(Some(out))
    }

    /// A part as text (see [`part_text`]).
    pub fn read_text(&mut self, name: &str) -> Result<Option<String>, ExtractError> {
        Ok(self.read(name)?.map(|b| part_text(&b).into_owned()))
    }

    /// The relationships of a part: id -> (target resolved against the part's folder, external).
    pub fn rels(&mut self, part: &str) -> Result<HashMap<String, Rel>, ExtractError> {
        let (dir, file) = match part.rfind('/') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => ("", part),
        };
        let rels_name = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        let mut out = HashMap::new();
        let Some(text) = self.read_text(&rels_name)? else {
            return Ok(out);
        };
        let mut x = Xml::new(&text, self.max_depth, self.format);
        loop {
            match x.next()? {
                Ev::Start(t) if t.name() == "Relationship" => {
                    let (Some(id), Some(target)) = (t.attr("Id"), t.attr("Target")) else {
                        continue;
                    };
                    let external = t
                        .attr("TargetMode")
                        .is_some_and(|m| m.eq_ignore_ascii_case("external"));
                    let kind = t.attr("Type").unwrap_or_default();
                    let target = if external {
                        target
                    } else {
                        resolve_path(dir, &target)
                    };
                    out.insert(
                        id,
                        Rel {
                            target,
                            external,
                            kind,
                        },
                    );
                }
                Ev::Eof => break,
                _ => {}
            }
        }
        Ok(out)
    }

    /// The main part named by the package relationships (`officeDocument`), or the default.
    pub fn main_part(&mut self, default: &str) -> Result<String, ExtractError> {
        let rels = self.rels("")?;
        let mut found: Vec<&Rel> = rels
            .values()
            .filter(|r| !r.external && r.kind.ends_with("/officeDocument"))
            .collect();
        found.sort_by(|a, b| a.target.cmp(&b.target));
        Ok(found
            .first()
            .map(|r| r.target.clone())
            .filter(|t| self.has(t))
            .unwrap_or_else(|| default.to_owned()))
    }
}

pub(crate) struct Rel {
    pub target: String,
    pub external: bool,
    pub kind: String,
}

/// Resolves a relationship target against the folder of its source part: `media/a.png` from
/// `word` is `word/media/a.png`; `../media/a.png` from `ppt/slides` is `ppt/media/a.png`; `/x`
/// is from the package root.
pub(crate) fn resolve_path(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// Which OOXML format a zip holds, from its entry names (for a file without a telling name).
pub(crate) fn sniff_kind(bytes: &[u8]) -> Option<Kind> {
    let limits = Limits::default();
    let pkg = Package::open(bytes, &limits, "zip").ok()?;
    if pkg.has("word/document.xml") {
        Some(Kind::Docx)
    } else if pkg.has("xl/workbook.xml") {
        Some(Kind::Xlsx)
    } else if pkg.has("ppt/presentation.xml") {
        Some(Kind::Pptx)
    } else {
        None
    }
}

/// Keeps a part list in the order the workbook/presentation gives, without repeats, and no
/// longer than `max`.
fn push_unique(
    list: &mut Vec<(String, String)>,
    seen: &mut std::collections::HashSet<String>,
    max: usize,
    name: String,
    target: String,
) {
    if list.len() < max && seen.insert(target.clone()) {
        list.push((name, target));
    }
}

/// The text of a workbook, one string per sheet: the sheet's name on the first line, then one
/// line per row with the cells separated by tabs (empty cells keep their column).
pub(crate) fn xlsx_text(bytes: &[u8], limits: &Limits) -> Result<Vec<String>, ExtractError> {
    let mut pkg = Package::open(bytes, limits, "xlsx")?;
    let workbook = pkg.main_part("xl/workbook.xml")?;
    let rels = pkg.rels(&workbook)?;
    let Some(wb) = pkg.read_text(&workbook)? else {
        return Err(ExtractError::Corrupt("no xl/workbook.xml".into()));
    };
    let mut sheets: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut x = Xml::new(&wb, limits.max_xml_depth, "xlsx");
    loop {
        match x.next()? {
            Ev::Start(t) if t.name() == "sheet" => {
                let name = t.attr("name").unwrap_or_default();
                if let Some(rel) = t
                    .attr_q("r:id")
                    .or_else(|| t.attr("id"))
                    .and_then(|id| rels.get(&id))
                    && !rel.external
                {
                    push_unique(
                        &mut sheets,
                        &mut seen,
                        limits.max_pages,
                        name,
                        rel.target.clone(),
                    );
                }
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    // Shared strings: the rels name them, else the usual part.
    let sst_name = rels
        .values()
        .find(|r| r.kind.ends_with("/sharedStrings"))
        .map(|r| r.target.clone())
        .unwrap_or_else(|| "xl/sharedStrings.xml".to_owned());
    let shared = match pkg.read_text(&sst_name)? {
        Some(t) => shared_strings(&t, limits)?,
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(sheets.len());
    let mut total = 0usize;
    for (name, target) in sheets {
        let Some(xml) = pkg.read_text(&target)? else {
            continue;
        };
        let text = sheet_text(&name, &xml, &shared, limits)?;
        total = total.saturating_add(text.len());
        out.push(text);
        if total > limits.max_text_bytes {
            break;
        }
    }
    Ok(out)
}

fn shared_strings(xml: &str, limits: &Limits) -> Result<Vec<String>, ExtractError> {
    let mut out = Vec::new();
    let mut x = Xml::new(xml, limits.max_xml_depth, "xlsx");
    let mut cur: Option<String> = None;
    let mut in_t = false;
    // Phonetic runs (<rPh>) repeat the reading of the text; they are not the text.
    let mut in_rph = 0usize;
    let mut total = 0usize;
    loop {
        match x.next()? {
            Ev::Start(t) => match t.name() {
                "si" if !t.empty => cur = Some(String::new()),
                "si" => out.push(String::new()),
                "t" if !t.empty => in_t = true,
                "rPh" if !t.empty => in_rph += 1,
                _ => {}
            },
            Ev::End(n) => match n.as_str() {
                "si" => {
                    let s = cur.take().unwrap_or_default();
                    total = total.saturating_add(s.len());
                    out.push(s);
                }
                "t" => in_t = false,
                "rPh" => in_rph = in_rph.saturating_sub(1),
                _ => {}
            },
            Ev::Text(s) if in_t && in_rph == 0 => {
                if let Some(c) = cur.as_mut()
                    && total.saturating_add(c.len()) <= limits.max_text_bytes
                {
                    c.push_str(&s);
                }
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Column number (0-based) of a cell reference like `AB12`.
fn column_of(r: &str) -> Option<usize> {
    let mut col: usize = 0;
    let mut any = false;
    for b in r.bytes() {
        if b.is_ascii_alphabetic() {
            col = col
                .checked_mul(26)?
                .checked_add(usize::from(b.to_ascii_uppercase() - b'A' + 1))?;
            any = true;
        } else {
            break;
        }
    }
    if any { col.checked_sub(1) } else { None }
}

fn sheet_text(
    name: &str,
    xml: &str,
    shared: &[String],
    limits: &Limits,
) -> Result<String, ExtractError> {
    let mut out = String::new();
    out.push_str(name);
    out.push('\n');
    let mut x = Xml::new(xml, limits.max_xml_depth, "xlsx");
    let mut row = String::new();
    let mut col_next = 0usize;
    // The cell being read: its type, its column, its value.
    let mut cell: Option<(String, Option<usize>, String)> = None;
    let mut in_v = false;
    let mut in_t = 0usize;
    let mut in_rph = 0usize;
    loop {
        match x.next()? {
            Ev::Start(t) => match t.name() {
                "row" => {
                    row.clear();
                    col_next = 0;
                }
                "c" => {
                    let ty = t.attr("t").unwrap_or_default();
                    let col = t.attr("r").as_deref().and_then(column_of);
                    if t.empty {
                        continue;
                    }
                    cell = Some((ty, col, String::new()));
                }
                "v" if !t.empty => in_v = true,
                "t" if !t.empty => in_t += 1,
                "rPh" if !t.empty => in_rph += 1,
                _ => {}
            },
            Ev::End(n) => match n.as_str() {
                "v" => in_v = false,
                "t" => in_t = in_t.saturating_sub(1),
                "rPh" => in_rph = in_rph.saturating_sub(1),
                "c" => {
                    if let Some((ty, col, raw)) = cell.take() {
                        let value = match ty.as_str() {
                            "s" => raw
                                .trim()
                                .parse::<usize>()
                                .ok()
                                .and_then(|i| shared.get(i))
                                .cloned()
                                .unwrap_or_default(),
                            "b" => match raw.trim() {
                                "1" => "TRUE".to_owned(),
                                "0" => "FALSE".to_owned(),
                                other => other.to_owned(),
                            },
                            _ => raw,
                        };
                        let value = value.replace(['\t', '\r', '\n'], " ");
                        if value.is_empty() {
                            continue;
                        }
                        // Empty cells in between keep their columns (a few at most).
                        let col = col.unwrap_or(col_next);
                        let gap = col.saturating_sub(col_next).min(32);
                        let sep = if row.is_empty() { gap } else { gap + 1 };
                        for _ in 0..sep {
                            row.push('\t');
                        }
                        row.push_str(&value);
                        col_next = col.saturating_add(1);
                    }
                }
                "row" => {
                    let r = row.trim_end();
                    if !r.is_empty() {
                        out.push_str(r);
                        out.push('\n');
                    }
                    row.clear();
                    if out.len() > limits.max_text_bytes {
                        break;
                    }
                }
                _ => {}
            },
            Ev::Text(s) => {
                if let Some((ty, _, raw)) = cell.as_mut() {
                    let inline = ty == "inlineStr" && in_t > 0 && in_rph == 0;
                    if (in_v || inline) && raw.len() < limits.max_text_bytes {
                        raw.push_str(&s);
                    }
                }
            }
            Ev::Eof => break,
        }
    }
    Ok(out)
}

/// The text of a presentation, one string per slide in the presentation's order: each
/// paragraph (`a:p`) on a line.
pub(crate) fn pptx_text(bytes: &[u8], limits: &Limits) -> Result<Vec<String>, ExtractError> {
    let mut pkg = Package::open(bytes, limits, "pptx")?;
    let pres = pkg.main_part("ppt/presentation.xml")?;
    let rels = pkg.rels(&pres)?;
    let Some(xml) = pkg.read_text(&pres)? else {
        return Err(ExtractError::Corrupt("no ppt/presentation.xml".into()));
    };
    let mut slides: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut x = Xml::new(&xml, limits.max_xml_depth, "pptx");
    loop {
        match x.next()? {
            Ev::Start(t) if t.name() == "sldId" => {
                if let Some(rel) = t
                    .attr_q("r:id")
                    .or_else(|| t.attr("id"))
                    .and_then(|id| rels.get(&id))
                    && !rel.external
                {
                    push_unique(
                        &mut slides,
                        &mut seen,
                        limits.max_pages,
                        String::new(),
                        rel.target.clone(),
                    );
                }
            }
            Ev::Eof => break,
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(slides.len());
    let mut total = 0usize;
    for (_, target) in slides {
        let Some(xml) = pkg.read_text(&target)? else {
            continue;
        };
        let text = drawing_text(&xml, limits, "pptx")?;
        total = total.saturating_add(text.len());
        out.push(text);
        if total > limits.max_text_bytes {
            break;
        }
    }
    Ok(out)
}

/// DrawingML text: `a:t` runs, `a:br` breaks, one line per `a:p`.
fn drawing_text(xml: &str, limits: &Limits, format: &'static str) -> Result<String, ExtractError> {
    let mut out = String::new();
    let mut line = String::new();
    let mut in_t = 0usize;
    let mut x = Xml::new(xml, limits.max_xml_depth, format);
    loop {
        match x.next()? {
            Ev::Start(t) => match t.name() {
                "t" if !t.empty => in_t += 1,
                "br" => line.push('\n'),
                "tab" => line.push('\t'),
                _ => {}
            },
            Ev::End(n) => match n.as_str() {
                "t" => in_t = in_t.saturating_sub(1),
                "p" => {
                    let l = line.trim();
                    if !l.is_empty() {
                        out.push_str(l);
                        out.push('\n');
                    }
                    line.clear();
                    if out.len() > limits.max_text_bytes {
                        break;
                    }
                }
                _ => {}
            },
            Ev::Text(s) if in_t > 0 => line.push_str(&s),
            Ev::Eof => break,
            _ => {}
        }
    }
    let l = line.trim();
    if !l.is_empty() {
        out.push_str(l);
        out.push('\n');
    }
    Ok(out)
}
