//! Fonts as far as text needs them: how a string splits into character codes, what Unicode each
//! code stands for, and how far each advances. Unicode comes from the font's ToUnicode CMap
//! (bfchar/bfrange), else from a predefined CJK CMap whose codes are themselves an encoding
//! (UniGB-UCS2 and UTF-16 codes are Unicode; GBK-EUC/GB-EUC/GBK2K codes are GB18030 bytes;
//! ETen-B5/B5pc codes are Big5; RKSJ are Shift_JIS; KSC/UHC are EUC-KR), else from a simple
//! font's encoding (WinAnsi, MacRoman, Standard, `/Differences` with glyph names).

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::super::ExtractError;
use super::doc::Doc;
use super::lexer::{Dict, Lexer, Obj, Tok};

/// Codes -> Unicode from a CMap, with its code space.
#[derive(Default, Debug)]
pub(crate) struct CMap {
    map: HashMap<u32, String>,
    /// Ranges too large to expand: (lo, hi, first destination as UTF-16 units).
    lazy: Vec<(u32, u32, Vec<u16>)>,
    pub codespace: Vec<CodeRange>,
    /// Code -> CID ranges of an encoding CMap (lo, hi, first CID).
    cids: Vec<(u32, u32, u32)>,
    pub usecmap: Option<Vec<u8>>,
}

/// A code-space range: per-byte bounds of codes `len` bytes long.
#[derive(Clone, Debug)]
pub(crate) struct CodeRange {
    len: usize,
    lo: [u8; 4],
    hi: [u8; 4],
}

impl CodeRange {
    fn new(lo: &[u8], hi: &[u8]) -> Option<CodeRange> {
        if lo.len() != hi.len() || lo.is_empty() || lo.len() > 4 {
            return None;
        }
        let mut r = CodeRange {
            len: lo.len(),
            lo: [0; 4],
            hi: [0; 4],
        };
        r.lo[..lo.len()].copy_from_slice(lo);
        r.hi[..hi.len()].copy_from_slice(hi);
        Some(r)
    }

    fn fixed(len: usize, lo: &[u8], hi: &[u8]) -> CodeRange {
        CodeRange::new(&lo[..len], &hi[..len]).unwrap_or(CodeRange {
            len: 1,
            lo: [0; 4],
            hi: [0xFF; 4],
        })
    }

    fn matches(&self, bytes: &[u8]) -> bool {
        bytes.len() >= self.len
            && (0..self.len).all(|i| self.lo[i] <= bytes[i] && bytes[i] <= self.hi[i])
    }
}

/// Total codes expanded from `bfrange`s per CMap; larger ranges are looked up lazily.
const EXPAND_CAP: u64 = 1 << 18;
/// Entries one CMap keeps at most (explicit ones and lazy ranges): real maps have tens of
/// thousands; a hostile one gets no more memory than this.
const MAX_ENTRIES: usize = 1 << 20;

fn be(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .take(4)
        .fold(0u32, |a, &b| a << 8 | u32::from(b))
}

fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    if bytes.len() == 1 {
        return vec![u16::from(bytes[0])];
    }
    bytes
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from(c[0])
            }
        })
        .collect()
}

fn units_to_string(u: &[u16]) -> String {
    char::decode_utf16(u.iter().copied())
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

impl CMap {
    /// Parses a CMap program (ToUnicode or an embedded encoding): tolerant of anything, bounded
    /// by the data's length.
    pub fn parse(data: &[u8]) -> CMap {
        let mut cm = CMap::default();
        let mut lx = Lexer::new(data, 0);
        let mut expanded: u64 = 0;
        let mut last_name: Option<Vec<u8>> = None;
        while let Ok(tok) = lx.next() {
            match tok {
                Tok::Name(n) => last_name = Some(n),
                Tok::Kw(b"usecmap") => cm.usecmap = last_name.take(),
                Tok::Kw(b"begincodespacerange") => {
                    while let (Ok(Tok::Str(lo)), Ok(Tok::Str(hi))) = (lx.next(), lx.next()) {
                        if let Some(r) = CodeRange::new(&lo, &hi) {
                            cm.codespace.push(r);
                        }
                    }
                }
                Tok::Kw(b"beginbfchar") => {
                    while let Ok(Tok::Str(src)) = lx.next() {
                        match lx.next() {
                            Ok(Tok::Str(dst)) => {
                                cm.put(be(&src), units_to_string(&utf16_units(&dst)));
                            }
                            Ok(Tok::Name(n)) => {
                                if let Some(s) = glyph_to_unicode(&n) {
                                    cm.put(be(&src), s);
                                }
                            }
                            _ => break,
                        }
                    }
                }
                Tok::Kw(b"beginbfrange") => {
                    while let (Ok(Tok::Str(lo)), Ok(Tok::Str(hi))) = (lx.next(), lx.next()) {
                        let (lo, hi) = (be(&lo), be(&hi));
                        if hi < lo {
                            // Skip its destination.
                            let _ = lx.object(4);
                            continue;
                        }
                        match lx.next() {
                            Ok(Tok::Str(dst)) => {
                                let base = utf16_units(&dst);
                                let span = u64::from(hi - lo) + 1;
                                if expanded + span <= EXPAND_CAP {
                                    expanded += span;
                                    for (k, code) in (lo..=hi).enumerate() {
                                        cm.put(code, offset_units(&base, k as u32));
                                    }
                                } else if cm.lazy.len() < MAX_ENTRIES / 16 {
                                    cm.lazy.push((lo, hi, base));
                                }
                            }
                            Ok(Tok::ArrayOpen) => {
                                let mut code = lo;
                                loop {
                                    match lx.next() {
                                        Ok(Tok::Str(d)) => {
                                            if code <= hi {
                                                cm.put(code, units_to_string(&utf16_units(&d)));
                                            }
                                            code = code.saturating_add(1);
                                        }
                                        Ok(Tok::ArrayClose) | Err(_) => break,
                                        Ok(_) => {}
                                    }
                                }
                            }
                            _ => break,
                        }
                    }
                }
                Tok::Kw(b"begincidrange") => {
                    while let (Ok(Tok::Str(lo)), Ok(Tok::Str(hi)), Ok(Tok::Int(cid))) =
                        (lx.next(), lx.next(), lx.next())
                    {
                        if let Ok(cid) = u32::try_from(cid)
                            && cm.cids.len() < 100_000
                        {
                            cm.cids.push((be(&lo), be(&hi), cid));
                        }
                    }
                }
                Tok::Kw(b"begincidchar") => {
                    while let (Ok(Tok::Str(c)), Ok(Tok::Int(cid))) = (lx.next(), lx.next()) {
                        if let Ok(cid) = u32::try_from(cid)
                            && cm.cids.len() < 100_000
                        {
                            let c = be(&c);
                            cm.cids.push((c, c, cid));
                        }
                    }
                }
                _ => {}
            }
        }
        cm.lazy.sort_by_key(|r| r.0);
        cm.cids.sort_by_key(|r| r.0);
        cm
    }

    fn put(&mut self, code: u32, s: String) {
        if self.map.len() < MAX_ENTRIES {
            self.map.insert(code, s);
        }
    }

    /// What this map costs to keep, in entries.
    pub fn size(&self) -> usize {
        self.map.len() + self.lazy.len() + self.cids.len()
    }

    pub fn get(&self, code: u32) -> Option<String> {
        if let Some(s) = self.map.get(&code) {
            return Some(s.clone());
        }
        // Lazy ranges are sorted by start; look at the few that start at or before the code.
        let idx = self.lazy.partition_point(|r| r.0 <= code);
        self.lazy[..idx]
            .iter()
            .rev()
            .take(16)
            .find(|(lo, hi, _)| *lo <= code && code <= *hi)
            .map(|(lo, _, base)| offset_units(base, code - lo))
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.lazy.is_empty()
    }

    fn cid(&self, code: u32) -> Option<u32> {
        let idx = self.cids.partition_point(|r| r.0 <= code);
        self.cids[..idx]
            .iter()
            .rev()
            .take(16)
            .find(|(lo, hi, _)| *lo <= code && code <= *hi)
            .and_then(|(lo, _, cid)| cid.checked_add(code - lo))
    }
}

/// The destination of a bfrange `k` codes past its start: the last UTF-16 unit advanced by `k`.
fn offset_units(base: &[u16], k: u32) -> String {
    let mut u = base.to_vec();
    if let Some(last) = u.last_mut() {
        *last = (u32::from(*last).wrapping_add(k) & 0xFFFF) as u16;
    }
    units_to_string(&u)
}

/// How a composite font's codes map to Unicode without a ToUnicode entry.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CodeEnc {
    /// Codes are CIDs (Identity-H/V): no Unicode without a ToUnicode map.
    Cid,
    Ucs2,
    Utf16,
    Legacy(&'static Encoding),
}

/// A predefined CMap by name: (code encoding, code space, vertical).
fn predefined(name: &[u8]) -> Option<(CodeEnc, Vec<CodeRange>, bool)> {
    let n = std::str::from_utf8(name).ok()?;
    let vertical = n.ends_with("-V");
    let two = || vec![CodeRange::fixed(2, &[0, 0], &[0xFF, 0xFF])];
    let one_two = |lead_lo: u8, trail_lo: u8| {
        vec![
            CodeRange::fixed(1, &[0], &[0x80]),
            CodeRange::fixed(2, &[lead_lo, trail_lo], &[0xFE, 0xFE]),
        ]
    };
    let enc = if n.starts_with("Identity-") {
        (CodeEnc::Cid, two())
    } else if n.starts_with("Uni") && n.contains("-UCS2-") {
        (CodeEnc::Ucs2, two())
    } else if n.starts_with("Uni") && n.contains("-UTF16-") {
        (
            CodeEnc::Utf16,
            vec![
                CodeRange::fixed(2, &[0, 0], &[0xD7, 0xFF]),
                CodeRange::fixed(4, &[0xD8, 0, 0xDC, 0], &[0xDB, 0xFF, 0xDF, 0xFF]),
                CodeRange::fixed(2, &[0xE0, 0], &[0xFF, 0xFF]),
            ],
        )
    } else if n.starts_with("GBK2K-") {
        (
            CodeEnc::Legacy(encoding_rs::GB18030),
            vec![
                CodeRange::fixed(1, &[0], &[0x80]),
                CodeRange::fixed(4, &[0x81, 0x30, 0x81, 0x30], &[0xFE, 0x39, 0xFE, 0x39]),
                CodeRange::fixed(2, &[0x81, 0x40], &[0xFE, 0xFE]),
            ],
        )
    } else if n.starts_with("GBK-") || n.starts_with("GBKp-") || n.starts_with("GBT-") {
        (CodeEnc::Legacy(encoding_rs::GB18030), one_two(0x81, 0x40))
    } else if n.starts_with("GB-") || n.starts_with("GBpc-") || n.starts_with("GBT") {
        (CodeEnc::Legacy(encoding_rs::GB18030), one_two(0xA1, 0xA1))
    } else if n.starts_with("ETen-B5-")
        || n.starts_with("ETenms-B5-")
        || n.starts_with("B5pc-")
        || n.starts_with("HKscs-B5-")
        || n.starts_with("B5-")
    {
        (CodeEnc::Legacy(encoding_rs::BIG5), one_two(0xA1, 0x40))
    } else if n.contains("RKSJ") {
        (
            CodeEnc::Legacy(encoding_rs::SHIFT_JIS),
            vec![
                CodeRange::fixed(1, &[0], &[0x80]),
                CodeRange::fixed(1, &[0xA0], &[0xDF]),
                CodeRange::fixed(2, &[0x81, 0x40], &[0x9F, 0xFC]),
                CodeRange::fixed(2, &[0xE0, 0x40], &[0xFC, 0xFC]),
            ],
        )
    } else if n.starts_with("KSC") {
        (CodeEnc::Legacy(encoding_rs::EUC_KR), one_two(0x81, 0x41))
    } else {
        return None;
    };
    Some((enc.0, enc.1, vertical))
}

#[derive(Debug)]
enum Widths {
    Simple {
        first: u32,
        widths: Vec<f64>,
        missing: f64,
    },
    Cid {
        /// (lo, hi, width), sorted by lo.
        ranges: Vec<(u32, u32, f64)>,
        default: f64,
    },
}

#[derive(Debug)]
pub(crate) struct Font {
    composite: bool,
    codespace: Vec<CodeRange>,
    enc: CodeEnc,
    /// For simple fonts: the Unicode of each code from the encoding.
    simple: Vec<Option<String>>,
    to_unicode: Option<CMap>,
    /// Code -> CID for embedded encoding CMaps (for widths).
    encoding_cmap: Option<CMap>,
    widths: Widths,
    /// Text-space units per width unit (0.001, or a Type3 font's matrix).
    pub scale: f64,
    /// Glyph height relative to the font size (Type3 matrices differ).
    pub size_scale: f64,
    pub vertical: bool,
}

/// What one code of a string gives.
pub(crate) struct Glyph {
    pub code: u32,
    pub len: usize,
    pub text: Option<String>,
    /// Advance in text space per unit of font size.
    pub advance: f64,
}

impl Font {
    /// A font with nothing known: one byte per code, Latin-1-ish text.
    pub fn fallback() -> Font {
        Font {
            composite: false,
            codespace: Vec::new(),
            enc: CodeEnc::Cid,
            simple: standard_table(),
            to_unicode: None,
            encoding_cmap: None,
            widths: Widths::Simple {
                first: 0,
                widths: Vec::new(),
                missing: 500.0,
            },
            scale: 0.001,
            size_scale: 1.0,
            vertical: false,
        }
    }

    pub fn load(doc: &mut Doc<'_>, fd: &Dict) -> Result<Font, ExtractError> {
        let subtype = fd.name(b"Subtype").unwrap_or(b"Type1").to_vec();
        let to_unicode = match doc.get_in(fd, b"ToUnicode")? {
            Obj::Stream(s) => {
                let data = doc.decode(&s)?;
                let cm = CMap::parse(&data);
                (!cm.is_empty()).then_some(cm)
            }
            _ => None,
        };
        if subtype == b"Type0" {
            return Font::load_composite(doc, fd, to_unicode);
        }
        let mut scale = 0.001;
        let mut size_scale = 1.0;
        if subtype == b"Type3"
            && let Obj::Array(m) = doc.get_in(fd, b"FontMatrix")?
        {
            let v: Vec<f64> = m.iter().map(|o| o.as_f64().unwrap_or(0.0)).collect();
            if v.len() >= 4 {
                if v[0].abs() > 1e-9 && v[0].is_finite() {
                    scale = v[0];
                }
                if v[3].abs() > 1e-9 && v[3].is_finite() {
                    size_scale = (v[3] * 1000.0).abs();
                }
            }
        }
        let first = doc
            .get_in(fd, b"FirstChar")?
            .as_i64()
            .unwrap_or(0)
            .clamp(0, 255) as u32;
        let widths: Vec<f64> = match doc.get_in(fd, b"Widths")? {
            Obj::Array(a) => {
                let mut w = Vec::with_capacity(a.len().min(256));
                for o in a.iter().take(256) {
                    let o = doc.resolve_lenient(o)?;
                    w.push(o.as_f64().unwrap_or(0.0));
                }
                w
            }
            _ => Vec::new(),
        };
        let descriptor = match doc.get_in(fd, b"FontDescriptor")? {
            Obj::Dict(d) => Some(d),
            _ => None,
        };
        let missing = descriptor
            .as_ref()
            .and_then(|d| d.get(b"MissingWidth"))
            .and_then(Obj::as_f64)
            .unwrap_or(0.0);
        let missing = if widths.is_empty() && missing == 0.0 {
            let base = fd.name(b"BaseFont").unwrap_or(b"");
            if memchr::memmem::find(base, b"Courier").is_some() {
                600.0
            } else {
                500.0
            }
        } else {
            missing
        };
        let flags = descriptor
            .as_ref()
            .and_then(|d| d.get(b"Flags"))
            .and_then(Obj::as_i64)
            .unwrap_or(0);
        let symbolic = flags & 4 != 0 && flags & 32 == 0;
        let mut table = match subtype.as_slice() {
            b"TrueType" if !symbolic => single_byte_table(encoding_rs::WINDOWS_1252),
            _ => standard_table(),
        };
        match doc.get_in(fd, b"Encoding")? {
            Obj::Name(n) => {
                if let Some(t) = named_encoding(&n) {
                    table = t;
                }
            }
            Obj::Dict(d) => {
                if let Some(t) = d.name(b"BaseEncoding").and_then(named_encoding) {
                    table = t;
                }
                if let Obj::Array(diffs) = doc.get_in(&d, b"Differences")? {
                    let mut code: i64 = 0;
                    for o in diffs.iter().take(4096) {
                        match o {
                            Obj::Int(i) => code = *i,
                            Obj::Name(n) => {
                                if let Ok(c) = usize::try_from(code)
                                    && let Some(slot) = table.get_mut(c)
                                {
                                    *slot = glyph_to_unicode(n);
                                }
                                code = code.saturating_add(1);
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(Font {
            composite: false,
            codespace: Vec::new(),
            enc: CodeEnc::Cid,
            simple: table,
            to_unicode,
            encoding_cmap: None,
            widths: Widths::Simple {
                first,
                widths,
                missing,
            },
            scale,
            size_scale,
            vertical: false,
        })
    }

    fn load_composite(
        doc: &mut Doc<'_>,
        fd: &Dict,
        to_unicode: Option<CMap>,
    ) -> Result<Font, ExtractError> {
        let mut enc = CodeEnc::Cid;
        let mut codespace = Vec::new();
        let mut vertical = false;
        let mut encoding_cmap = None;
        match doc.get_in(fd, b"Encoding")? {
            Obj::Name(n) => {
                if let Some((e, cs, v)) = predefined(&n) {
                    enc = e;
                    codespace = cs;
                    vertical = v;
                }
            }
            Obj::Stream(s) => {
                let data = doc.decode(&s)?;
                let cm = CMap::parse(&data);
                let used = cm
                    .usecmap
                    .clone()
                    .or_else(|| s.dict.name(b"CMapName").map(<[u8]>::to_vec))
                    .and_then(|n| predefined(&n));
                if let Some((e, cs, v)) = used {
                    enc = e;
                    codespace = cs;
                    vertical = v;
                }
                if !cm.codespace.is_empty() {
                    codespace = cm.codespace.clone();
                }
                if s.dict.get(b"WMode").and_then(Obj::as_i64) == Some(1) {
                    vertical = true;
                }
                encoding_cmap = Some(cm);
            }
            _ => {}
        }
        if codespace.is_empty() {
            codespace = match to_unicode.as_ref() {
                Some(tu) if !tu.codespace.is_empty() => tu.codespace.clone(),
                _ => vec![CodeRange::fixed(2, &[0, 0], &[0xFF, 0xFF])],
            };
        }
        let mut ranges = Vec::new();
        let mut default = 1000.0;
        let desc = match doc.get_in(fd, b"DescendantFonts")? {
            Obj::Array(a) => match a.first() {
                Some(o) => doc.resolve_lenient(o)?,
                None => Obj::Null,
            },
            other => other,
        };
        if let Obj::Dict(cid) = desc {
            if let Some(dw) = doc.get_in(&cid, b"DW")?.as_f64() {
                default = dw;
            }
            if let Obj::Array(w) = doc.get_in(&cid, b"W")? {
                let mut i = 0;
                while i < w.len() && ranges.len() < 200_000 {
                    let first = doc.resolve_lenient(&w[i])?.as_i64();
                    let next = match w.get(i + 1) {
                        Some(o) => doc.resolve_lenient(o)?,
                        None => break,
                    };
                    let Some(first) = first.and_then(|f| u32::try_from(f).ok()) else {
                        break;
                    };
                    match next {
                        Obj::Array(list) => {
                            for (k, o) in list.iter().enumerate().take(65_536) {
                                let c = first.saturating_add(k as u32);
                                ranges.push((c, c, o.as_f64().unwrap_or(default)));
                            }
                            i += 2;
                        }
                        n => {
                            let last = n
                                .as_i64()
                                .and_then(|l| u32::try_from(l).ok())
                                .unwrap_or(first);
                            let width = match w.get(i + 2) {
                                Some(o) => doc.resolve_lenient(o)?.as_f64().unwrap_or(default),
                                None => default,
                            };
                            ranges.push((first, last.max(first), width));
                            i += 3;
                        }
                    }
                }
                ranges.sort_by_key(|r| r.0);
            }
        }
        Ok(Font {
            composite: true,
            codespace,
            enc,
            simple: Vec::new(),
            to_unicode,
            encoding_cmap,
            widths: Widths::Cid { ranges, default },
            scale: 0.001,
            size_scale: 1.0,
            vertical,
        })
    }

    /// What this font costs to keep, roughly in map entries.
    pub fn size(&self) -> usize {
        let widths = match &self.widths {
            Widths::Simple { widths, .. } => widths.len(),
            Widths::Cid { ranges, .. } => ranges.len(),
        };
        256 + widths
            + self.to_unicode.as_ref().map_or(0, CMap::size)
            + self.encoding_cmap.as_ref().map_or(0, CMap::size)
    }

    /// Splits a string into codes: by the code space (longest-first per the ranges that
    /// match), one byte for simple fonts.
    pub fn glyphs(&self, s: &[u8], out: &mut Vec<Glyph>) {
        out.clear();
        let mut i = 0;
        while i < s.len() {
            let rest = &s[i..];
            let len = if self.composite {
                let mut found = None;
                for l in 1..=4usize {
                    if self.codespace.iter().any(|r| r.len == l && r.matches(rest)) {
                        found = Some(l);
                        break;
                    }
                }
                found.unwrap_or_else(|| self.codespace.iter().map(|r| r.len).min().unwrap_or(1))
            } else {
                1
            };
            let len = len.min(rest.len()).max(1);
            let bytes = &rest[..len];
            let code = be(bytes);
            let text = self.unicode(code, bytes);
            let advance = self.width(code, len) * self.scale;
            out.push(Glyph {
                code,
                len,
                text,
                advance,
            });
            i += len;
        }
    }

    fn unicode(&self, code: u32, bytes: &[u8]) -> Option<String> {
        if let Some(tu) = &self.to_unicode
            && let Some(s) = tu.get(code)
            && useful(&s)
        {
            return Some(s);
        }
        if self.composite {
            match self.enc {
                CodeEnc::Cid => None,
                CodeEnc::Ucs2 => char::from_u32(code).map(String::from),
                CodeEnc::Utf16 => Some(units_to_string(&utf16_units(bytes))),
                CodeEnc::Legacy(e) => {
                    let (s, bad) = e.decode_without_bom_handling(bytes);
                    (!bad).then(|| s.into_owned())
                }
            }
            .filter(|s| useful(s))
        } else {
            self.simple.get(code as usize).cloned().flatten()
        }
    }

    fn width(&self, code: u32, len: usize) -> f64 {
        match &self.widths {
            Widths::Simple {
                first,
                widths,
                missing,
            } => code
                .checked_sub(*first)
                .and_then(|i| widths.get(i as usize))
                .copied()
                .unwrap_or(*missing),
            Widths::Cid { ranges, default } => {
                let cid = match (self.enc, &self.encoding_cmap) {
                    (_, Some(cm)) if !cm.cids.is_empty() => cm.cid(code),
                    (CodeEnc::Cid, _) => Some(code),
                    _ => None,
                };
                let Some(cid) = cid else {
                    // Unknown CID: half width for one-byte (Latin) codes.
                    return if len == 1 { default / 2.0 } else { *default };
                };
                let idx = ranges.partition_point(|r| r.0 <= cid);
                ranges[..idx]
                    .iter()
                    .rev()
                    .take(8)
                    .find(|r| r.0 <= cid && cid <= r.1)
                    .map(|r| r.2)
                    .unwrap_or(*default)
            }
        }
    }
}

/// Text a glyph may stand for: not empty, not only replacement, control or private-use
/// characters (what broken ToUnicode maps and symbol fonts produce).
pub(crate) fn useful(s: &str) -> bool {
    s.chars().any(|c| {
        !(c == '\u{FFFD}'
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{E000}'..='\u{F8FF}').contains(&c))
    })
}

fn single_byte_table(enc: &'static Encoding) -> Vec<Option<String>> {
    (0u16..256)
        .map(|b| {
            let b = b as u8;
            if b < 0x20 {
                return None;
            }
            let byte = [b];
            let (s, bad) = enc.decode_without_bom_handling(&byte);
            (!bad).then(|| s.into_owned())
        })
        .collect()
}

/// StandardEncoding: ASCII with curly quotes at 0x27 and 0x60; the upper half as WinAnsi
/// (close enough for the few Latin documents that rely on it).
fn standard_table() -> Vec<Option<String>> {
    let mut t = single_byte_table(encoding_rs::WINDOWS_1252);
    t[0x27] = Some("\u{2019}".into());
    t[0x60] = Some("\u{2018}".into());
    t
}

fn named_encoding(name: &[u8]) -> Option<Vec<Option<String>>> {
    match name {
        b"WinAnsiEncoding" => Some(single_byte_table(encoding_rs::WINDOWS_1252)),
        b"MacRomanEncoding" => Some(single_byte_table(encoding_rs::MACINTOSH)),
        b"StandardEncoding" => Some(standard_table()),
        b"PDFDocEncoding" => Some(single_byte_table(encoding_rs::WINDOWS_1252)),
        _ => None,
    }
}

/// Unicode for a glyph name: `uniXXXX[XXXX...]`, `uXXXX[XX]`, one-letter names, the common
/// Adobe names, ligatures joined by `_`, suffixes after `.` dropped. Names like `g12` or
/// `cid123` say nothing.
pub(crate) fn glyph_to_unicode(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name.split('.').next().unwrap_or(name);
    if base.is_empty() {
        return None;
    }
    if base.contains('_') {
        let parts: Option<String> = base
            .split('_')
            .map(|p| glyph_to_unicode(p.as_bytes()))
            .collect();
        return parts;
    }
    if let Some(hex) = base.strip_prefix("uni")
        && hex.len() >= 4
        && hex.len() % 4 == 0
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let units: Vec<u16> = hex
            .as_bytes()
            .chunks(4)
            .filter_map(|c| u16::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
            .collect();
        return Some(units_to_string(&units));
    }
    if let Some(hex) = base.strip_prefix('u')
        && (4..=6).contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return u32::from_str_radix(hex, 16)
            .ok()
            .and_then(char::from_u32)
            .map(String::from);
    }
    let mut chars = base.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_ascii_alphabetic()
    {
        return Some(c.to_string());
    }
    GLYPHS
        .binary_search_by(|(n, _)| n.cmp(&base))
        .ok()
        .map(|i| GLYPHS[i].1.to_string())
}

/// Adobe glyph names for ASCII, Latin-1 and WinAnsi, sorted by name (checked in tests).
pub(crate) const GLYPHS: &[(&str, char)] = &[
    ("AE", 'Æ'),
    ("Aacute", 'Á'),
    ("Acircumflex", 'Â'),
    ("Adieresis", 'Ä'),
    ("Agrave", 'À'),
    ("Aring", 'Å'),
    ("Atilde", 'Ã'),
    ("Ccedilla", 'Ç'),
    ("Eacute", 'É'),
    ("Ecircumflex", 'Ê'),
    ("Edieresis", 'Ë'),
    ("Egrave", 'È'),
    ("Eth", 'Ð'),
    ("Euro", '€'),
    ("Iacute", 'Í'),
    ("Icircumflex", 'Î'),
    ("Idieresis", 'Ï'),
    ("Igrave", 'Ì'),
    ("Lslash", 'Ł'),
    ("Ntilde", 'Ñ'),
    ("OE", 'Œ'),
    ("Oacute", 'Ó'),
    ("Ocircumflex", 'Ô'),
    ("Odieresis", 'Ö'),
    ("Ograve", 'Ò'),
    ("Oslash", 'Ø'),
    ("Otilde", 'Õ'),
    ("Scaron", 'Š'),
    ("Thorn", 'Þ'),
    ("Uacute", 'Ú'),
    ("Ucircumflex", 'Û'),
    ("Udieresis", 'Ü'),
    ("Ugrave", 'Ù'),
    ("Yacute", 'Ý'),
    ("Ydieresis", 'Ÿ'),
    ("Zcaron", 'Ž'),
    ("aacute", 'á'),
    ("acircumflex", 'â'),
    ("acute", '´'),
    ("adieresis", 'ä'),
    ("ae", 'æ'),
    ("agrave", 'à'),
    ("ampersand", '&'),
    ("aring", 'å'),
    ("asciicircum", '^'),
    ("asciitilde", '~'),
    ("asterisk", '*'),
    ("at", '@'),
    ("atilde", 'ã'),
    ("backslash", '\\'),
    ("bar", '|'),
    ("braceleft", '{'),
    ("braceright", '}'),
    ("bracketleft", '['),
    ("bracketright", ']'),
    ("brokenbar", '¦'),
    ("bullet", '•'),
    ("ccedilla", 'ç'),
    ("cedilla", '¸'),
    ("cent", '¢'),
    ("circumflex", 'ˆ'),
    ("colon", ':'),
    ("comma", ','),
    ("copyright", '©'),
    ("currency", '¤'),
    ("dagger", '†'),
    ("daggerdbl", '‡'),
    ("degree", '°'),
    ("dieresis", '¨'),
    ("divide", '÷'),
    ("dollar", '$'),
    ("dotlessi", 'ı'),
    ("eacute", 'é'),
    ("ecircumflex", 'ê'),
    ("edieresis", 'ë'),
    ("egrave", 'è'),
    ("eight", '8'),
    ("ellipsis", '…'),
    ("emdash", '—'),
    ("endash", '–'),
    ("equal", '='),
    ("eth", 'ð'),
    ("exclam", '!'),
    ("exclamdown", '¡'),
    ("ff", 'ﬀ'),
    ("ffi", 'ﬃ'),
    ("ffl", 'ﬄ'),
    ("fi", 'ﬁ'),
    ("five", '5'),
    ("fl", 'ﬂ'),
    ("florin", 'ƒ'),
    ("four", '4'),
    ("fraction", '⁄'),
    ("germandbls", 'ß'),
    ("grave", '`'),
    ("greater", '>'),
    ("guillemotleft", '«'),
    ("guillemotright", '»'),
    ("guilsinglleft", '‹'),
    ("guilsinglright", '›'),
    ("hyphen", '-'),
    ("iacute", 'í'),
    ("icircumflex", 'î'),
    ("idieresis", 'ï'),
    ("igrave", 'ì'),
    ("less", '<'),
    ("logicalnot", '¬'),
    ("lslash", 'ł'),
    ("macron", '¯'),
    ("minus", '−'),
    ("mu", 'µ'),
    ("multiply", '×'),
    ("nbspace", '\u{A0}'),
    ("nine", '9'),
    ("ntilde", 'ñ'),
    ("numbersign", '#'),
    ("oacute", 'ó'),
    ("ocircumflex", 'ô'),
    ("odieresis", 'ö'),
    ("oe", 'œ'),
    ("ograve", 'ò'),
    ("one", '1'),
    ("onehalf", '½'),
    ("onequarter", '¼'),
    ("onesuperior", '¹'),
    ("ordfeminine", 'ª'),
    ("ordmasculine", 'º'),
    ("oslash", 'ø'),
    ("otilde", 'õ'),
    ("paragraph", '¶'),
    ("parenleft", '('),
    ("parenright", ')'),
    ("percent", '%'),
    ("period", '.'),
    ("periodcentered", '·'),
    ("perthousand", '‰'),
    ("plus", '+'),
    ("plusminus", '±'),
    ("question", '?'),
    ("questiondown", '¿'),
    ("quotedbl", '"'),
    ("quotedblbase", '„'),
    ("quotedblleft", '“'),
    ("quotedblright", '”'),
    ("quoteleft", '‘'),
    ("quoteright", '’'),
    ("quotesinglbase", '‚'),
    ("quotesingle", '\''),
    ("registered", '®'),
    ("scaron", 'š'),
    ("section", '§'),
    ("semicolon", ';'),
    ("seven", '7'),
    ("six", '6'),
    ("slash", '/'),
    ("space", ' '),
    ("sterling", '£'),
    ("thorn", 'þ'),
    ("three", '3'),
    ("threequarters", '¾'),
    ("threesuperior", '³'),
    ("tilde", '˜'),
    ("trademark", '™'),
    ("two", '2'),
    ("twosuperior", '²'),
    ("uacute", 'ú'),
    ("ucircumflex", 'û'),
    ("udieresis", 'ü'),
    ("ugrave", 'ù'),
    ("underscore", '_'),
    ("yacute", 'ý'),
    ("ydieresis", 'ÿ'),
    ("yen", '¥'),
    ("zcaron", 'ž'),
    ("zero", '0'),
];
