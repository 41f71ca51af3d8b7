//! A pull reader over quick-xml for the OOXML parts: local names only (the prefixes `w:`, `a:`,
//! `r:` are conventional), entities resolved (the five predefined ones and character
//! references; no DTD is ever expanded), and a cap on element nesting so 100k levels of
//! `<a><a><a>` are refused at the cap instead of growing the caller's stacks.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::ExtractError;

pub(crate) enum Ev<'a> {
    /// An element opens (`empty` when it is `<x/>`; no `End` follows then).
    Start(Tag<'a>),
    /// An element closes.
    End(String),
    /// Character data (entities resolved).
    Text(Cow<'a, str>),
    Eof,
}

pub(crate) struct Tag<'a> {
    start: BytesStart<'a>,
    pub empty: bool,
}

impl<'a> Tag<'a> {
    /// The local name (`p` for `w:p`).
    pub fn name(&self) -> &str {
        local(self.start.name().0)
    }

    /// The value of the attribute with this local name (`val` finds `w:val`).
    pub fn attr(&self, name: &str) -> Option<String> {
        for a in self.start.attributes().with_checks(false).flatten() {
            if local(a.key.0) == name {
                return Some(
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(Cow::into_owned)
                        .unwrap_or_else(|_| a.value.into_owned()),
                );
            }
        }
        None
    }

    /// The attribute with this exact qualified name (`r:id` as opposed to `w:id`).
    pub fn attr_q(&self, qname: &str) -> Option<String> {
        for a in self.start.attributes().with_checks(false).flatten() {
            if a.key.0 == qname {
                return Some(
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(Cow::into_owned)
                        .unwrap_or_else(|_| a.value.into_owned()),
                );
            }
        }
        None
    }

    /// A WordprocessingML on/off property: present and not `0`/`false`/`off`.
    pub fn on(&self) -> bool {
        !matches!(
            self.attr("val").as_deref(),
            Some("0") | Some("false") | Some("off") | Some("none")
        )
    }
}

fn local(qname: &str) -> &str {
    match qname.rfind(':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

pub(crate) struct Xml<'a> {
    reader: Reader<&'a [u8]>,
    depth: usize,
    max_depth: usize,
    format: &'static str,
}

impl<'a> Xml<'a> {
    pub fn new(text: &'a str, max_depth: usize, format: &'static str) -> Self {
        let mut reader = Reader::from_str(text);
        let cfg = reader.config_mut();
        cfg.check_end_names = false;
        cfg.allow_unmatched_ends = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text_start = false;
        cfg.trim_text_end = false;
        Xml {
            reader,
            depth: 0,
            max_depth,
            format,
        }
    }

    /// The current nesting depth.
    #[allow(dead_code)]
    pub fn depth(&self) -> usize {
        self.depth
    }

    pub fn next(&mut self) -> Result<Ev<'a>, ExtractError> {
        loop {
            let ev = match self.reader.read_event() {
                Ok(ev) => ev,
                Err(e) => {
                    let detail = format!("XML error at {}: {e}", self.reader.buffer_position());
                    return Err(if self.format == "docx" {
                        ExtractError::DocxCorrupt(detail)
                    } else {
                        ExtractError::Corrupt(detail)
                    });
                }
            };
            return Ok(match ev {
                Event::Start(start) => {
                    self.depth += 1;
                    if self.depth > self.max_depth {
                        return Err(ExtractError::TooDeep);
                    }
                    Ev::Start(Tag {
                        start,
                        empty: false,
                    })
                }
                Event::Empty(start) => Ev::Start(Tag { start, empty: true }),
                Event::End(end) => {
                    self.depth = self.depth.saturating_sub(1);
                    Ev::End(local(end.name().0).to_owned())
                }
                Event::Text(t) => Ev::Text(t.into_inner()),
                Event::CData(t) => Ev::Text(t.into_inner()),
                Event::GeneralRef(r) => {
                    let s: Cow<'a, str> = match r.resolve_char_ref() {
                        Ok(Some(c)) => Cow::Owned(c.to_string()),
                        _ => match &*r {
                            "amp" => Cow::Borrowed("&"),
                            "lt" => Cow::Borrowed("<"),
                            "gt" => Cow::Borrowed(">"),
                            "quot" => Cow::Borrowed("\""),
                            "apos" => Cow::Borrowed("'"),
                            _ => continue,
                        },
                    };
                    Ev::Text(s)
                }
                Event::Eof => Ev::Eof,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            });
        }
    }

    /// Skips to the end of the element just opened (a non-empty `Start`).
    pub fn skip(&mut self) -> Result<(), ExtractError> {
        let target = self.depth.saturating_sub(1);
        loop {
            match self.next()? {
                Ev::End(_) if self.depth <= target => return Ok(()),
                Ev::Eof => return Ok(()),
                _ => {}
            }
        }
    }
}

/// An XML part's bytes as text: UTF-8 (BOM or not) or UTF-16 with a BOM, as Office writes them.
pub(crate) fn part_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let mut s = super::decode_text(bytes);
        // The declaration still says UTF-16; quick-xml reads text, so drop it.
        if s.starts_with("<?xml")
            && let Some(end) = s.find("?>")
        {
            s.replace_range(..end + 2, "");
        }
        return Cow::Owned(s);
    }
    String::from_utf8_lossy(bytes)
}
