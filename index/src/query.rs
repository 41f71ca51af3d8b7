//! The user query language, parsed by hand.
//!
//! ```text
//! plain words   "exact phrase"   -exclude   -"excluded phrase"
//! #tag  tag:x   space:NAME_OR_ID   category:NAME   author:username
//! type:doc|record   before:YYYY-MM-DD   after:YYYY-MM-DD
//! ```
//!
//! Lenient by design: unbalanced quotes close at the end, control characters are stripped,
//! emoji and punctuation are ignored by the analyzer, input longer than [`MAX_QUERY_CHARS`]
//! characters is truncated. Only a malformed date or an unknown `type:` is an error.
//! A command-line option (`--installed`, `-n`) is a word, not an exclusion.
//! `after:D` includes the day `D`; `before:D` excludes it (`updated_at < D 00:00 UTC`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::QueryError;

/// Queries are truncated to this many characters.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Document kind filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    /// `type:doc`
    Doc,
    /// `type:record`
    Record,
    /// `type:attachment`: documents with an attachment whose text is indexed.
    Attachment,
}

impl KindFilter {
    /// The `kind` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            KindFilter::Doc => "doc",
            KindFilter::Record => "record",
            KindFilter::Attachment => "attachment",
        }
    }
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedQuery {
    /// Free text (words outside quotes and operators), joined with spaces.
    pub text: String,
    /// Required phrases.
    pub phrases: Vec<String>,
    /// Excluded words or phrases.
    pub excludes: Vec<String>,
    /// `#tag` / `tag:` (lower-cased).
    pub tags: Vec<String>,
    /// `space:` values (lower-cased).
    pub spaces: Vec<String>,
    /// `category:` values (lower-cased).
    pub categories: Vec<String>,
    /// `author:` values (lower-cased).
    pub authors: Vec<String>,
    /// `type:` values.
    pub kinds: Vec<KindFilter>,
    /// `before:` (exclusive upper bound).
    pub before: Option<DateTime<Utc>>,
    /// `after:` (inclusive lower bound).
    pub after: Option<DateTime<Utc>>,
}

impl ParsedQuery {
    /// True if the query has no words and no phrases (filters only, or nothing).
    pub fn has_no_text(&self) -> bool {
        self.text.trim().is_empty() && self.phrases.is_empty()
    }

    /// True if there is nothing at all: no text, no phrase, no exclusion, no filter.
    pub fn is_empty(&self) -> bool {
        self.has_no_text()
            && self.excludes.is_empty()
            && self.tags.is_empty()
            && self.spaces.is_empty()
            && self.categories.is_empty()
            && self.authors.is_empty()
            && self.kinds.is_empty()
            && self.before.is_none()
            && self.after.is_none()
    }
}

fn clean(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .map(|c| match c {
            '\n' | '\t' | '\u{3000}' => ' ',
            '“' | '”' | '＂' | '「' | '」' => '"',
            '：' => ':',
            '＃' => '#',
            _ => c,
        })
        .take(MAX_QUERY_CHARS)
        .collect()
}

/// One lexical piece: `(negated, key, value, quoted)`.
struct Piece {
    negated: bool,
    key: Option<String>,
    value: String,
    quoted: bool,
}

/// A command-line option (`--installed`, `-n` of `kubectl get pods -n tidb`) is searched for,
/// not excluded: `--` followed by a letter, or `-` with one ASCII letter or digit alone.
fn is_command_option(rest: &[char]) -> bool {
    match rest {
        ['-', '-', c, ..] => c.is_ascii_alphanumeric(),
        ['-', c] => c.is_ascii_alphanumeric(),
        ['-', c, next, ..] => c.is_ascii_alphanumeric() && (next.is_whitespace() || *next == '"'),
        _ => false,
    }
}

fn lex(s: &str) -> Vec<Piece> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        if (chars[i] == '-' || chars[i] == '－')
            && i + 1 < chars.len()
            && !chars[i + 1].is_whitespace()
            && !is_command_option(&chars[i..])
        {
            negated = true;
            i += 1;
        }
        // Optional key: ascii letters followed by ':'
        let mut key = None;
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_alphabetic() {
            j += 1;
        }
        if j > i && j < chars.len() && chars[j] == ':' {
            let k: String = chars[i..j].iter().collect::<String>().to_ascii_lowercase();
            if matches!(
                k.as_str(),
                "tag" | "space" | "category" | "author" | "type" | "before" | "after"
            ) {
                key = Some(k);
                i = j + 1;
            }
        }
        if key.is_none() && i < chars.len() && chars[i] == '#' {
            let rest_is_word = i + 1 < chars.len() && !chars[i + 1].is_whitespace();
            if rest_is_word {
                key = Some("tag".to_string());
                i += 1;
            }
        }
        if i < chars.len() && chars[i] == '"' {
            // Quoted value: until the closing quote, or the end (lenient).
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && chars[end] != '"' {
                end += 1;
            }
            out.push(Piece {
                negated,
                key,
                value: chars[start..end].iter().collect(),
                quoted: true,
            });
            i = (end + 1).min(chars.len());
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
                i += 1;
            }
            out.push(Piece {
                negated,
                key,
                value: chars[start..i].iter().collect(),
                quoted: false,
            });
        }
    }
    out
}

fn parse_date(key: &str, value: &str) -> Result<DateTime<Utc>, QueryError> {
    let d = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| QueryError {
        message: format!("{key}: expects a date as YYYY-MM-DD, got {value:?}"),
        filter: key.to_owned(),
        value: value.to_owned(),
        expected: "YYYY-MM-DD".to_owned(),
    })?;
    Ok(d.and_hms_opt(0, 0, 0).expect("midnight is valid").and_utc())
}

/// Parses a user query. Never panics; errors only on malformed `before:`/`after:` dates or an
/// unknown `type:`.
pub fn parse(input: &str) -> Result<ParsedQuery, QueryError> {
    let cleaned = clean(input);
    let mut q = ParsedQuery::default();
    let mut words: Vec<String> = Vec::new();
    for p in lex(&cleaned) {
        let value = p.value.trim().to_string();
        match p.key.as_deref() {
            None => {
                if value.is_empty() {
                    continue;
                }
                if p.negated {
                    q.excludes.push(value);
                } else if p.quoted {
                    q.phrases.push(value);
                } else {
                    words.push(value);
                }
            }
            Some(key) => {
                if value.is_empty() {
                    // `tag:` with nothing after it: ignore.
                    continue;
                }
                let lower = value.to_lowercase();
                match key {
                    "tag" => q.tags.push(lower),
                    "space" => q.spaces.push(lower),
                    "category" => q.categories.push(lower),
                    "author" => q.authors.push(lower),
                    "type" => q.kinds.push(match lower.as_str() {
                        "doc" | "docs" | "document" | "文档" => KindFilter::Doc,
                        "record" | "records" | "记录" => KindFilter::Record,
                        "attachment" | "attachments" | "file" | "附件" => KindFilter::Attachment,
                        _ => {
                            return Err(QueryError {
                                message: format!(
                                    "type: expects doc, record or attachment, got {value:?}"
                                ),
                                filter: "type".to_owned(),
                                value: value.clone(),
                                expected: "doc, record, attachment".to_owned(),
                            });
                        }
                    }),
                    "before" => {
                        let d = parse_date(key, &value)?;
                        q.before = Some(q.before.map_or(d, |b| b.min(d)));
                    }
                    "after" => {
                        let d = parse_date(key, &value)?;
                        q.after = Some(q.after.map_or(d, |a| a.max(d)));
                    }
                    _ => unreachable!("lex only yields known keys"),
                }
            }
        }
    }
    q.text = words.join(" ");
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator() {
        let q = parse(
            r#"TiDB 升级 "滚动 升级" -测试 -"灰度 发布" #运维 tag:K8s space:tidb category:产品文档 author:Alice type:record before:2024-02-01 after:2023-01-01"#,
        )
        .unwrap();
        assert_eq!(q.text, "TiDB 升级");
        assert_eq!(q.phrases, vec!["滚动 升级"]);
        assert_eq!(q.excludes, vec!["测试", "灰度 发布"]);
        assert_eq!(q.tags, vec!["运维", "k8s"]);
        assert_eq!(q.spaces, vec!["tidb"]);
        assert_eq!(q.categories, vec!["产品文档"]);
        assert_eq!(q.authors, vec!["alice"]);
        assert_eq!(q.kinds, vec![KindFilter::Record]);
        assert_eq!(q.before.unwrap().to_rfc3339(), "2024-02-01T00:00:00+00:00");
        assert_eq!(q.after.unwrap().to_rfc3339(), "2023-01-01T00:00:00+00:00");
        assert_eq!(parse("type:doc").unwrap().kinds, vec![KindFilter::Doc]);
        assert_eq!(
            parse(r#"category:"产品 文档""#).unwrap().categories,
            vec!["产品 文档"]
        );
    }

    #[test]
    fn unbalanced_quotes_close_at_end() {
        let q = parse(r#"升级 "滚动 升级"#).unwrap();
        assert_eq!(q.text, "升级");
        assert_eq!(q.phrases, vec!["滚动 升级"]);
        let q = parse(r#"""#).unwrap();
        assert!(q.is_empty());
        let q = parse(r#"-"abc"#).unwrap();
        assert_eq!(q.excludes, vec!["abc"]);
    }

    #[test]
    fn command_options_are_searched_not_excluded() {
        let q = parse("tiup list --installed").unwrap();
        assert_eq!(q.text, "tiup list --installed");
        assert!(q.excludes.is_empty());
        let q = parse("kubectl get pods -n tidb -测试 -abc").unwrap();
        assert_eq!(q.text, "kubectl get pods -n tidb");
        assert_eq!(q.excludes, vec!["测试", "abc"]);
        let q = parse("-n").unwrap();
        assert_eq!(q.text, "-n");
    }

    #[test]
    fn only_operators() {
        let q = parse("#运维 after:2020-01-01").unwrap();
        assert!(q.has_no_text());
        assert!(!q.is_empty());
        assert!(parse("").unwrap().is_empty());
        assert!(parse("   \t ").unwrap().is_empty());
    }

    #[test]
    fn invalid_dates_and_types_are_errors() {
        assert!(parse("before:2024-13-01").is_err());
        assert!(parse("after:yesterday").is_err());
        assert!(parse("type:video").is_err());
        let e = parse("before:abc").unwrap_err();
        assert!(e.to_string().contains("before"));
    }

    #[test]
    fn hostile_input_never_panics() {
        let long = "数据库".repeat(4000);
        let q = parse(&long).unwrap();
        assert_eq!(q.text.chars().count(), MAX_QUERY_CHARS);
        let q = parse("a\u{0}b\u{7}\u{1b}[31m c").unwrap();
        assert!(!q.text.contains('\u{0}') && !q.text.contains('\u{1b}'));
        let q = parse("😀 升级 🚀").unwrap();
        assert!(q.text.contains("升级"));
        for s in [
            "-",
            "--",
            "#",
            "##",
            ":",
            "tag:",
            "-tag:",
            "\"\"\"",
            "-\"",
            "a:b:c",
            "http://x.y/z",
        ] {
            let _ = parse(s);
        }
        let mixed: String = (0..10_000)
            .map(|i| ['"', '-', '#', 'a', '中', ':', ' '][i % 7])
            .collect();
        let _ = parse(&mixed);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s);
        }

        #[test]
        fn parse_never_panics_on_operator_soup(
            s in "([-#\": ]|tag:|space:|before:|after:|type:|中文|abc|😀|\u{0}){0,60}"
        ) {
            let _ = parse(&s);
        }
    }

    #[test]
    fn unknown_keys_are_text() {
        let q = parse("http://example.com foo:bar").unwrap();
        assert_eq!(q.text, "http://example.com foo:bar");
    }
}
