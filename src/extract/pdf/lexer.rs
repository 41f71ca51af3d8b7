//! PDF tokens and objects (ISO 32000-1 §7.2-7.3), read from bytes that may be anything: every
//! index is checked, numbers saturate, nesting is capped.

use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32, u16),
    Stream(Rc<Stream>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dict(pub Vec<(Vec<u8>, Obj)>);

impl Dict {
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The first of several keys present (full and abbreviated names, as in inline images).
    pub fn get2(&self, a: &[u8], b: &[u8]) -> Option<&Obj> {
        self.get(a).or_else(|| self.get(b))
    }

    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Obj::Name(n)) => Some(n),
            _ => None,
        }
    }
}

/// A stream: its dictionary and where its (still encoded) data lies in the file.
#[derive(Debug, PartialEq)]
pub(crate) struct Stream {
    pub dict: Dict,
    pub start: usize,
    pub end: usize,
    /// No `endstream` before the end of the file: the data runs to the end.
    pub truncated: bool,
}

impl Obj {
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Obj::Int(i) => Some(i as f64),
            Obj::Real(r) if r.is_finite() => Some(r),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Obj::Int(i) => Some(i),
            Obj::Real(r) if r.is_finite() => Some(r as i64),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            Obj::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
}

pub(crate) fn is_white(b: u8) -> bool {
    matches!(b, 0 | 9 | 10 | 12 | 13 | 32)
}

pub(crate) fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(b: u8) -> bool {
    !is_white(b) && !is_delim(b)
}

/// One token.
#[derive(Debug, PartialEq)]
pub(crate) enum Tok<'a> {
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    /// `true`, `obj`, `Tj`: any run of regular characters that is not a number.
    Kw(&'a [u8]),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// A stray delimiter (`)`, `>`, `{`, `}`): skipped by readers.
    Other,
}

#[derive(Debug)]
pub(crate) enum LexError {
    Eof,
    TooDeep,
    /// An array or dictionary with more items than any real file has.
    TooLarge,
    Syntax(usize),
}

/// Items in one array (a page tree's `/Kids`, a CID font's `/W`): real files stay far below.
const MAX_ITEMS: usize = 1 << 21;

pub(crate) struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

fn hexval(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer {
            data,
            pos: pos.min(data.len()),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    pub fn next(&mut self) -> Result<Tok<'a>, LexError> {
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(LexError::Eof);
        };
        match b {
            b'/' => {
                self.pos += 1;
                let mut name = Vec::new();
                while let Some(c) = self.peek() {
                    if !is_regular(c) {
                        break;
                    }
                    if c == b'#' {
                        let h = self.data.get(self.pos + 1).copied().and_then(hexval);
                        let l = self.data.get(self.pos + 2).copied().and_then(hexval);
                        if let (Some(h), Some(l)) = (h, l) {
                            name.push(h << 4 | l);
                            self.pos += 3;
                            continue;
                        }
                    }
                    name.push(c);
                    self.pos += 1;
                }
                Ok(Tok::Name(name))
            }
            b'(' => {
                self.pos += 1;
                Ok(Tok::Str(self.literal()))
            }
            b'<' => {
                if self.data.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    return Ok(Tok::DictOpen);
                }
                self.pos += 1;
                let mut out = Vec::new();
                let mut half: Option<u8> = None;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    if c == b'>' {
                        break;
                    }
                    if let Some(v) = hexval(c) {
                        match half.take() {
                            Some(h) => out.push(h << 4 | v),
                            None => half = Some(v),
                        }
                    }
                }
                if let Some(h) = half {
                    out.push(h << 4);
                }
                Ok(Tok::Str(out))
            }
            b'>' => {
                if self.data.get(self.pos + 1) == Some(&b'>') {
                    self.pos += 2;
                    return Ok(Tok::DictClose);
                }
                self.pos += 1;
                Ok(Tok::Other)
            }
            b'[' => {
                self.pos += 1;
                Ok(Tok::ArrayOpen)
            }
            b']' => {
                self.pos += 1;
                Ok(Tok::ArrayClose)
            }
            b')' | b'{' | b'}' => {
                self.pos += 1;
                Ok(Tok::Other)
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if !is_regular(c) {
                        break;
                    }
                    self.pos += 1;
                }
                let word = &self.data[start..self.pos];
                Ok(number(word).unwrap_or(Tok::Kw(word)))
            }
        }
    }

    /// A literal string after its `(`: balanced parentheses, escapes, octal codes.
    fn literal(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xFF) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Reads one object. References (`1 0 R`) are recognised by looking ahead.
    pub fn object(&mut self, max_depth: usize) -> Result<Obj, LexError> {
        let tok = self.next()?;
        self.object_from(tok, max_depth, 0)
    }

    /// Reads the rest of an object whose first token was already read.
    pub fn object_after(&mut self, tok: Tok<'a>, max_depth: usize) -> Result<Obj, LexError> {
        self.object_from(tok, max_depth, 0)
    }

    fn object_from(
        &mut self,
        tok: Tok<'a>,
        max_depth: usize,
        depth: usize,
    ) -> Result<Obj, LexError> {
        if depth > max_depth {
            return Err(LexError::TooDeep);
        }
        Ok(match tok {
            Tok::Int(i) => {
                // `n g R`?
                let save = self.pos;
                if let (Ok(num), Ok(gen_)) = (u32::try_from(i), self.next())
                    && let Tok::Int(g) = gen_
                    && let Ok(Tok::Kw(b"R")) = self.next()
                    && let Ok(g) = u16::try_from(g)
                {
                    return Ok(Obj::Ref(num, g));
                }
                self.pos = save;
                Obj::Int(i)
            }
            Tok::Real(r) => Obj::Real(r),
            Tok::Name(n) => Obj::Name(n),
            Tok::Str(s) => Obj::Str(s),
            Tok::Kw(b"true") => Obj::Bool(true),
            Tok::Kw(b"false") => Obj::Bool(false),
            Tok::Kw(b"null") => Obj::Null,
            Tok::Kw(_) | Tok::Other => return Err(LexError::Syntax(self.pos)),
            Tok::ArrayClose | Tok::DictClose => return Err(LexError::Syntax(self.pos)),
            Tok::ArrayOpen => {
                let mut items = Vec::new();
                loop {
                    let t = self.next()?;
                    match t {
                        Tok::ArrayClose => break,
                        Tok::DictClose => return Err(LexError::Syntax(self.pos)),
                        // Some writers leave junk in arrays; a keyword ends the array there.
                        Tok::Kw(k) if !matches!(k, b"true" | b"false" | b"null") => {
                            return Err(LexError::Syntax(self.pos));
                        }
                        t => items.push(self.object_from(t, max_depth, depth + 1)?),
                    }
                    if items.len() > MAX_ITEMS {
                        return Err(LexError::TooLarge);
                    }
                }
                Obj::Array(items)
            }
            Tok::DictOpen => {
                let mut d = Vec::new();
                loop {
                    let t = self.next()?;
                    match t {
                        Tok::DictClose => break,
                        Tok::Name(k) => {
                            let vt = self.next()?;
                            if vt == Tok::DictClose {
                                d.push((k, Obj::Null));
                                break;
                            }
                            let v = self.object_from(vt, max_depth, depth + 1)?;
                            d.push((k, v));
                            if d.len() > MAX_ITEMS / 16 {
                                return Err(LexError::TooLarge);
                            }
                        }
                        // A key that is not a name: skip it.
                        Tok::Other => {}
                        _ => return Err(LexError::Syntax(self.pos)),
                    }
                }
                Obj::Dict(Dict(d))
            }
        })
    }
}

/// `123`, `-4`, `+.5`, `3.`, `-0.002`: a PDF number. Integers that overflow i64 become reals.
fn number(word: &[u8]) -> Option<Tok<'static>> {
    let (neg, digits) = match word.first()? {
        b'-' => (true, &word[1..]),
        b'+' => (false, &word[1..]),
        _ => (false, word),
    };
    if digits.is_empty() {
        return None;
    }
    let mut int: i64 = 0;
    let mut overflow = false;
    let mut seen_dot = false;
    let mut frac = 0f64;
    let mut scale = 1f64;
    let mut any_digit = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                let d = i64::from(c - b'0');
                if seen_dot {
                    scale /= 10.0;
                    frac += d as f64 * scale;
                } else {
                    match int.checked_mul(10).and_then(|v| v.checked_add(d)) {
                        Some(v) => int = v,
                        None => overflow = true,
                    }
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            // `1-2` or `0.0.0`: seen in broken files; read the prefix as the number.
            b'-' if any_digit => break,
            _ => return None,
        }
    }
    if !any_digit {
        return None;
    }
    if !seen_dot && !overflow {
        return Some(Tok::Int(if neg { -int } else { int }));
    }
    let v = if overflow {
        f64::MAX
    } else {
        int as f64 + frac
    };
    Some(Tok::Real(if neg { -v } else { v }))
}
