//! Content streams to text: the text operators with enough of the graphics state to place each
//! glyph, marked-content `/ActualText`, form XObjects (bounded), inline images skipped. Glyphs
//! come out in stream order; a line break where the baseline moves, a space where a gap opens
//! between words (not between CJK characters); a CJK line wrapped inside a sentence is joined
//! back so a search for a phrase finds it across the wrap.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use super::super::ExtractError;
use super::doc::Doc;
use super::font::{Font, Glyph};
use super::lexer::{Dict, LexError, Lexer, Obj, Tok};

type M = [f64; 6];
type Point = (f64, f64);
const IDENTITY: M = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &M, b: &M) -> M {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

#[derive(Clone)]
struct Gs {
    ctm: M,
    font: Option<Rc<Font>>,
    size: f64,
    char_sp: f64,
    word_sp: f64,
    hscale: f64,
    leading: f64,
    rise: f64,
}

impl Default for Gs {
    fn default() -> Self {
        Gs {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_sp: 0.0,
            word_sp: 0.0,
            hscale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

/// The end of the last glyph placed.
#[derive(Clone, Copy)]
struct Last {
    end: (f64, f64),
    dir: (f64, f64),
    size: f64,
    ch: char,
}

/// An open marked-content sequence; `Some` text when it carries `/ActualText`.
struct Span {
    actual: Option<String>,
    /// Origin, direction and size of the first glyph inside.
    first: Option<(Point, Point, f64)>,
    last_end: Option<(f64, f64)>,
}

/// Document-wide state: fonts already loaded, counters, work done.
pub(crate) struct Shared {
    fonts: HashMap<u32, Option<Rc<Font>>>,
    fonts_cost: usize,
    pub glyphs: usize,
    pub unmapped: usize,
    /// Content bytes interpreted (forms count each time they run).
    work: u64,
    work_cap: u64,
    forms_run: usize,
    pub max_text: usize,
    pub text_len: usize,
}

impl Shared {
    pub fn new(work_cap: u64, max_text: usize) -> Shared {
        Shared {
            fonts: HashMap::new(),
            fonts_cost: 0,
            glyphs: 0,
            unmapped: 0,
            work: 0,
            work_cap,
            forms_run: 0,
            max_text,
            text_len: 0,
        }
    }
}

/// What a content stream looked up in its resources: fonts by name, the XObject and
/// Properties dictionaries.
#[derive(Default)]
struct ResCache {
    dict: Option<Dict>,
    /// The `/XObject` and `/Properties` dictionaries, once looked up.
    xobjects: Option<Dict>,
    properties: Option<Dict>,
    by_name: HashMap<Vec<u8>, Option<Rc<Font>>>,
}

/// What one content stream runs against: its resources, the fonts found in them so far, how
/// deep in forms it is.
struct Scope<'r> {
    res: &'r Dict,
    cache: ResCache,
    depth: usize,
}

/// Map entries the font cache holds before it starts over (a few hundred MB at worst).
const FONT_CACHE_COST: usize = 4 << 20;
const MAX_FORMS: usize = 500_000;
const MAX_FORM_DEPTH: usize = 12;
const MAX_OPERANDS: usize = 4096;
const MAX_GS_STACK: usize = 512;
const MAX_SPANS: usize = 256;

pub(crate) struct Page<'s, 'd, 'a> {
    doc: &'d mut Doc<'a>,
    shared: &'s mut Shared,
    gs: Gs,
    stack: Vec<Gs>,
    /// `q` beyond the stack's cap, so `Q` pops in step.
    overflow: usize,
    tm: M,
    tlm: M,
    out: String,
    last: Option<Last>,
    right_edge: f64,
    /// Where the current line started, along its direction.
    line_start: f64,
    spans: Vec<Span>,
    /// Marked-content sequences opened past the cap, so `EMC` closes in step.
    span_overflow: usize,
    recent: VecDeque<(char, f64, f64)>,
    glyph_buf: Vec<Glyph>,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF
        | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

fn is_cjk_punct(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0xFF00..=0xFFEF | 0x2018..=0x201F | 0x2026)
}

/// A PDF text string (`/ActualText`): UTF-16 with a BOM, UTF-8 with a BOM, else
/// PDFDocEncoding (Latin-1 near enough).
pub(crate) fn text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect();
    }
    if let Some(rest) = b.strip_prefix(&[0xFF, 0xFE]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect();
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(b)
        .0
        .into_owned()
}

fn lex_err(e: LexError) -> ExtractError {
    match e {
        LexError::TooDeep => ExtractError::TooDeep,
        LexError::TooLarge => ExtractError::TooComplex("array too large".into()),
        _ => ExtractError::PdfCorrupt("content stream".into()),
    }
}

impl<'s, 'd, 'a> Page<'s, 'd, 'a> {
    pub fn new(doc: &'d mut Doc<'a>, shared: &'s mut Shared) -> Self {
        Page {
            doc,
            shared,
            gs: Gs::default(),
            stack: Vec::new(),
            overflow: 0,
            tm: IDENTITY,
            tlm: IDENTITY,
            out: String::new(),
            last: None,
            right_edge: f64::MIN,
            line_start: 0.0,
            spans: Vec::new(),
            span_overflow: 0,
            recent: VecDeque::new(),
            glyph_buf: Vec::new(),
        }
    }

    pub fn finish(self) -> String {
        let mut s = self.out;
        let t = s.trim_end().len();
        s.truncate(t);
        s
    }

    fn font(
        &mut self,
        res: &Dict,
        cache: &mut ResCache,
        name: &[u8],
    ) -> Result<Option<Rc<Font>>, ExtractError> {
        if let Some(f) = cache.by_name.get(name) {
            return Ok(f.clone());
        }
        if cache.dict.is_none() {
            cache.dict = Some(match self.doc.get_in(res, b"Font")? {
                Obj::Dict(d) => d,
                _ => Dict::default(),
            });
        }
        let entry = cache.dict.as_ref().and_then(|d| d.get(name)).cloned();
        let font = self.load_font(entry)?;
        if cache.by_name.len() < 4096 {
            cache.by_name.insert(name.to_vec(), font.clone());
        }
        Ok(font)
    }

    /// `res[key][name]`, with `res[key]` resolved once per content stream.
    fn res_entry(
        &mut self,
        res: &Dict,
        slot: &mut Option<Dict>,
        key: &[u8],
        name: &[u8],
    ) -> Result<Option<Obj>, ExtractError> {
        if slot.is_none() {
            *slot = Some(match self.doc.get_in(res, key)? {
                Obj::Dict(d) => d,
                _ => Dict::default(),
            });
        }
        Ok(slot.as_ref().and_then(|d| d.get(name)).cloned())
    }

    fn load_font(&mut self, entry: Option<Obj>) -> Result<Option<Rc<Font>>, ExtractError> {
        let Some(entry) = entry else {
            return Ok(None);
        };
        let key = match entry {
            Obj::Ref(n, _) => Some(n),
            _ => None,
        };
        if let Some(k) = key
            && let Some(f) = self.shared.fonts.get(&k)
        {
            return Ok(f.clone());
        }
        let font = match self.doc.resolve_lenient(&entry)? {
            Obj::Dict(d) => match Font::load(self.doc, &d) {
                Ok(f) => Some(Rc::new(f)),
                Err(e @ (ExtractError::TooBig(_) | ExtractError::TooComplex(_))) => return Err(e),
                Err(_) => Some(Rc::new(Font::fallback())),
            },
            _ => None,
        };
        if let Some(k) = key {
            // The cache is bounded: past its budget it starts over (fonts are reloaded when a
            // later page needs them), so a file of many large fonts cannot pile them all up.
            let cost = font.as_ref().map_or(1, |f| f.size());
            if self.shared.fonts_cost.saturating_add(cost) > FONT_CACHE_COST {
                self.shared.fonts.clear();
                self.shared.fonts_cost = 0;
            }
            self.shared.fonts_cost = self.shared.fonts_cost.saturating_add(cost);
            self.shared.fonts.insert(k, font.clone());
        }
        Ok(font)
    }

    /// Interprets one content stream with its resources.
    pub fn run(
        &mut self,
        content: &[u8],
        res: &Dict,
        depth: usize,
        forms: &mut Vec<u32>,
    ) -> Result<(), ExtractError> {
        self.shared.work = self.shared.work.saturating_add(content.len() as u64);
        if self.shared.work > self.shared.work_cap {
            return Err(ExtractError::TooComplex(format!(
                "more than {} content bytes interpreted",
                self.shared.work_cap
            )));
        }
        let mut lx = Lexer::new(content, 0);
        let mut ops: Vec<Obj> = Vec::new();
        let mut scope = Scope {
            res,
            cache: ResCache::default(),
            depth,
        };
        let max_depth = self.doc.max_depth;
        loop {
            if self.shared.text_len.saturating_add(self.out.len()) > self.shared.max_text {
                return Ok(());
            }
            let tok = match lx.next() {
                Ok(t) => t,
                Err(LexError::Eof) => return Ok(()),
                Err(e) => return Err(lex_err(e)),
            };
            let op: &[u8] = match tok {
                Tok::Kw(b"true") => {
                    ops.push(Obj::Bool(true));
                    continue;
                }
                Tok::Kw(b"false") => {
                    ops.push(Obj::Bool(false));
                    continue;
                }
                Tok::Kw(b"null") => {
                    ops.push(Obj::Null);
                    continue;
                }
                Tok::Kw(k) => k,
                Tok::Int(i) => {
                    ops.push(Obj::Int(i));
                    if ops.len() > MAX_OPERANDS {
                        ops.clear();
                    }
                    continue;
                }
                Tok::Real(r) => {
                    ops.push(Obj::Real(r));
                    if ops.len() > MAX_OPERANDS {
                        ops.clear();
                    }
                    continue;
                }
                Tok::Name(n) => {
                    ops.push(Obj::Name(n));
                    continue;
                }
                Tok::Str(s) => {
                    ops.push(Obj::Str(s));
                    continue;
                }
                t @ (Tok::ArrayOpen | Tok::DictOpen) => {
                    match lx.object_after(t, max_depth) {
                        Ok(o) => ops.push(o),
                        Err(LexError::TooDeep) => return Err(ExtractError::TooDeep),
                        Err(LexError::Eof) => return Ok(()),
                        Err(_) => ops.clear(),
                    }
                    continue;
                }
                Tok::ArrayClose | Tok::DictClose | Tok::Other => continue,
            };
            self.op(op, &ops, &mut scope, forms, &mut lx)?;
            ops.clear();
        }
    }

    fn num(ops: &[Obj], i: usize) -> f64 {
        ops.get(i).and_then(Obj::as_f64).map(finite).unwrap_or(0.0)
    }

    fn matrix(ops: &[Obj]) -> Option<M> {
        if ops.len() < 6 {
            return None;
        }
        let base = ops.len() - 6;
        let mut m = [0.0; 6];
        for (k, v) in m.iter_mut().enumerate() {
            *v = ops[base + k].as_f64().map(finite)?;
        }
        Some(m)
    }

    fn op(
        &mut self,
        op: &[u8],
        ops: &[Obj],
        scope: &mut Scope<'_>,
        forms: &mut Vec<u32>,
        lx: &mut Lexer<'_>,
    ) -> Result<(), ExtractError> {
        let res = scope.res;
        let depth = scope.depth;
        let n = ops.len();
        let last_num = |k: usize| -> f64 { if n >= k { Self::num(ops, n - k) } else { 0.0 } };
        match op {
            b"q" => {
                if self.stack.len() < MAX_GS_STACK {
                    self.stack.push(self.gs.clone());
                } else {
                    self.overflow += 1;
                }
            }
            b"Q" => {
                if self.overflow > 0 {
                    self.overflow -= 1;
                } else if let Some(g) = self.stack.pop() {
                    self.gs = g;
                }
            }
            b"cm" => {
                if let Some(m) = Self::matrix(ops) {
                    self.gs.ctm = mul(&m, &self.gs.ctm);
                }
            }
            b"BT" => {
                self.tm = IDENTITY;
                self.tlm = IDENTITY;
            }
            b"Tf" => {
                self.gs.size = last_num(1);
                if n >= 2
                    && let Some(name) = ops[n - 2].as_name()
                {
                    self.gs.font = self.font(res, &mut scope.cache, name)?;
                }
            }
            b"Tc" => self.gs.char_sp = last_num(1),
            b"Tw" => self.gs.word_sp = last_num(1),
            b"Tz" => self.gs.hscale = last_num(1) / 100.0,
            b"TL" => self.gs.leading = last_num(1),
            b"Ts" => self.gs.rise = last_num(1),
            b"Td" => self.td(last_num(2), last_num(1)),
            b"TD" => {
                self.gs.leading = -last_num(1);
                self.td(last_num(2), last_num(1));
            }
            b"Tm" => {
                if let Some(m) = Self::matrix(ops) {
                    self.tm = m;
                    self.tlm = m;
                }
            }
            b"T*" => self.td(0.0, -self.gs.leading),
            b"Tj" => {
                if let Some(Obj::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"'" => {
                self.td(0.0, -self.gs.leading);
                if let Some(Obj::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"\"" => {
                if n >= 3 {
                    self.gs.word_sp = Self::num(ops, n - 3);
                    self.gs.char_sp = Self::num(ops, n - 2);
                }
                self.td(0.0, -self.gs.leading);
                if let Some(Obj::Str(s)) = ops.last() {
                    self.show(s);
                }
            }
            b"TJ" => {
                if let Some(Obj::Array(items)) = ops.last() {
                    for it in items {
                        match it {
                            Obj::Str(s) => self.show(s),
                            o => {
                                if let Some(v) = o.as_f64() {
                                    let tx = -finite(v) / 1000.0 * self.gs.size * self.gs.hscale;
                                    let vertical =
                                        self.gs.font.as_ref().is_some_and(|f| f.vertical);
                                    if vertical {
                                        self.advance(0.0, -finite(v) / 1000.0 * self.gs.size);
                                    } else {
                                        self.advance(tx, 0.0);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            b"BMC" => self.open_span(None),
            b"BDC" => {
                let props = match ops.last() {
                    Some(Obj::Dict(d)) => Some(d.clone()),
                    Some(Obj::Name(name)) => {
                        let name = name.clone();
                        match self.res_entry(
                            res,
                            &mut scope.cache.properties,
                            b"Properties",
                            &name,
                        )? {
                            Some(o) => self.doc.resolve_lenient(&o)?.as_dict().cloned(),
                            None => None,
                        }
                    }
                    _ => None,
                };
                let actual = props.and_then(|d| match d.get(b"ActualText") {
                    Some(Obj::Str(s)) => Some(text_string(s)),
                    _ => None,
                });
                self.open_span(actual);
            }
            b"EMC" => {
                if self.span_overflow > 0 {
                    self.span_overflow -= 1;
                } else if let Some(span) = self.spans.pop()
                    && let Some(text) = span.actual
                {
                    if let Some((origin, dir, size)) = span.first {
                        if let Some(c) = text.chars().next() {
                            self.place(origin, dir, size, c);
                        }
                        self.out.push_str(&text);
                        if let (Some(end), Some(ch)) = (span.last_end, text.chars().last()) {
                            self.last = Some(Last { end, dir, size, ch });
                            self.note_edge(end, dir);
                        }
                    } else {
                        self.out.push_str(&text);
                    }
                }
            }
            b"Do" => {
                if let Some(Obj::Name(name)) = ops.last() {
                    let name = name.clone();
                    if let Some(entry) =
                        self.res_entry(res, &mut scope.cache.xobjects, b"XObject", &name)?
                    {
                        self.form(res, entry, depth, forms)?;
                    }
                }
            }
            b"BI" => skip_inline_image(lx),
            _ => {}
        }
        Ok(())
    }

    fn open_span(&mut self, actual: Option<String>) {
        if self.spans.len() >= MAX_SPANS {
            self.span_overflow += 1;
            return;
        }
        // Only the outermost ActualText counts.
        let inside = self.spans.iter().any(|s| s.actual.is_some());
        self.spans.push(Span {
            actual: if inside { None } else { actual },
            first: None,
            last_end: None,
        });
    }

    fn td(&mut self, tx: f64, ty: f64) {
        let m = [1.0, 0.0, 0.0, 1.0, tx, ty];
        self.tlm = mul(&m, &self.tlm);
        self.tm = self.tlm;
    }

    fn advance(&mut self, tx: f64, ty: f64) {
        let t = &mut self.tm;
        t[4] = finite(t[4] + tx * t[0] + ty * t[2]);
        t[5] = finite(t[5] + tx * t[1] + ty * t[3]);
    }

    fn form(
        &mut self,
        res: &Dict,
        entry: Obj,
        depth: usize,
        forms: &mut Vec<u32>,
    ) -> Result<(), ExtractError> {
        let num = match entry {
            Obj::Ref(n, _) => Some(n),
            _ => None,
        };
        if depth >= MAX_FORM_DEPTH || num.is_some_and(|n| forms.contains(&n)) {
            return Ok(());
        }
        let Obj::Stream(s) = self.doc.resolve_lenient(&entry)? else {
            return Ok(());
        };
        if s.dict.name(b"Subtype") != Some(b"Form") {
            return Ok(());
        }
        self.shared.forms_run += 1;
        if self.shared.forms_run > MAX_FORMS {
            return Err(ExtractError::TooComplex(
                "too many form XObjects drawn".into(),
            ));
        }
        let data = self.doc.decode(&s)?;
        let form_res = match self.doc.get_in(&s.dict, b"Resources")? {
            Obj::Dict(d) => d,
            _ => res.clone(),
        };
        let saved = (self.gs.clone(), self.stack.len(), self.overflow);
        if let Obj::Array(m) = self.doc.get_in(&s.dict, b"Matrix")? {
            let v: Vec<f64> = m
                .iter()
                .map(|o| o.as_f64().map(finite).unwrap_or(0.0))
                .collect();
            if v.len() == 6 {
                let mm = [v[0], v[1], v[2], v[3], v[4], v[5]];
                self.gs.ctm = mul(&mm, &self.gs.ctm);
            }
        }
        if let Some(n) = num {
            forms.push(n);
        }
        let saved_tm = (self.tm, self.tlm);
        let r = self.run(&data, &form_res, depth + 1, forms);
        if num.is_some() {
            forms.pop();
        }
        self.gs = saved.0;
        self.stack.truncate(saved.1);
        self.overflow = saved.2;
        self.tm = saved_tm.0;
        self.tlm = saved_tm.1;
        r
    }

    fn show(&mut self, s: &[u8]) {
        let Some(font) = self.gs.font.clone() else {
            // No font: every byte is a glyph we cannot read.
            self.shared.glyphs = self.shared.glyphs.saturating_add(s.len());
            self.shared.unmapped = self.shared.unmapped.saturating_add(s.len());
            return;
        };
        let mut glyphs = std::mem::take(&mut self.glyph_buf);
        font.glyphs(s, &mut glyphs);
        let size = self.gs.size;
        for g in &glyphs {
            let m = mul(&self.tm, &self.gs.ctm);
            let rise = self.gs.rise;
            let origin = (finite(m[4] + rise * m[2]), finite(m[5] + rise * m[3]));
            let (tx, ty) = if font.vertical {
                (0.0, -(size + self.gs.char_sp))
            } else {
                let mut w = g.advance * size + self.gs.char_sp;
                if g.len == 1 && g.code == 32 {
                    w += self.gs.word_sp;
                }
                (w * self.gs.hscale, 0.0)
            };
            let (dx, dy) = if font.vertical {
                (-m[2], -m[3])
            } else {
                (m[0], m[1])
            };
            let norm = (dx * dx + dy * dy).sqrt();
            let dir = if norm > 1e-9 && norm.is_finite() {
                (dx / norm, dy / norm)
            } else {
                (1.0, 0.0)
            };
            let eff = (size * font.size_scale * (m[2] * m[2] + m[3] * m[3]).sqrt()).abs();
            let eff = if eff.is_finite() && eff > 1e-6 {
                eff
            } else {
                1.0
            };
            let end = (
                finite(origin.0 + tx * m[0] + ty * m[2]),
                finite(origin.1 + tx * m[1] + ty * m[3]),
            );
            self.glyph(g.text.as_deref(), origin, end, dir, eff);
            self.advance(tx, ty);
        }
        self.glyph_buf = glyphs;
    }

    fn note_edge(&mut self, end: (f64, f64), dir: (f64, f64)) {
        let along = end.0 * dir.0 + end.1 * dir.1;
        if along > self.right_edge {
            self.right_edge = along;
        }
    }

    fn glyph(
        &mut self,
        text: Option<&str>,
        origin: (f64, f64),
        end: (f64, f64),
        dir: (f64, f64),
        size: f64,
    ) {
        self.shared.glyphs = self.shared.glyphs.saturating_add(1);
        if let Some(span) = self.spans.iter_mut().rev().find(|s| s.actual.is_some()) {
            if span.first.is_none() {
                span.first = Some((origin, dir, size));
            }
            span.last_end = Some(end);
            return;
        }
        let Some(text) = text else {
            self.shared.unmapped = self.shared.unmapped.saturating_add(1);
            return;
        };
        let Some(first) = text.chars().next() else {
            return;
        };
        // Text drawn twice a hair apart (bold faked by overprinting): keep it once. Only
        // checked when the glyph starts behind the last one, which normal text never does.
        if let Some(l) = self.last {
            let back = (origin.0 - l.end.0) * l.dir.0 + (origin.1 - l.end.1) * l.dir.1;
            if back < -0.3 * size {
                let tol = 0.3 * size;
                if self.recent.iter().any(|&(c, x, y)| {
                    c == first && (x - origin.0).abs() < tol && (y - origin.1).abs() < tol
                }) {
                    return;
                }
            }
        }
        self.place(origin, dir, size, first);
        self.out.push_str(text);
        self.recent.push_back((first, origin.0, origin.1));
        if self.recent.len() > 256 {
            self.recent.pop_front();
        }
        let ch = text.chars().last().unwrap_or(first);
        self.last = Some(Last { end, dir, size, ch });
        self.note_edge(end, dir);
    }

    /// Puts a line break or a space before a glyph at `origin`, as its distance from the last
    /// one says.
    fn place(&mut self, origin: (f64, f64), dir: (f64, f64), size: f64, next: char) {
        let here = origin.0 * dir.0 + origin.1 * dir.1;
        let Some(l) = self.last else {
            if !self.out.is_empty() && !self.out.ends_with('\n') {
                self.out.push('\n');
            }
            self.line_start = here;
            return;
        };
        let dx = origin.0 - l.end.0;
        let dy = origin.1 - l.end.1;
        let along = dx * l.dir.0 + dy * l.dir.1;
        let perp = -dx * l.dir.1 + dy * l.dir.0;
        let s = l.size.max(size).max(0.01);
        let turned = (dir.0 * l.dir.0 + dir.1 * l.dir.1) < 0.9;
        if perp.abs() > 0.6 * s || turned {
            let same_size = (l.size - size).abs() <= 0.1 * s;
            let next_line = perp < 0.0 && -perp < 2.2 * s;
            // A line that ran to the right edge seen so far, and is long: wrapped text.
            let end_along = l.end.0 * l.dir.0 + l.end.1 * l.dir.1;
            let line_full =
                end_along >= self.right_edge - 1.5 * s && end_along - self.line_start >= 8.0 * s;
            let wrapped =
                (is_cjk(l.ch) || is_cjk_punct(l.ch)) && (is_cjk(next) || is_cjk_punct(next));
            if !(wrapped && same_size && next_line && line_full && !turned) {
                self.newline();
            }
            self.line_start = here;
        } else if along > 0.25 * s || along < -2.0 * s {
            let both_cjk =
                (is_cjk(l.ch) || is_cjk_punct(l.ch)) && (is_cjk(next) || is_cjk_punct(next));
            if (!both_cjk || along > 1.5 * s || along < -2.0 * s)
                && !self.out.ends_with([' ', '\n', '\t'])
                && next != ' '
            {
                self.out.push(' ');
            }
        }
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }
}

/// Skips an inline image: its dictionary up to `ID`, then binary data up to an `EI` that stands
/// alone.
fn skip_inline_image(lx: &mut Lexer<'_>) {
    loop {
        match lx.next() {
            Ok(Tok::Kw(b"ID")) => break,
            Ok(_) => {}
            Err(_) => return,
        }
    }
    let data = lx.data;
    let start = (lx.pos + 1).min(data.len());
    let mut from = start;
    while let Some(at) = memchr::memmem::find(&data[from..], b"EI") {
        let p = from + at;
        let before_ok = p == 0 || super::lexer::is_white(data[p - 1]);
        let after_ok = data.get(p + 2).is_none_or(|&b| super::lexer::is_white(b));
        if before_ok && after_ok {
            lx.pos = p + 2;
            return;
        }
        from = p + 2;
    }
    lx.pos = data.len();
}
