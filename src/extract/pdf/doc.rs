//! The PDF file: cross-reference tables and streams (with `/Prev` chains, hybrid files and
//! object streams), a rebuild by scanning when they are broken, indirect objects on demand,
//! and stream filters with a cap on what they inflate.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::super::{ExtractError, Limits};
use super::lexer::{Dict, LexError, Lexer, Obj, Stream, Tok, is_white};

#[derive(Clone, Copy, Debug)]
enum Entry {
    /// Byte offset of `n g obj`.
    Offset(usize),
    /// Inside object stream `stream`, at `index`.
    InStream(u32, u32),
}

/// A decoded object stream: its data and each object's (number, offset).
struct ObjStm {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

pub(crate) struct Doc<'a> {
    pub data: &'a [u8],
    xref: HashMap<u32, Entry>,
    pub trailer: Dict,
    cache: HashMap<u32, Obj>,
    objstms: HashMap<u32, Rc<ObjStm>>,
    /// Objects being resolved right now (a `/Length` that refers to its own stream...).
    resolving: HashSet<u32>,
    /// Object headers found by scanning the file, once needed.
    scanned: Option<HashMap<u32, usize>>,
    /// Bytes inflated so far from all streams; capped at `total_cap`.
    inflated: u64,
    pub stream_cap: u64,
    total_cap: u64,
    pub max_depth: usize,
    /// Something needed was cut off or missing: the file is damaged.
    pub damaged: bool,
    /// The table was rebuilt by scanning.
    rebuilt: bool,
}

fn corrupt(detail: impl Into<String>) -> ExtractError {
    ExtractError::PdfCorrupt(detail.into())
}

fn lex_err(e: LexError, what: &str) -> ExtractError {
    match e {
        LexError::TooDeep => ExtractError::TooDeep,
        LexError::TooLarge => ExtractError::TooComplex("array too large".into()),
        LexError::Eof => corrupt(format!("{what}: unexpected end of file")),
        LexError::Syntax(at) => corrupt(format!("{what}: syntax error at {at}")),
    }
}

impl<'a> Doc<'a> {
    pub fn open(data: &'a [u8], limits: &Limits) -> Result<Doc<'a>, ExtractError> {
        let mut doc = Doc {
            data,
            xref: HashMap::new(),
            trailer: Dict::default(),
            cache: HashMap::new(),
            objstms: HashMap::new(),
            resolving: HashSet::new(),
            scanned: None,
            inflated: 0,
            stream_cap: limits.max_unzipped_bytes,
            total_cap: limits.max_unzipped_bytes.saturating_mul(4),
            max_depth: limits.max_xml_depth.clamp(8, 1024),
            damaged: false,
            rebuilt: false,
        };
        if memchr::memmem::find(&data[..data.len().min(1024)], b"%PDF-").is_none() {
            return Err(corrupt("no %PDF- header"));
        }
        let ok = match doc.read_xref_chain() {
            Ok(()) => doc.trailer.get(b"Root").is_some() && doc.root_ok(),
            Err(ExtractError::TooBig(d)) => return Err(ExtractError::TooBig(d)),
            Err(_) => false,
        };
        if !ok {
            doc.rebuild()?;
        }
        if doc.trailer.get(b"Encrypt").is_some_and(|e| *e != Obj::Null) {
            return Err(ExtractError::Encrypted);
        }
        Ok(doc)
    }

    /// The catalog can be read through the table we have.
    fn root_ok(&mut self) -> bool {
        let Some(root) = self.trailer.get(b"Root").cloned() else {
            return false;
        };
        matches!(self.resolve(&root), Ok(Obj::Dict(ref d)) if d.get(b"Pages").is_some())
    }

    fn startxref(&self) -> Option<usize> {
        let tail_start = self.data.len().saturating_sub(4096);
        let tail = &self.data[tail_start..];
        let at = memchr::memmem::rfind(tail, b"startxref")?;
        let mut lx = Lexer::new(self.data, tail_start + at + 9);
        match lx.next() {
            Ok(Tok::Int(i)) => usize::try_from(i).ok(),
            _ => None,
        }
    }

    fn read_xref_chain(&mut self) -> Result<(), ExtractError> {
        let mut next = self.startxref();
        let mut seen = HashSet::new();
        let mut first = true;
        while let Some(off) = next {
            if !seen.insert(off) || seen.len() > 512 || off >= self.data.len() {
                break;
            }
            let trailer = self.read_xref_section(off)?;
            if let Some(Obj::Int(stm)) = trailer.get(b"XRefStm")
                && let Ok(stm) = usize::try_from(*stm)
                && seen.insert(stm)
            {
                let _ = self.read_xref_section(stm);
            }
            next = match trailer.get(b"Prev") {
                Some(o) => o.as_i64().and_then(|v| usize::try_from(v).ok()),
                None => None,
            };
            if first {
                self.trailer = trailer;
                first = false;
            }
        }
        if first {
            return Err(corrupt("no startxref"));
        }
        Ok(())
    }

    /// One section: a classic table with its trailer, or an xref stream. Entries already
    /// known (from newer sections) win.
    fn read_xref_section(&mut self, off: usize) -> Result<Dict, ExtractError> {
        let mut lx = Lexer::new(self.data, off);
        lx.skip_ws();
        if self.data[lx.pos..].starts_with(b"xref") {
            lx.pos += 4;
            loop {
                let save = lx.pos;
                match lx.next() {
                    Ok(Tok::Int(start)) => {
                        let Ok(Tok::Int(count)) = lx.next() else {
                            return Err(corrupt("xref subsection"));
                        };
                        let start = u32::try_from(start).map_err(|_| corrupt("xref start"))?;
                        let count = u32::try_from(count).map_err(|_| corrupt("xref count"))?;
                        for i in 0..count {
                            let (Ok(Tok::Int(o)), Ok(Tok::Int(_g)), Ok(Tok::Kw(kind))) =
                                (lx.next(), lx.next(), lx.next())
                            else {
                                return Err(corrupt("xref entry"));
                            };
                            let Some(num) = start.checked_add(i) else {
                                break;
                            };
                            if kind == b"n"
                                && let Ok(o) = usize::try_from(o)
                            {
                                self.xref.entry(num).or_insert(Entry::Offset(o));
                            }
                        }
                    }
                    Ok(Tok::Kw(b"trailer")) => {
                        return match lx.object(self.max_depth) {
                            Ok(Obj::Dict(d)) => Ok(d),
                            Ok(_) => Err(corrupt("trailer is not a dictionary")),
                            Err(e) => Err(lex_err(e, "trailer")),
                        };
                    }
                    _ => {
                        let _ = save;
                        return Err(corrupt("xref table"));
                    }
                }
            }
        }
        // An xref stream: `n g obj << /Type /XRef ... >> stream`.
        let (num, obj) = self.parse_indirect_at(off, None)?;
        let Obj::Stream(s) = obj else {
            return Err(corrupt("startxref points at no xref"));
        };
        if s.dict.name(b"Type") != Some(b"XRef") {
            return Err(corrupt("xref stream without /Type /XRef"));
        }
        let _ = num;
        let data = self.decode(&s)?;
        let w: Vec<usize> = match s.dict.get(b"W") {
            Some(Obj::Array(a)) => a
                .iter()
                .map(|o| {
                    o.as_i64()
                        .and_then(|v| usize::try_from(v).ok())
                        .unwrap_or(0)
                        .min(8)
                })
                .collect(),
            _ => return Err(corrupt("xref stream /W")),
        };
        if w.len() < 3 {
            return Err(corrupt("xref stream /W"));
        }
        let row = w[0] + w[1] + w[2];
        if row == 0 {
            return Err(corrupt("xref stream /W"));
        }
        let size = s.dict.get(b"Size").and_then(Obj::as_i64).unwrap_or(0);
        let index: Vec<i64> = match s.dict.get(b"Index") {
            Some(Obj::Array(a)) => a.iter().filter_map(Obj::as_i64).collect(),
            _ => vec![0, size],
        };
        let read = |bytes: &[u8]| bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (Ok(start), Ok(count)) = (u32::try_from(pair[0]), u64::try_from(pair[1])) else {
                continue;
            };
            for i in 0..count {
                let Some(r) = rows.next() else { break };
                let ty = if w[0] == 0 { 1 } else { read(&r[..w[0]]) };
                let f2 = read(&r[w[0]..w[0] + w[1]]);
                let f3 = read(&r[w[0] + w[1]..row]);
                let Some(num) = u32::try_from(i).ok().and_then(|i| start.checked_add(i)) else {
                    break;
                };
                let entry = match ty {
                    1 => usize::try_from(f2).ok().map(Entry::Offset),
                    2 => match (u32::try_from(f2), u32::try_from(f3)) {
                        (Ok(a), Ok(b)) => Some(Entry::InStream(a, b)),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(e) = entry {
                    self.xref.entry(num).or_insert(e);
                }
            }
        }
        Ok(s.dict.clone())
    }

    fn scanned_offset(&mut self, num: u32) -> Option<usize> {
        if self.scanned.is_none() {
            self.scanned = Some(scan_headers(self.data));
        }
        self.scanned.as_ref().and_then(|m| m.get(&num).copied())
    }

    /// Rebuilds the table by finding every `n g obj` in the file (the last definition wins),
    /// and the trailer from the last `trailer` dictionary with a `/Root`, or from the catalog.
    fn rebuild(&mut self) -> Result<(), ExtractError> {
        self.rebuilt = true;
        self.xref.clear();
        self.cache.clear();
        self.objstms.clear();
        let data = self.data;
        let mut objstreams = Vec::new();
        let headers = match self.scanned.take() {
            Some(h) => h,
            None => scan_headers(data),
        };
        for (&num, &start) in &headers {
            self.xref.insert(num, Entry::Offset(start));
        }
        self.scanned = Some(headers);
        // Trailer dictionaries, last first.
        let mut trailer = None;
        let mut ends: Vec<usize> = memchr::memmem::find_iter(data, b"trailer").collect();
        ends.reverse();
        for at in ends.into_iter().take(64) {
            let mut lx = Lexer::new(data, at + 7);
            if let Ok(Obj::Dict(d)) = lx.object(self.max_depth)
                && d.get(b"Root").is_some()
            {
                trailer = Some(d);
                break;
            }
        }
        let mut nums: Vec<u32> = self.xref.keys().copied().collect();
        nums.sort_unstable();
        // Object streams: their objects count unless defined directly; xref streams may hold
        // the trailer keys.
        // Only objects that name these types near their start are parsed (a file of a million
        // objects is not read a million times over).
        let mentions = |start: usize, pat: &[u8]| {
            let end = start.saturating_add(4096).min(data.len());
            memchr::memmem::find(&data[start.min(end)..end], pat).is_some()
        };
        for &n in &nums {
            let Some(Entry::Offset(start)) = self.xref.get(&n).copied() else {
                continue;
            };
            if !(mentions(start, b"ObjStm") || mentions(start, b"XRef")) {
                continue;
            }
            if let Ok(Obj::Stream(s)) = self.get(n) {
                match s.dict.name(b"Type") {
                    Some(b"ObjStm") => objstreams.push(n),
                    Some(b"XRef") if trailer.is_none() && s.dict.get(b"Root").is_some() => {
                        trailer = Some(s.dict.clone());
                    }
                    _ => {}
                }
            }
        }
        for n in objstreams {
            if let Ok(stm) = self.objstm(n) {
                for (i, &(num, _)) in stm.offsets.iter().enumerate() {
                    let idx = u32::try_from(i).unwrap_or(u32::MAX);
                    self.xref.entry(num).or_insert(Entry::InStream(n, idx));
                }
            }
        }
        let mut trailer = trailer.unwrap_or_default();
        if trailer.get(b"Root").is_none() {
            let mut all: Vec<u32> = self.xref.keys().copied().collect();
            all.sort_unstable();
            for n in all {
                if let Some(Entry::Offset(start)) = self.xref.get(&n).copied()
                    && !mentions(start, b"Catalog")
                {
                    continue;
                }
                if let Ok(Obj::Dict(d)) = self.get(n)
                    && d.name(b"Type") == Some(b"Catalog")
                    && d.get(b"Pages").is_some()
                {
                    trailer.0.push((b"Root".to_vec(), Obj::Ref(n, 0)));
                    break;
                }
            }
        }
        if trailer.get(b"Root").is_none() {
            return Err(corrupt("no catalog found"));
        }
        self.trailer = trailer;
        Ok(())
    }

    /// Parses `n g obj ... endobj` at `off`; `expect` checks the number.
    fn parse_indirect_at(
        &mut self,
        off: usize,
        expect: Option<u32>,
    ) -> Result<(u32, Obj), ExtractError> {
        let data = self.data;
        let mut lx = Lexer::new(data, off);
        let (Ok(Tok::Int(n)), Ok(Tok::Int(_)), Ok(Tok::Kw(b"obj"))) =
            (lx.next(), lx.next(), lx.next())
        else {
            return Err(corrupt(format!("no object at {off}")));
        };
        let n = u32::try_from(n).map_err(|_| corrupt("object number"))?;
        if expect.is_some_and(|e| e != n) {
            return Err(corrupt(format!(
                "object {n} found where {expect:?} was expected"
            )));
        }
        let obj = lx
            .object(self.max_depth)
            .map_err(|e| lex_err(e, "object"))?;
        let Obj::Dict(dict) = obj else {
            return Ok((n, obj));
        };
        if !matches!(lx.next(), Ok(Tok::Kw(b"stream"))) {
            return Ok((n, Obj::Dict(dict)));
        }
        // The data starts after the EOL that follows `stream`.
        let mut start = lx.pos;
        if data.get(start) == Some(&b'\r') {
            start += 1;
        }
        if data.get(start) == Some(&b'\n') {
            start += 1;
        }
        let declared = match dict.get(b"Length") {
            Some(Obj::Int(l)) => usize::try_from(*l).ok(),
            Some(Obj::Ref(r, _)) if !self.resolving.contains(r) && Some(*r) != expect => {
                let r = *r;
                self.resolving.insert(n);
                let v = self.get(r).ok().and_then(|o| o.as_i64());
                self.resolving.remove(&n);
                v.and_then(|v| usize::try_from(v).ok())
            }
            _ => None,
        };
        let end = declared
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= data.len() && followed_by_endstream(data, end));
        let mut truncated = false;
        let end = match end {
            Some(e) => e,
            None => match memchr::memmem::find(&data[start..], b"endstream") {
                Some(at) => {
                    let mut e = start + at;
                    // Drop the EOL before `endstream`.
                    if e > start && data[e - 1] == b'\n' {
                        e -= 1;
                    }
                    if e > start && data[e - 1] == b'\r' {
                        e -= 1;
                    }
                    e
                }
                None => {
                    truncated = true;
                    data.len()
                }
            },
        };
        Ok((
            n,
            Obj::Stream(Rc::new(Stream {
                dict,
                start,
                end,
                truncated,
            })),
        ))
    }

    fn objstm(&mut self, num: u32) -> Result<Rc<ObjStm>, ExtractError> {
        if let Some(s) = self.objstms.get(&num) {
            return Ok(s.clone());
        }
        let Obj::Stream(s) = self.get(num)? else {
            return Err(corrupt("object stream is not a stream"));
        };
        let data = self.decode(&s)?;
        let n = s
            .dict
            .get(b"N")
            .and_then(Obj::as_i64)
            .unwrap_or(0)
            .clamp(0, 1_000_000) as usize;
        let first = s
            .dict
            .get(b"First")
            .and_then(Obj::as_i64)
            .unwrap_or(0)
            .max(0) as usize;
        let mut offsets = Vec::with_capacity(n.min(data.len() / 2 + 1));
        let mut lx = Lexer::new(&data, 0);
        for _ in 0..n {
            match (lx.next(), lx.next()) {
                (Ok(Tok::Int(a)), Ok(Tok::Int(b))) => {
                    if let (Ok(a), Ok(b)) = (u32::try_from(a), usize::try_from(b)) {
                        offsets.push((a, b));
                    }
                }
                _ => break,
            }
        }
        let stm = Rc::new(ObjStm {
            data,
            first,
            offsets,
        });
        self.objstms.insert(num, stm.clone());
        Ok(stm)
    }

    /// The object numbered `num`; a number the table lacks is `null`, as the format says.
    pub fn get(&mut self, num: u32) -> Result<Obj, ExtractError> {
        if let Some(o) = self.cache.get(&num) {
            return Ok(o.clone());
        }
        if !self.resolving.insert(num) {
            return Err(corrupt(format!("object {num} refers to itself")));
        }
        let res = self.load(num);
        self.resolving.remove(&num);
        let obj = res?;
        self.cache.insert(num, obj.clone());
        Ok(obj)
    }

    fn load(&mut self, num: u32) -> Result<Obj, ExtractError> {
        let Some(entry) = self.xref.get(&num).copied() else {
            // Null, as the format says; in a file whose table had to be rebuilt, a reference
            // to nothing means the object was cut off.
            if self.rebuilt {
                self.damaged = true;
            }
            return Ok(Obj::Null);
        };
        match entry {
            Entry::Offset(off) => match self.parse_indirect_at(off, Some(num)) {
                Ok((_, o)) => Ok(o),
                Err(ExtractError::TooDeep) => Err(ExtractError::TooDeep),
                Err(e) => {
                    // A wrong offset: look for the object where it really is (one scan of the
                    // file for all such objects).
                    match self.scanned_offset(num) {
                        Some(at) if at != off => {
                            self.parse_indirect_at(at, Some(num)).map(|(_, o)| o)
                        }
                        _ => Err(e),
                    }
                }
            },
            Entry::InStream(stm, idx) => {
                if stm == num {
                    return Err(corrupt("object stream contains itself"));
                }
                let s = self.objstm(stm)?;
                let Some(&(n, off)) = s.offsets.get(idx as usize) else {
                    return Ok(Obj::Null);
                };
                let (n, off) = if n == num {
                    (n, off)
                } else {
                    match s.offsets.iter().find(|(k, _)| *k == num) {
                        Some(&p) => p,
                        None => return Ok(Obj::Null),
                    }
                };
                let _ = n;
                let start = s.first.saturating_add(off);
                if start >= s.data.len() {
                    return Ok(Obj::Null);
                }
                let mut lx = Lexer::new(&s.data, start);
                lx.object(self.max_depth)
                    .map_err(|e| lex_err(e, "object in stream"))
            }
        }
    }

    /// Follows references (a bounded chain) to a direct object.
    pub fn resolve(&mut self, o: &Obj) -> Result<Obj, ExtractError> {
        let mut cur = o.clone();
        for _ in 0..32 {
            match cur {
                Obj::Ref(n, _) => cur = self.get(n)?,
                other => return Ok(other),
            }
        }
        Err(ExtractError::Cycle("reference chain too long".into()))
    }

    /// Like `resolve`, but a broken or missing object is noted as damage and read as null.
    pub fn resolve_lenient(&mut self, o: &Obj) -> Result<Obj, ExtractError> {
        match self.resolve(o) {
            Ok(v) => Ok(v),
            Err(
                e @ (ExtractError::TooBig(_) | ExtractError::TooDeep | ExtractError::TooComplex(_)),
            ) => Err(e),
            Err(_) => {
                self.damaged = true;
                Ok(Obj::Null)
            }
        }
    }

    /// A dictionary entry, resolved.
    pub fn get_in(&mut self, d: &Dict, key: &[u8]) -> Result<Obj, ExtractError> {
        match d.get(key) {
            Some(o) => self.resolve_lenient(o),
            None => Ok(Obj::Null),
        }
    }

    /// A stream's decoded data. Image filters yield `None`-like empty data (we never need
    /// pixels); an oversized result is a bomb.
    pub fn decode(&mut self, s: &Stream) -> Result<Vec<u8>, ExtractError> {
        if s.truncated {
            self.damaged = true;
        }
        let raw = self.data.get(s.start..s.end).unwrap_or(&[]);
        let filters: Vec<Vec<u8>> = match s.dict.get2(b"Filter", b"F") {
            Some(Obj::Name(n)) => vec![n.clone()],
            Some(Obj::Array(a)) => a
                .iter()
                .filter_map(|o| o.as_name().map(<[u8]>::to_vec))
                .collect(),
            Some(Obj::Ref(..)) => {
                let f = s.dict.get(b"Filter").cloned().unwrap_or(Obj::Null);
                match self.resolve_lenient(&f)? {
                    Obj::Name(n) => vec![n],
                    Obj::Array(a) => a
                        .iter()
                        .filter_map(|o| o.as_name().map(<[u8]>::to_vec))
                        .collect(),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        let parms: Vec<Option<Dict>> = match s.dict.get2(b"DecodeParms", b"DP") {
            Some(Obj::Dict(d)) => vec![Some(d.clone())],
            Some(Obj::Array(a)) => a
                .iter()
                .map(|o| match o {
                    Obj::Dict(d) => Some(d.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let remaining = self.total_cap.saturating_sub(self.inflated);
        let cap = self.stream_cap.min(remaining);
        let mut cur: Vec<u8> = raw.to_vec();
        for (i, f) in filters.iter().enumerate() {
            let parm = parms.get(i).and_then(Option::as_ref);
            cur = match f.as_slice() {
                b"FlateDecode" | b"Fl" => predict(inflate(&cur, cap)?, parm, cap)?,
                b"LZWDecode" | b"LZW" => {
                    let early = parm
                        .and_then(|p| p.get(b"EarlyChange"))
                        .and_then(Obj::as_i64)
                        .unwrap_or(1);
                    predict(lzw(&cur, early != 0, cap)?, parm, cap)?
                }
                b"ASCIIHexDecode" | b"AHx" => ascii_hex(&cur),
                b"ASCII85Decode" | b"A85" => ascii85(&cur),
                b"RunLengthDecode" | b"RL" => run_length(&cur, cap)?,
                b"Crypt" => cur,
                // DCT, JPX, CCITT, JBIG2: pixels, never text.
                _ => return Ok(Vec::new()),
            };
        }
        self.inflated = self.inflated.saturating_add(cur.len() as u64);
        if cur.len() as u64 > cap || self.inflated > self.total_cap {
            return Err(ExtractError::TooBig(format!(
                "streams inflate past {} bytes",
                self.total_cap
            )));
        }
        Ok(cur)
    }
}

/// Every `n g obj` header in the file: number -> offset (the last definition wins).
fn scan_headers(data: &[u8]) -> HashMap<u32, usize> {
    let mut out = HashMap::new();
    for at in memchr::memmem::find_iter(data, b"obj") {
        // `obj` followed by a delimiter, preceded by `n g `.
        if data
            .get(at + 3)
            .is_some_and(|&b| !(is_white(b) || matches!(b, b'<' | b'[' | b'/' | b'(' | b'%')))
        {
            continue;
        }
        if let Some((num, start)) = back_to_header(data, at) {
            out.insert(num, start);
        }
    }
    out
}

fn followed_by_endstream(data: &[u8], end: usize) -> bool {
    let mut i = end;
    while i < data.len() && i < end + 4 && is_white(data[i]) {
        i += 1;
    }
    data.get(i..).is_some_and(|r| r.starts_with(b"endstream"))
}

/// From an `obj` keyword at `at`, back over `n g ` to the object's start: (n, offset).
fn back_to_header(data: &[u8], at: usize) -> Option<(u32, usize)> {
    let mut i = at;
    let skip_ws = |i: &mut usize| {
        while *i > 0 && is_white(data[*i - 1]) {
            *i -= 1;
        }
    };
    let digits = |i: &mut usize| -> Option<(usize, usize)> {
        let end = *i;
        while *i > 0 && data[*i - 1].is_ascii_digit() && end - *i < 10 {
            *i -= 1;
        }
        (*i < end).then_some((*i, end))
    };
    let ws_end = i;
    skip_ws(&mut i);
    if i == ws_end {
        return None;
    }
    digits(&mut i)?;
    let ws_end = i;
    skip_ws(&mut i);
    if i == ws_end {
        return None;
    }
    let (s, e) = digits(&mut i)?;
    if i > 0 && !(is_white(data[i - 1]) || matches!(data[i - 1], b'>' | b']' | b')')) {
        return None;
    }
    let num: u32 = std::str::from_utf8(&data[s..e]).ok()?.parse().ok()?;
    Some((num, s))
}

/// Inflates zlib (or raw deflate) data, keeping what decoded before any error (many PDFs end
/// their streams badly), and failing once the output passes `cap`.
pub(crate) fn inflate(data: &[u8], cap: u64) -> Result<Vec<u8>, ExtractError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let zlib = data.len() >= 2
        && data[0] & 0x0F == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    let mut d = Decompress::new(zlib);
    let limit = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out: Vec<u8> = Vec::with_capacity(
        data.len()
            .saturating_mul(4)
            .clamp(64, 1 << 20)
            .min(limit.saturating_add(1)),
    );
    loop {
        if out.len() == out.capacity() {
            if out.len() > limit {
                break;
            }
            // Grow by doubling (up to 16 MiB a step), never past one byte over the cap.
            let room = limit.saturating_add(1).saturating_sub(out.len());
            let more = out.len().clamp(4096, 16 << 20).min(room).max(1);
            out.reserve_exact(more);
        }
        let in_before = d.total_in();
        let out_before = d.total_out();
        let consumed = usize::try_from(in_before)
            .unwrap_or(usize::MAX)
            .min(data.len());
        match d.decompress_vec(&data[consumed..], &mut out, FlushDecompress::None) {
            Ok(Status::StreamEnd) => break,
            Ok(_) => {
                if d.total_in() == in_before && d.total_out() == out_before {
                    // No progress: input exhausted (truncated stream), or an output buffer
                    // that is full (handled above on the next turn).
                    if out.len() < out.capacity() {
                        break;
                    }
                }
            }
            Err(_) => break,
        }
        if out.len() > limit {
            break;
        }
    }
    if out.len() > limit {
        return Err(ExtractError::TooBig(format!(
            "a stream inflates past {cap} bytes"
        )));
    }
    Ok(out)
}

/// PNG (10..15) and TIFF (2) predictors, as xref streams use them.
fn predict(data: Vec<u8>, parm: Option<&Dict>, cap: u64) -> Result<Vec<u8>, ExtractError> {
    let Some(p) = parm else { return Ok(data) };
    let predictor = p.get(b"Predictor").and_then(Obj::as_i64).unwrap_or(1);
    if predictor < 2 {
        return Ok(data);
    }
    let colors = p
        .get(b"Colors")
        .and_then(Obj::as_i64)
        .unwrap_or(1)
        .clamp(1, 32) as usize;
    let bpc = p
        .get(b"BitsPerComponent")
        .and_then(Obj::as_i64)
        .unwrap_or(8)
        .clamp(1, 16) as usize;
    let columns = p
        .get(b"Columns")
        .and_then(Obj::as_i64)
        .unwrap_or(1)
        .clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    // A row longer than the data is a lie; do not allocate for it.
    let row_len = (colors * bpc * columns).div_ceil(8).min(data.len().max(1));
    if predictor == 2 {
        if bpc != 8 {
            return Ok(data);
        }
        let mut out = data;
        for row in out.chunks_mut(row_len.max(1)) {
            for i in bpp..row.len() {
                row[i] = row[i].wrapping_add(row[i - bpp]);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&ty, row)) = chunk.split_first() else {
            break;
        };
        let mut cur = row.to_vec();
        cur.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { cur[i - bpp] } else { 0 };
            let up = prev[i];
            let ul = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match ty {
                1 => cur[i].wrapping_add(left),
                2 => cur[i].wrapping_add(up),
                3 => cur[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => {
                    let pa = (i16::from(up) - i16::from(ul)).abs();
                    let pb = (i16::from(left) - i16::from(ul)).abs();
                    let pc = (i16::from(left) + i16::from(up) - 2 * i16::from(ul)).abs();
                    let pred = if pa <= pb && pa <= pc {
                        left
                    } else if pb <= pc {
                        up
                    } else {
                        ul
                    };
                    cur[i].wrapping_add(pred)
                }
                _ => cur[i],
            };
        }
        out.extend_from_slice(&cur);
        if out.len() as u64 > cap {
            return Err(ExtractError::TooBig("predictor output".into()));
        }
        prev = cur;
    }
    Ok(out)
}

fn lzw(data: &[u8], early: bool, cap: u64) -> Result<Vec<u8>, ExtractError> {
    let mut out: Vec<u8> = Vec::new();
    let mut dict: Vec<Vec<u8>> = Vec::new();
    let reset = |dict: &mut Vec<Vec<u8>>| {
        dict.clear();
        for i in 0..256u16 {
            dict.push(vec![i as u8]);
        }
        dict.push(Vec::new());
        dict.push(Vec::new());
    };
    reset(&mut dict);
    let mut width = 9u32;
    let mut bitbuf: u32 = 0;
    let mut bits = 0u32;
    let mut prev: Option<usize> = None;
    for &b in data {
        bitbuf = bitbuf << 8 | u32::from(b);
        bits += 8;
        while bits >= width {
            let code = ((bitbuf >> (bits - width)) & ((1 << width) - 1)) as usize;
            bits -= width;
            bitbuf &= (1u32 << bits).wrapping_sub(1);
            match code {
                256 => {
                    reset(&mut dict);
                    width = 9;
                    prev = None;
                    continue;
                }
                257 => return Ok(out),
                _ => {}
            }
            let entry = if code < dict.len() {
                dict[code].clone()
            } else if let Some(p) = prev {
                let mut e = dict[p].clone();
                let first = e.first().copied().unwrap_or(0);
                e.push(first);
                e
            } else {
                return Ok(out);
            };
            out.extend_from_slice(&entry);
            if out.len() as u64 > cap {
                return Err(ExtractError::TooBig("LZW output".into()));
            }
            if let Some(p) = prev
                && dict.len() < 4096
            {
                let mut e = dict[p].clone();
                e.push(entry.first().copied().unwrap_or(0));
                dict.push(e);
            }
            prev = Some(code.min(dict.len() - 1));
            let threshold = dict.len() + usize::from(early);
            width = if threshold >= 2048 {
                12
            } else if threshold >= 1024 {
                11
            } else if threshold >= 512 {
                10
            } else {
                9
            };
        }
    }
    Ok(out)
}

fn ascii_hex(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2);
    let mut half: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => continue,
        };
        match half.take() {
            Some(h) => out.push(h << 4 | v),
            None => half = Some(v),
        }
    }
    if let Some(h) = half {
        out.push(h << 4);
    }
    out
}

fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4 / 5);
    let mut group = [0u8; 5];
    let mut n = 0;
    let body = data.strip_prefix(b"<~").unwrap_or(data);
    for &c in body {
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |a, &d| a * 85 + u64::from(d));
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        let v = group.iter().fold(0u64, |a, &d| a * 85 + u64::from(d));
        out.extend_from_slice(&(v as u32).to_be_bytes()[..n - 1]);
    }
    out
}

fn run_length(data: &[u8], cap: u64) -> Result<Vec<u8>, ExtractError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let l = data[i];
        i += 1;
        match l {
            0..=127 => {
                let n = usize::from(l) + 1;
                let end = (i + n).min(data.len());
                out.extend_from_slice(&data[i..end]);
                i = end;
            }
            128 => break,
            _ => {
                let Some(&b) = data.get(i) else { break };
                i += 1;
                out.extend(std::iter::repeat_n(b, 257 - usize::from(l)));
            }
        }
        if out.len() as u64 > cap {
            return Err(ExtractError::TooBig("RunLength output".into()));
        }
    }
    Ok(out)
}
