//! Word (.docx) to Markdown, the way Chinese Word and WPS write WordprocessingML: paragraph
//! styles resolved through `word/styles.xml` (localized ids like `1`, `2`, `a3`; the `w:name`
//! says `heading 1`; `w:basedOn` chains; `w:outlineLvl` in the style or the paragraph), lists
//! from `word/numbering.xml` (bullet or numbered per level, nested by `w:ilvl`), tables as GFM
//! tables, bold and italic runs, hyperlinks (relationships and `HYPERLINK` fields), images
//! (`a:blip r:embed`, `v:imagedata r:id`) as `![](attachment:NAME)` with their bytes.
//!
//! The same block model renders the plain searchable text.

use std::collections::{HashMap, HashSet};

use super::ooxml::{Package, Rel};
use super::xml::{Ev, Xml};
use super::{ExtractError, Image, Limits};

/// A .docx as Markdown, searchable text and images.
pub(crate) struct Converted {
    pub markdown: String,
    pub text: String,
    pub images: Vec<Image>,
}

/// Converts a .docx to Markdown; the images it references come with it.
pub fn docx_to_markdown(
    bytes: &[u8],
    limits: &Limits,
) -> Result<(String, Vec<Image>), ExtractError> {
    std::panic::catch_unwind(|| convert(bytes, limits))
        .unwrap_or_else(|_| Err(ExtractError::DocxCorrupt("panic during conversion".into())))
        .map(|c| (c.markdown, c.images))
}

// ---------------------------------------------------------------------------------------------
// Styles and numbering

#[derive(Default, Debug)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num: Option<(Option<String>, Option<u8>)>,
    bold: Option<bool>,
    italic: Option<bool>,
}

#[derive(Default)]
struct Styles {
    map: HashMap<String, Style>,
    default_paragraph: Option<String>,
}

/// `heading 1`, `Heading 1`, `标题 1`, `标题1` -> 1; `Title`/`标题` -> 1.
fn level_from_name(name: &str) -> Option<u8> {
    let n = name.trim().to_lowercase();
    if n == "title" {
        return Some(1);
    }
    let rest = n
        .strip_prefix("heading")
        .or_else(|| n.strip_prefix("标题"))?
        .trim();
    if rest.is_empty() {
        // "标题" alone is Word's localized "Title".
        return if n.starts_with("标题") {
            Some(1)
        } else {
            None
        };
    }
    let d: u8 = rest.parse().ok()?;
    (1..=9).contains(&d).then_some(d.min(6))
}

impl Styles {
    fn parse(xml: &str, max_depth: usize) -> Result<Styles, ExtractError> {
        let mut styles = Styles::default();
        let mut x = Xml::new(xml, max_depth, "docx");
        // (style id, style, type) being read.
        let mut cur: Option<(String, Style, String)> = None;
        let mut in_rpr = false;
        let mut in_ppr = false;
        let mut in_numpr = false;
        loop {
            match x.next()? {
                Ev::Start(t) => match t.name() {
                    "style" => {
                        let id = t.attr("styleId").unwrap_or_default();
                        let ty = t.attr("type").unwrap_or_else(|| "paragraph".into());
                        if ty == "paragraph"
                            && t.attr("default").is_some_and(|d| d == "1" || d == "true")
                        {
                            styles.default_paragraph = Some(id.clone());
                        }
                        if t.empty {
                            styles.map.insert(id, Style::default());
                        } else {
                            cur = Some((id, Style::default(), ty));
                        }
                    }
                    "name" => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.name = t.attr("val").unwrap_or_default();
                        }
                    }
                    "basedOn" => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.based_on = t.attr("val");
                        }
                    }
                    "pPr" if !t.empty => in_ppr = true,
                    "rPr" if !t.empty => in_rpr = true,
                    "numPr" if in_ppr && !t.empty => in_numpr = true,
                    "outlineLvl" if in_ppr => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.outline = t.attr("val").and_then(|v| v.parse().ok());
                        }
                    }
                    "numId" if in_numpr => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.num.get_or_insert((None, None)).0 = t.attr("val");
                        }
                    }
                    "ilvl" if in_numpr => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.num.get_or_insert((None, None)).1 =
                                t.attr("val").and_then(|v| v.parse().ok());
                        }
                    }
                    "b" if in_rpr => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.bold = Some(t.on());
                        }
                    }
                    "i" if in_rpr => {
                        if let Some((_, s, _)) = cur.as_mut() {
                            s.italic = Some(t.on());
                        }
                    }
                    "pPrChange" | "rPrChange" if !t.empty => x.skip()?,
                    _ => {}
                },
                Ev::End(n) => match n.as_str() {
                    "style" => {
                        if let Some((id, s, _)) = cur.take() {
                            styles.map.insert(id, s);
                        }
                        in_ppr = false;
                        in_rpr = false;
                        in_numpr = false;
                    }
                    "pPr" => in_ppr = false,
                    "rPr" => in_rpr = false,
                    "numPr" => in_numpr = false,
                    _ => {}
                },
                Ev::Eof => break,
                Ev::Text(_) => {}
            }
        }
        Ok(styles)
    }

    /// Walks a style and its `basedOn` ancestors (bounded, cycle-safe).
    fn chain(&self, id: &str) -> Vec<&Style> {
        let mut out: Vec<&Style> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut cur = Some(id);
        while let Some(id) = cur {
            if seen.contains(&id) || seen.len() >= 32 {
                break;
            }
            seen.push(id);
            let Some(s) = self.map.get(id) else { break };
            out.push(s);
            cur = s.based_on.as_deref();
        }
        out
    }

    fn heading_level(&self, id: &str) -> Option<u8> {
        for s in self.chain(id) {
            if let Some(l) = level_from_name(&s.name) {
                return Some(l);
            }
            if let Some(o) = s.outline {
                return outline_to_level(o);
            }
        }
        None
    }

    fn numbering(&self, id: &str) -> Option<(Option<String>, Option<u8>)> {
        let mut num_id = None;
        let mut ilvl = None;
        for s in self.chain(id) {
            if let Some((n, l)) = &s.num {
                if num_id.is_none() {
                    num_id.clone_from(n);
                }
                if ilvl.is_none() {
                    ilvl = *l;
                }
            }
        }
        num_id.as_ref()?;
        Some((num_id, ilvl))
    }

    fn run_flags(&self, id: &str) -> (bool, bool) {
        let (mut b, mut i) = (None, None);
        for s in self.chain(id) {
            b = b.or(s.bold);
            i = i.or(s.italic);
        }
        (b.unwrap_or(false), i.unwrap_or(false))
    }
}

/// `w:outlineLvl` 0..=5 are headings 1..=6; 6..=8 are headings too deep for Markdown (6); 9 is
/// body text.
fn outline_to_level(o: u8) -> Option<u8> {
    (o <= 8).then(|| (o + 1).min(6))
}

#[derive(Clone, Debug)]
struct Level {
    ordered: bool,
    none: bool,
    start: u32,
}

#[derive(Default)]
struct Numbering {
    /// numId -> (abstractNumId, level overrides).
    nums: HashMap<String, (String, HashMap<u8, Level>)>,
    abstracts: HashMap<String, HashMap<u8, Level>>,
}

impl Numbering {
    fn parse(xml: &str, max_depth: usize) -> Result<Numbering, ExtractError> {
        let mut out = Numbering::default();
        let mut x = Xml::new(xml, max_depth, "docx");
        let mut abs: Option<(String, HashMap<u8, Level>)> = None;
        let mut num: Option<(String, String, HashMap<u8, Level>)> = None;
        let mut lvl: Option<(u8, Level)> = None;
        let mut override_lvl: Option<u8> = None;
        loop {
            match x.next()? {
                Ev::Start(t) => match t.name() {
                    "abstractNum" if !t.empty => {
                        abs = Some((t.attr("abstractNumId").unwrap_or_default(), HashMap::new()));
                    }
                    "num" if !t.empty => {
                        num = Some((
                            t.attr("numId").unwrap_or_default(),
                            String::new(),
                            HashMap::new(),
                        ));
                    }
                    "abstractNumId" => {
                        if let Some(n) = num.as_mut() {
                            n.1 = t.attr("val").unwrap_or_default();
                        }
                    }
                    "lvlOverride" if !t.empty => {
                        override_lvl = t.attr("ilvl").and_then(|v| v.parse().ok());
                    }
                    "lvl" if !t.empty => {
                        let i = t
                            .attr("ilvl")
                            .and_then(|v| v.parse().ok())
                            .or(override_lvl)
                            .unwrap_or(0);
                        lvl = Some((
                            i,
                            Level {
                                ordered: true,
                                none: false,
                                start: 1,
                            },
                        ));
                    }
                    "numFmt" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            let f = t.attr("val").unwrap_or_default();
                            l.ordered = f != "bullet";
                            l.none = f == "none";
                        }
                    }
                    "start" => {
                        if let Some((_, l)) = lvl.as_mut() {
                            l.start = t.attr("val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    "startOverride" => {
                        // A restart of the count in a w:num: note it as a level with that start.
                        if let (Some(n), Some(i)) = (num.as_mut(), override_lvl) {
                            let start = t.attr("val").and_then(|v| v.parse().ok()).unwrap_or(1);
                            n.2.entry(i)
                                .or_insert(Level {
                                    ordered: true,
                                    none: false,
                                    start,
                                })
                                .start = start;
                        }
                    }
                    _ => {}
                },
                Ev::End(n) => match n.as_str() {
                    "lvl" => {
                        if let Some((i, l)) = lvl.take() {
                            if let Some(n) = num.as_mut() {
                                n.2.insert(i, l);
                            } else if let Some(a) = abs.as_mut() {
                                a.1.insert(i, l);
                            }
                        }
                    }
                    "lvlOverride" => override_lvl = None,
                    "abstractNum" => {
                        if let Some((id, levels)) = abs.take() {
                            out.abstracts.insert(id, levels);
                        }
                    }
                    "num" => {
                        if let Some((id, a, levels)) = num.take() {
                            out.nums.insert(id, (a, levels));
                        }
                    }
                    _ => {}
                },
                Ev::Eof => break,
                Ev::Text(_) => {}
            }
        }
        Ok(out)
    }

    /// The level definition of `numId`/`ilvl`: the override's format if it has one, else the
    /// abstract definition's (with the override's start).
    fn level(&self, num_id: &str, ilvl: u8) -> Option<Level> {
        let (abs, overrides) = self.nums.get(num_id)?;
        let base = self.abstracts.get(abs).and_then(|a| a.get(&ilvl)).cloned();
        match (base, overrides.get(&ilvl)) {
            (Some(mut b), Some(o)) => {
                b.start = o.start;
                Some(b)
            }
            (Some(b), None) => Some(b),
            (None, Some(o)) => Some(o.clone()),
            (None, None) => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The block model

#[derive(Clone, Debug, PartialEq)]
enum Inline {
    Text {
        s: String,
        bold: bool,
        italic: bool,
        link: Option<String>,
    },
    Image(String),
    Break,
}

#[derive(Default, Debug)]
struct Para {
    style: Option<String>,
    num_id: Option<String>,
    ilvl: Option<u8>,
    outline: Option<u8>,
    inlines: Vec<Inline>,
}

#[derive(Debug)]
struct Cell {
    blocks: Vec<Block>,
    span: usize,
    merged: bool,
}

#[derive(Debug)]
enum Block {
    Para(Para),
    Table(Vec<Vec<Cell>>),
}

#[derive(Default)]
struct TableBuild {
    rows: Vec<Vec<Cell>>,
    row: Option<Vec<Cell>>,
    cell: Option<Cell>,
}

/// A complex field (`w:fldChar` begin ... separate ... end) being read.
struct Field {
    instr: String,
    in_result: bool,
}

/// `HYPERLINK "url"` (with switches) -> the URL; `\l` bookmarks are not links.
fn field_link(instr: &str) -> Option<String> {
    let rest = instr.trim().strip_prefix("HYPERLINK")?.trim();
    if rest.starts_with("\\l") {
        return None;
    }
    let url = if let Some(r) = rest.strip_prefix('"') {
        r.split('"').next()?
    } else {
        rest.split_whitespace().next()?
    };
    (!url.is_empty()).then(|| url.to_owned())
}

/// The link targets Markdown may carry; anything else (`javascript:`, `file:`) stays text.
fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "ftp://", "tel:"]
        .iter()
        .any(|p| u.starts_with(p))
}

/// Images one document may carry (a package cannot hold more entries anyway).
const MAX_IMAGES: usize = 10_000;

/// A file name safe in a Markdown link and on any disk: letters (any script), digits, `.`,
/// `-` and `_`; the rest becomes `_`; never empty, never starting with a dot.
fn safe_name(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .take(100)
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert_str(0, "image");
    }
    s
}

fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "emf" => "image/emf",
        "wmf" => "image/wmf",
        _ => "application/octet-stream",
    }
}

/// Reads `word/document.xml` into blocks. An explicit stack of tables and paragraphs; the
/// depth of the XML is capped by the reader.
struct Reader<'s> {
    styles: &'s Styles,
    rels: &'s HashMap<String, Rel>,
    body: Vec<Block>,
    tables: Vec<TableBuild>,
    paras: Vec<Para>,
    /// Run formatting of the run being read.
    bold: bool,
    italic: bool,
    in_run: bool,
    in_rpr: bool,
    in_ppr: bool,
    in_numpr: bool,
    in_t: bool,
    in_instr: bool,
    in_tcpr: bool,
    links: Vec<Option<String>>,
    fields: Vec<Field>,
    /// Image target -> name, in first-seen order.
    images: Vec<(String, String)>,
    image_names: HashMap<String, String>,
    taken: HashSet<String>,
    text_bytes: usize,
    max_text: usize,
}

impl<'s> Reader<'s> {
    fn push_block(&mut self, b: Block) {
        if let Some(t) = self.tables.last_mut()
            && let Some(c) = t.cell.as_mut()
        {
            c.blocks.push(b);
            return;
        }
        self.body.push(b);
    }

    fn current_link(&self) -> Option<String> {
        for f in self.fields.iter().rev() {
            if f.in_result
                && let Some(u) = field_link(&f.instr)
            {
                return Some(u);
            }
        }
        self.links.iter().rev().flatten().next().cloned()
    }

    fn push_inline(&mut self, i: Inline) {
        if let Some(p) = self.paras.last_mut() {
            p.inlines.push(i);
        }
    }

    fn push_text(&mut self, s: &str) {
        if self.text_bytes > self.max_text {
            return;
        }
        self.text_bytes = self.text_bytes.saturating_add(s.len());
        let link = self.current_link();
        let (bold, italic) = (self.bold, self.italic);
        if let Some(p) = self.paras.last_mut() {
            if let Some(Inline::Text {
                s: prev,
                bold: b,
                italic: i,
                link: l,
            }) = p.inlines.last_mut()
                && *b == bold
                && *i == italic
                && *l == link
            {
                prev.push_str(s);
                return;
            }
            p.inlines.push(Inline::Text {
                s: s.to_owned(),
                bold,
                italic,
                link,
            });
        }
    }

    fn image(&mut self, rid: &str) {
        let Some(rel) = self.rels.get(rid) else {
            return;
        };
        if rel.external {
            return;
        }
        let name = if let Some(n) = self.image_names.get(&rel.target) {
            n.clone()
        } else {
            if self.images.len() >= MAX_IMAGES {
                return;
            }
            let base = safe_name(rel.target.rsplit('/').next().unwrap_or(""));
            let mut name = base.clone();
            let mut k = 1;
            while self.taken.contains(&name) {
                k += 1;
                name = format!("{k}-{base}");
            }
            self.taken.insert(name.clone());
            self.image_names.insert(rel.target.clone(), name.clone());
            self.images.push((rel.target.clone(), name.clone()));
            name
        };
        self.push_inline(Inline::Image(name));
    }

    fn read(&mut self, x: &mut Xml<'_>) -> Result<(), ExtractError> {
        loop {
            match x.next()? {
                Ev::Start(t) => {
                    let name = t.name();
                    match name {
                        // Alternatives repeat the same content for older readers; deleted and
                        // moved-away text is not the document's; old properties neither.
                        "Fallback" | "del" | "moveFrom" | "pPrChange" | "rPrChange"
                        | "tblPrChange" | "trPrChange" | "tcPrChange" | "sectPrChange"
                            if !t.empty =>
                        {
                            x.skip()?
                        }
                        "p" if !t.empty => self.paras.push(Para::default()),
                        "pPr" if !t.empty && !self.in_run => self.in_ppr = true,
                        "pStyle" if self.in_ppr => {
                            if let Some(p) = self.paras.last_mut() {
                                p.style = t.attr("val");
                            }
                        }
                        "numPr" if self.in_ppr && !t.empty => self.in_numpr = true,
                        "numId" if self.in_numpr => {
                            if let Some(p) = self.paras.last_mut() {
                                p.num_id = t.attr("val");
                            }
                        }
                        "ilvl" if self.in_numpr => {
                            if let Some(p) = self.paras.last_mut() {
                                p.ilvl = t.attr("val").and_then(|v| v.parse().ok());
                            }
                        }
                        "outlineLvl" if self.in_ppr => {
                            if let Some(p) = self.paras.last_mut() {
                                p.outline = t.attr("val").and_then(|v| v.parse().ok());
                            }
                        }
                        "rPr" if self.in_ppr && !t.empty => x.skip()?,
                        "r" if !t.empty => {
                            self.in_run = true;
                            self.bold = false;
                            self.italic = false;
                        }
                        "rPr" if self.in_run && !t.empty => self.in_rpr = true,
                        "rStyle" if self.in_rpr => {
                            if let Some(id) = t.attr("val") {
                                let (b, i) = self.styles.run_flags(&id);
                                self.bold |= b;
                                self.italic |= i;
                            }
                        }
                        "b" if self.in_rpr => self.bold = t.on(),
                        "i" if self.in_rpr => self.italic = t.on(),
                        "t" if self.in_run && !self.in_rpr && !t.empty => self.in_t = true,
                        "instrText" if !t.empty => self.in_instr = true,
                        "tab" | "ptab" if self.in_run && !self.in_rpr => self.push_text(" "),
                        "noBreakHyphen" if self.in_run => self.push_text("-"),
                        "br" | "cr" if self.in_run && !self.in_rpr => {
                            let ty = t.attr("type").unwrap_or_default();
                            if ty != "page" && ty != "column" {
                                self.push_inline(Inline::Break);
                            }
                        }
                        "fldChar" => match t.attr("fldCharType").as_deref() {
                            Some("begin") if self.fields.len() < 64 => self.fields.push(Field {
                                instr: String::new(),
                                in_result: false,
                            }),
                            Some("separate") => {
                                if let Some(f) = self.fields.last_mut() {
                                    f.in_result = true;
                                }
                            }
                            Some("end") => {
                                self.fields.pop();
                            }
                            _ => {}
                        },
                        "fldSimple" if !t.empty => {
                            let link = t.attr("instr").as_deref().and_then(field_link);
                            self.links.push(link);
                        }
                        "hyperlink" if !t.empty => {
                            let link = t
                                .attr_q("r:id")
                                .or_else(|| t.attr("id"))
                                .and_then(|id| self.rels.get(&id))
                                .filter(|r| r.external)
                                .map(|r| r.target.clone());
                            self.links.push(link);
                        }
                        "blip" => {
                            if let Some(id) = t.attr_q("r:embed").or_else(|| t.attr("embed")) {
                                self.image(&id);
                            }
                        }
                        "imagedata" => {
                            if let Some(id) = t.attr_q("r:id").or_else(|| t.attr("id")) {
                                self.image(&id);
                            }
                        }
                        "tbl" if !t.empty => self.tables.push(TableBuild::default()),
                        "tr" if !t.empty => {
                            if let Some(tb) = self.tables.last_mut() {
                                tb.row = Some(Vec::new());
                            }
                        }
                        "tc" if !t.empty => {
                            if let Some(tb) = self.tables.last_mut() {
                                tb.cell = Some(Cell {
                                    blocks: Vec::new(),
                                    span: 1,
                                    merged: false,
                                });
                            }
                        }
                        "tcPr" if !t.empty => self.in_tcpr = true,
                        "gridSpan" if self.in_tcpr => {
                            let span = t
                                .attr("val")
                                .and_then(|v| v.parse::<usize>().ok())
                                .unwrap_or(1);
                            if let Some(c) = self.tables.last_mut().and_then(|tb| tb.cell.as_mut())
                            {
                                c.span = span.clamp(1, 64);
                            }
                        }
                        "vMerge" if self.in_tcpr => {
                            let v = t.attr("val").unwrap_or_default();
                            if v != "restart"
                                && let Some(c) =
                                    self.tables.last_mut().and_then(|tb| tb.cell.as_mut())
                            {
                                c.merged = true;
                            }
                        }
                        _ => {}
                    }
                }
                Ev::End(n) => match n.as_str() {
                    "p" => {
                        if let Some(p) = self.paras.pop() {
                            self.push_block(Block::Para(p));
                        }
                        self.in_ppr = false;
                        self.in_numpr = false;
                    }
                    "pPr" => {
                        self.in_ppr = false;
                        self.in_numpr = false;
                    }
                    "numPr" => self.in_numpr = false,
                    "r" => {
                        self.in_run = false;
                        self.in_rpr = false;
                        self.in_t = false;
                    }
                    "rPr" => self.in_rpr = false,
                    "t" => self.in_t = false,
                    "instrText" => self.in_instr = false,
                    "hyperlink" | "fldSimple" => {
                        self.links.pop();
                    }
                    "tcPr" => self.in_tcpr = false,
                    "tc" => {
                        if let Some(tb) = self.tables.last_mut()
                            && let Some(c) = tb.cell.take()
                        {
                            tb.row.get_or_insert_with(Vec::new).push(c);
                        }
                    }
                    "tr" => {
                        if let Some(tb) = self.tables.last_mut()
                            && let Some(r) = tb.row.take()
                        {
                            tb.rows.push(r);
                        }
                    }
                    "tbl" => {
                        if let Some(tb) = self.tables.pop() {
                            self.push_block(Block::Table(tb.rows));
                        }
                    }
                    _ => {}
                },
                Ev::Text(s) => {
                    if self.in_t {
                        self.push_text(&s);
                    } else if self.in_instr
                        && let Some(f) = self.fields.last_mut()
                        && !f.in_result
                        && f.instr.len() < 4096
                    {
                        f.instr.push_str(&s);
                    }
                }
                Ev::Eof => break,
            }
        }
        // An unclosed document (truncated XML that still parsed): keep what was read.
        while let Some(p) = self.paras.pop() {
            self.push_block(Block::Para(p));
        }
        while let Some(mut tb) = self.tables.pop() {
            if let Some(c) = tb.cell.take() {
                tb.row.get_or_insert_with(Vec::new).push(c);
            }
            if let Some(r) = tb.row.take() {
                tb.rows.push(r);
            }
            self.push_block(Block::Table(tb.rows));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Escapes the characters Markdown would read as syntax inside a line.
fn esc_inline(s: &str, out: &mut String, in_table: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '|' if in_table => out.push_str("\\|"),
            '&' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphanumeric() || *n == '#') =>
            {
                out.push_str("\\&")
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Escapes what would make a line a heading, quote, list item or rule.
fn esc_line_start(line: String) -> String {
    let first = line.chars().next();
    match first {
        Some('#' | '>' | '-' | '+' | '=') => format!("\\{line}"),
        Some(c) if c.is_ascii_digit() => {
            let digits = line.bytes().take_while(u8::is_ascii_digit).count();
            match line.as_bytes().get(digits) {
                Some(b'.' | b')') => format!("{}\\{}", &line[..digits], &line[digits..]),
                _ => line,
            }
        }
        _ => line,
    }
}

/// Renders inlines as Markdown: runs of the same formatting merged, emphasis kept off the
/// surrounding spaces, links and images.
fn inline_md(inlines: &[Inline], plain: bool, in_table: bool) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < inlines.len() {
        match &inlines[i] {
            Inline::Break => {
                out.push_str(if in_table { " " } else { "\\\n" });
                i += 1;
            }
            Inline::Image(name) => {
                out.push_str("![](attachment:");
                out.push_str(name);
                out.push(')');
                i += 1;
            }
            Inline::Text { link, .. } => {
                // A link spans the following texts with the same target.
                let mut j = i;
                while let Some(Inline::Text { link: l, .. }) = inlines.get(j) {
                    if l != link {
                        break;
                    }
                    j += 1;
                }
                let mut inner = String::new();
                for seg in &inlines[i..j] {
                    if let Inline::Text {
                        s, bold, italic, ..
                    } = seg
                    {
                        emphasis(s, *bold && !plain, *italic && !plain, in_table, &mut inner);
                    }
                }
                match link {
                    Some(url) if safe_url(url) && !inner.trim().is_empty() => {
                        let lead = inner.len() - inner.trim_start().len();
                        let trail = inner.trim_end().len();
                        out.push_str(&inner[..lead]);
                        out.push('[');
                        out.push_str(&inner[lead..trail]);
                        out.push_str("](");
                        let url = url.trim();
                        if url.contains([' ', '(', ')', '<', '>']) {
                            out.push('<');
                            out.push_str(&url.replace(['<', '>'], ""));
                            out.push('>');
                        } else {
                            out.push_str(url);
                        }
                        out.push(')');
                        out.push_str(&inner[trail..]);
                    }
                    _ => out.push_str(&inner),
                }
                i = j;
            }
        }
    }
    // No hard break at the very end of a paragraph.
    while out.ends_with("\\\n") {
        out.truncate(out.len() - 2);
    }
    out
}

fn emphasis(s: &str, bold: bool, italic: bool, in_table: bool, out: &mut String) {
    let core = s.trim();
    if core.is_empty() || !(bold || italic) {
        esc_inline(s, out, in_table);
        return;
    }
    let lead = s.len() - s.trim_start().len();
    let trail = s.trim_end().len();
    let mark = match (bold, italic) {
        (true, true) => "***",
        (true, false) => "**",
        _ => "*",
    };
    esc_inline(&s[..lead], out, in_table);
    out.push_str(mark);
    esc_inline(core, out, in_table);
    out.push_str(mark);
    esc_inline(&s[trail..], out, in_table);
}

fn inline_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text { s, .. } => out.push_str(s),
            Inline::Break => out.push('\n'),
            Inline::Image(_) => {}
        }
    }
    out
}

/// What a paragraph is, once its style is resolved.
enum ParaKind {
    Heading(u8),
    Item { level: u8, marker: String },
    Normal,
}

struct Renderer<'a> {
    styles: &'a Styles,
    numbering: &'a Numbering,
    /// numId -> the count at each level.
    counters: HashMap<String, [u32; 10]>,
    md: String,
    text: String,
    /// The last block was a list item (so the next item follows without a blank line).
    in_list: bool,
}

impl<'a> Renderer<'a> {
    fn kind(&mut self, p: &Para) -> ParaKind {
        let style = p
            .style
            .clone()
            .or_else(|| self.styles.default_paragraph.clone());
        if let Some(o) = p.outline {
            if let Some(l) = outline_to_level(o) {
                return ParaKind::Heading(l);
            }
        } else if let Some(l) = style.as_deref().and_then(|s| self.styles.heading_level(s)) {
            return ParaKind::Heading(l);
        }
        // Numbering: the paragraph's own, else its style's; numId 0 means "no numbering".
        let (mut num_id, mut ilvl) = (p.num_id.clone(), p.ilvl);
        if num_id.is_none()
            && let Some((n, l)) = style.as_deref().and_then(|s| self.styles.numbering(s))
        {
            num_id = n;
            ilvl = ilvl.or(l);
        }
        let Some(num_id) = num_id.filter(|n| n != "0") else {
            return ParaKind::Normal;
        };
        let level = ilvl.unwrap_or(0).min(8);
        let def = self.numbering.level(&num_id, level).unwrap_or(Level {
            ordered: false,
            none: false,
            start: 1,
        });
        if def.none {
            return ParaKind::Normal;
        }
        let counters = self.counters.entry(num_id).or_insert([0; 10]);
        let l = usize::from(level);
        counters[l] = if counters[l] == 0 {
            def.start.max(1)
        } else {
            counters[l].saturating_add(1)
        };
        for c in counters.iter_mut().skip(l + 1) {
            *c = 0;
        }
        let marker = if def.ordered {
            format!("{}.", counters[l])
        } else {
            "-".to_owned()
        };
        ParaKind::Item { level, marker }
    }

    fn block_gap(&mut self, item: bool) {
        if !self.md.is_empty() {
            if item && self.in_list {
                self.md.push('\n');
            } else {
                self.md.push_str("\n\n");
            }
        }
        self.in_list = item;
    }

    fn para(&mut self, p: &Para) {
        let kind = self.kind(p);
        let has_image = p.inlines.iter().any(|i| matches!(i, Inline::Image(_)));
        let text = inline_text(&p.inlines);
        if text.trim().is_empty() && !has_image {
            return;
        }
        match kind {
            ParaKind::Heading(l) => {
                let body = inline_md(&p.inlines, true, true);
                let body = body.trim();
                if body.is_empty() {
                    return;
                }
                self.block_gap(false);
                for _ in 0..l {
                    self.md.push('#');
                }
                self.md.push(' ');
                self.md.push_str(body);
            }
            ParaKind::Item { level, marker } => {
                let body = inline_md(&p.inlines, false, false);
                self.block_gap(true);
                for _ in 0..level {
                    self.md.push_str("    ");
                }
                self.md.push_str(&marker);
                self.md.push(' ');
                // Continuation lines of a hard break stay inside the item.
                let indent = " ".repeat(usize::from(level) * 4 + marker.len() + 1);
                self.md
                    .push_str(&body.trim().replace("\\\n", &format!("\\\n{indent}")));
            }
            ParaKind::Normal => {
                let body = inline_md(&p.inlines, false, false);
                self.block_gap(false);
                self.md.push_str(&esc_line_start(body.trim().to_owned()));
            }
        }
        let t = text.trim();
        if !t.is_empty() {
            self.text.push_str(t);
            self.text.push('\n');
        }
    }

    /// A cell's content on one line (Markdown) and as text.
    fn cell(&mut self, c: &Cell) -> (String, String) {
        let mut md = Vec::new();
        let mut tx = Vec::new();
        for b in &c.blocks {
            match b {
                Block::Para(p) => {
                    let m = inline_md(&p.inlines, false, true);
                    let m = m.trim();
                    if !m.is_empty() {
                        md.push(m.to_owned());
                    }
                    let t = inline_text(&p.inlines);
                    let t = t.trim();
                    if !t.is_empty() {
                        tx.push(t.replace('\n', " "));
                    }
                }
                Block::Table(rows) => {
                    // A table in a cell: its cells' text, flat.
                    for row in rows {
                        for c in row {
                            let (m, t) = self.cell(c);
                            if !m.is_empty() {
                                md.push(m);
                            }
                            if !t.is_empty() {
                                tx.push(t);
                            }
                        }
                    }
                }
            }
        }
        (md.join(" "), tx.join(" "))
    }

    fn table(&mut self, rows: &[Vec<Cell>]) {
        let mut grid: Vec<Vec<String>> = Vec::new();
        for row in rows {
            let mut line = Vec::new();
            let mut tline = Vec::new();
            for c in row {
                let (m, t) = if c.merged {
                    (String::new(), String::new())
                } else {
                    self.cell(c)
                };
                line.push(m);
                for _ in 1..c.span {
                    line.push(String::new());
                }
                if !t.is_empty() {
                    tline.push(t);
                }
            }
            if !tline.is_empty() {
                self.text.push_str(&tline.join("\t"));
                self.text.push('\n');
            }
            grid.push(line);
        }
        let cols = grid.iter().map(Vec::len).max().unwrap_or(0);
        if cols == 0 {
            return;
        }
        self.block_gap(false);
        for (i, row) in grid.iter().enumerate() {
            if i > 0 {
                self.md.push('\n');
            }
            self.md.push('|');
            for k in 0..cols {
                let cell = row.get(k).map(String::as_str).unwrap_or("");
                self.md.push(' ');
                self.md.push_str(cell);
                if !cell.is_empty() {
                    self.md.push(' ');
                }
                self.md.push('|');
            }
            if i == 0 {
                self.md.push_str("\n|");
                for _ in 0..cols {
                    self.md.push_str(" --- |");
                }
            }
        }
    }
}

pub(crate) fn convert(bytes: &[u8], limits: &Limits) -> Result<Converted, ExtractError> {
    let mut pkg = Package::open(bytes, limits, "docx")?;
    let main = pkg.main_part("word/document.xml")?;
    let Some(doc) = pkg.read_text(&main)? else {
        return Err(ExtractError::DocxCorrupt("no word/document.xml".into()));
    };
    let dir = main.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let rels = pkg.rels(&main)?;
    let find = |kind: &str, default: String| {
        rels.values()
            .find(|r| !r.external && r.kind.ends_with(kind))
            .map(|r| r.target.clone())
            .unwrap_or(default)
    };
    let styles_name = find("/styles", format!("{dir}/styles.xml"));
    let numbering_name = find("/numbering", format!("{dir}/numbering.xml"));
    let styles = match pkg.read_text(&styles_name)? {
        Some(x) => Styles::parse(&x, limits.max_xml_depth)?,
        None => Styles::default(),
    };
    let numbering = match pkg.read_text(&numbering_name)? {
        Some(x) => Numbering::parse(&x, limits.max_xml_depth)?,
        None => Numbering::default(),
    };
    let mut reader = Reader {
        styles: &styles,
        rels: &rels,
        body: Vec::new(),
        tables: Vec::new(),
        paras: Vec::new(),
        bold: false,
        italic: false,
        in_run: false,
        in_rpr: false,
        in_ppr: false,
        in_numpr: false,
        in_t: false,
        in_instr: false,
        in_tcpr: false,
        links: Vec::new(),
        fields: Vec::new(),
        images: Vec::new(),
        image_names: HashMap::new(),
        taken: HashSet::new(),
        text_bytes: 0,
        max_text: limits.max_text_bytes,
    };
    let mut x = Xml::new(&doc, limits.max_xml_depth, "docx");
    reader.read(&mut x)?;
    drop(doc);
    let Reader {
        body,
        images: image_refs,
        ..
    } = reader;

    let mut r = Renderer {
        styles: &styles,
        numbering: &numbering,
        counters: HashMap::new(),
        md: String::new(),
        text: String::new(),
        in_list: false,
    };
    for b in &body {
        match b {
            Block::Para(p) => r.para(p),
            Block::Table(rows) => r.table(rows),
        }
    }
    if !r.md.is_empty() {
        r.md.push('\n');
    }
    let mut images = Vec::with_capacity(image_refs.len());
    for (target, name) in image_refs {
        if let Some(bytes) = pkg.read(&target)? {
            images.push(Image {
                content_type: content_type(&name).to_owned(),
                name,
                bytes,
            });
        }
    }
    Ok(Converted {
        markdown: r.md,
        text: r.text,
        images,
    })
}
