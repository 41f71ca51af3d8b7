//! Snippets and highlighted titles without re-tokenizing the stored text.
//!
//! The query's surface words (and synonyms, stems) are found in the stored text with one
//! ASCII-case-insensitive Aho-Corasick pass; the window of about [`SNIPPET_CHARS`] characters
//! holding the most distinct concepts wins. Output is HTML-escaped with matches in `<mark>`.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Target snippet length in characters (not bytes).
pub const SNIPPET_CHARS: usize = 120;
/// Characters of context shown before the first match of the window.
const LEAD_CHARS: usize = 20;
/// Stop scanning after this many matches (bounds the work on huge bodies).
const MAX_MATCHES: usize = 400;
/// Only the first this many bytes of a body are scanned for matches.
const MAX_SCAN_BYTES: usize = 64 * 1024;

/// A compiled highlighter for one query.
#[derive(Debug, Clone)]
pub struct Highlighter {
    ac: Option<AhoCorasick>,
    /// The patterns, ASCII lower-cased, in the order of `concept_of`.
    lower: Vec<String>,
    /// Concept id of each pattern.
    concept_of: Vec<usize>,
    num_concepts: usize,
}

impl Highlighter {
    /// Builds a highlighter from `(pattern, concept)` pairs. Empty patterns are ignored.
    pub fn new(patterns: Vec<(String, usize)>) -> Self {
        let mut pats: Vec<String> = Vec::new();
        let mut concept_of = Vec::new();
        let mut num_concepts = 0;
        for (p, c) in patterns {
            let p = p.trim().to_string();
            if p.is_empty() || pats.contains(&p) {
                continue;
            }
            num_concepts = num_concepts.max(c + 1);
            pats.push(p);
            concept_of.push(c);
        }
        let ac = if pats.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                // A DFA takes longer to build than the few snippet-sized texts a search scans
                // with it take to search (section matching finds each pattern on its own).
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&pats)
                .ok()
        };
        Highlighter {
            ac,
            lower: pats.iter().map(|p| p.to_ascii_lowercase()).collect(),
            concept_of,
            num_concepts,
        }
    }

    fn matches(&self, text: &str, limit: usize) -> Vec<(usize, usize, usize)> {
        let Some(ac) = &self.ac else {
            return Vec::new();
        };
        ac.find_iter(text)
            .filter(|m| is_word_boundary(text, m.start(), m.end()))
            .take(limit)
            .map(|m| (m.start(), m.end(), self.concept_of[m.pattern().as_usize()]))
            .collect()
    }

    /// Matches in `text` as (start byte, end byte, concept), in order, at most `limit`; only the
    /// first `max_bytes` bytes are scanned.
    pub(crate) fn concept_matches(
        &self,
        text: &str,
        max_bytes: usize,
        limit: usize,
    ) -> Vec<(usize, usize, usize)> {
        let mut end = text.len().min(max_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        self.matches(&text[..end], limit)
    }

    /// The patterns (ASCII lower-cased) with their concepts.
    pub(crate) fn patterns(&self) -> impl Iterator<Item = (&str, usize)> {
        self.lower
            .iter()
            .map(String::as_str)
            .zip(self.concept_of.iter().copied())
    }

    /// The whole `text`, HTML-escaped, with matches in `<mark>`.
    pub fn highlight_all(&self, text: &str) -> String {
        let ms = self.matches(text, usize::MAX);
        render(text, 0, text.len(), &ms, false, false)
    }

    /// A snippet of about [`SNIPPET_CHARS`] characters around the best matches in `body`;
    /// the beginning of `body` when nothing matches.
    pub fn snippet(&self, body: &str) -> String {
        let mut scan_end = body.len().min(MAX_SCAN_BYTES);
        while !body.is_char_boundary(scan_end) {
            scan_end -= 1;
        }
        let ms = self.matches(&body[..scan_end], MAX_MATCHES);
        if ms.is_empty() {
            let end = byte_after_chars(body, 0, SNIPPET_CHARS);
            return render(body, 0, end, &[], false, end < body.len());
        }
        // Char index of each match start, computed incrementally.
        let mut char_pos = Vec::with_capacity(ms.len());
        let mut last_byte = 0;
        let mut last_char = 0;
        for &(s, _, _) in &ms {
            last_char += body[last_byte..s].chars().count();
            last_byte = s;
            char_pos.push(last_char);
        }
        // Best window: most distinct concepts, then most matches; two pointers.
        let window = SNIPPET_CHARS - LEAD_CHARS;
        let mut counts = vec![0usize; self.num_concepts.max(1)];
        let mut distinct = 0;
        let mut best = (0usize, 0usize, 0usize); // (distinct, matches, start index)
        let mut j = 0;
        for i in 0..ms.len() {
            while j < ms.len() && char_pos[j] < char_pos[i] + window {
                let c = ms[j].2;
                if counts[c] == 0 {
                    distinct += 1;
                }
                counts[c] += 1;
                j += 1;
            }
            if (distinct, j - i) > (best.0, best.1) {
                best = (distinct, j - i, i);
                if distinct == self.num_concepts && j - i >= 3 {
                    break;
                }
            }
            let c = ms[i].2;
            counts[c] -= 1;
            if counts[c] == 0 {
                distinct -= 1;
            }
        }
        let first = ms[best.2].0;
        // Back up LEAD_CHARS characters, but not past a line start (a natural cut).
        let mut start = first;
        for (back, (idx, ch)) in body[..first].char_indices().rev().enumerate() {
            if back >= LEAD_CHARS || ch == '\n' {
                break;
            }
            start = idx;
        }
        let end = byte_after_chars(body, start, SNIPPET_CHARS);
        if end == body.len() {
            // Near the end of the body: show more context before rather than a short snippet.
            let deficit = SNIPPET_CHARS.saturating_sub(body[start..end].chars().count());
            if let Some((idx, _)) = body[..start].char_indices().rev().take(deficit).last() {
                start = idx;
            }
        }
        render(body, start, end, &ms, start > 0, end < body.len())
    }
}

/// ASCII words must match whole (at least at their start and end), so `log` does not light up
/// inside `catalog`; CJK has no such boundaries.
pub(crate) fn is_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let starts_word = b[start].is_ascii_alphanumeric();
    let ends_word = b[end - 1].is_ascii_alphanumeric();
    let before_ok = !starts_word || start == 0 || !b[start - 1].is_ascii_alphanumeric();
    // Allow English suffixes after a stem (upgrad → upgrade, upgrading).
    let after_ok = !ends_word || end == b.len() || !b[end].is_ascii_digit();
    before_ok && after_ok
}

fn byte_after_chars(text: &str, start: usize, n: usize) -> usize {
    text[start..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| start + i)
}

/// Escapes `text[start..end]`, wrapping the given matches (sorted, non-overlapping) in `<mark>`;
/// whitespace runs collapse to one space.
fn render(
    text: &str,
    start: usize,
    end: usize,
    matches: &[(usize, usize, usize)],
    lead: bool,
    trail: bool,
) -> String {
    let mut out = String::with_capacity((end - start) + 64);
    if lead {
        out.push('…');
    }
    let mut pos = start;
    let mut last_space = false;
    for &(ms, me, _) in matches {
        if me <= start || ms < pos {
            continue;
        }
        if ms >= end {
            break;
        }
        let me = me.min(end);
        escape_into(&mut out, &text[pos..ms], &mut last_space);
        out.push_str("<mark>");
        escape_into(&mut out, &text[ms..me], &mut last_space);
        out.push_str("</mark>");
        last_space = false;
        pos = me;
    }
    if pos < end {
        escape_into(&mut out, &text[pos..end], &mut last_space);
    }
    if trail {
        out.push('…');
    }
    out
}

/// HTML-escapes `s` into `out`.
pub fn escape_into(out: &mut String, s: &str, last_space: &mut bool) {
    for c in s.chars() {
        if c.is_whitespace() {
            if !*last_space {
                out.push(' ');
            }
            *last_space = true;
            continue;
        }
        *last_space = false;
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

/// HTML-escapes `s`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut sp = false;
    escape_into(&mut out, s, &mut sp);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hl(words: &[&str]) -> Highlighter {
        Highlighter::new(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.to_string(), i))
                .collect(),
        )
    }

    #[test]
    fn marks_and_escapes() {
        let h = hl(&["升级", "tidb"]);
        let s = h.snippet("如何升级 TiDB & 其他 <script>alert(1)</script>");
        assert!(s.contains("<mark>升级</mark>"), "{s}");
        assert!(s.contains("<mark>TiDB</mark>"), "{s}");
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(s.contains("&amp;"), "{s}");
    }

    #[test]
    fn length_in_chars() {
        let body = "无关内容。".repeat(200) + "这里讲如何扩容集群" + &"尾巴。".repeat(200);
        let h = hl(&["扩容", "集群"]);
        let s = h.snippet(&body);
        let plain = s.replace("<mark>", "").replace("</mark>", "");
        let n = plain.chars().count();
        assert!((100..=125).contains(&n), "{n}: {s}");
        assert!(s.contains("<mark>扩容</mark>"));
    }

    #[test]
    fn match_near_the_end_keeps_full_length() {
        let body = "开头内容。".repeat(100) + "结尾讲扩容";
        let s = hl(&["扩容"]).snippet(&body);
        let n = s
            .replace("<mark>", "")
            .replace("</mark>", "")
            .chars()
            .count();
        assert!(n >= 115, "{n}: {s}");
        assert!(s.ends_with("<mark>扩容</mark>"), "{s}");
    }

    #[test]
    fn no_match_uses_beginning() {
        let h = hl(&["不存在"]);
        assert_eq!(h.snippet("短文本"), "短文本");
        let h = hl(&[]);
        assert_eq!(h.highlight_all("a<b"), "a&lt;b");
    }

    #[test]
    fn ascii_word_start_boundary() {
        let h = hl(&["log"]);
        assert_eq!(
            h.highlight_all("catalog log logs"),
            "catalog <mark>log</mark> <mark>log</mark>s"
        );
    }
}
