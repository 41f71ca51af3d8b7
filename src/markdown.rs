//! Markdown to sanitised HTML (pulldown-cmark through ammonia), a table of contents, and the plain
//! text that search indexes.

use std::collections::HashMap;

use pulldown_cmark::{
    Alignment, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html,
};
use serde::Serialize;

/// A heading of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// Heading text.
    pub text: String,
    /// The `id` of the heading in the rendered HTML.
    pub anchor: String,
}

/// Rendered Markdown.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Sanitised HTML: no script, no event handlers, no `javascript:` URLs.
    pub html: String,
    /// Headings in order.
    pub toc: Vec<TocEntry>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Makes a heading anchor: lower-cased words (Chinese kept) joined by '-', unique in the document.
fn slug(text: &str, seen: &mut HashMap<String, usize>) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-' || c == '_') && !s.ends_with('-') {
            s.push('-');
        }
    }
    let base = s.trim_matches('-').to_owned();
    let base = if base.is_empty() {
        "section".to_owned()
    } else {
        base
    };
    let n = seen.entry(base.clone()).or_insert(0);
    *n += 1;
    if *n == 1 {
        base
    } else {
        format!("{base}-{}", *n - 1)
    }
}

fn sanitizer() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    // `<input>` only as a disabled checkbox (task lists): whatever type a raw `<input>` asks for,
    // it becomes one, so no form field reaches the page.
    b.add_tags(["input", "del", "s", "sup", "section"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .add_generic_attributes(["id"])
        // No `style`: the CSP forbids inline styles; alignment comes as a class (see `for_the_web`).
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        .add_allowed_classes("td", ALIGN_CLASSES)
        .add_allowed_classes("th", ALIGN_CLASSES)
        .add_tag_attributes("code", ["class"])
        .add_allowed_classes("li", ["task"])
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_allowed_classes("span", HIGHLIGHT_CLASSES)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .id_prefix(None);
    b
}

/// Classes of highlighted code: keyword, string, comment, number.
const HIGHLIGHT_CLASSES: [&str; 4] = ["hl-k", "hl-s", "hl-c", "hl-n"];

/// How one language's code is coloured: keywords, comment and string syntax.
struct Lang {
    /// The name used in the `language-` class.
    name: &'static str,
    keywords: &'static [&'static str],
    line_comments: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    quotes: &'static [char],
    /// Keywords match whatever their case (SQL).
    any_case: bool,
}

const C_LIKE: &[&str] = &["//"];
const HASH: &[&str] = &["#"];

/// The languages highlighted (by the fence's info string); any other fence stays plain.
fn language(info: &str) -> Option<&'static Lang> {
    static LANGS: &[(&[&str], Lang)] = &[
        (
            &["rust", "rs"],
            Lang {
                name: "rust",
                keywords: &[
                    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else",
                    "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop",
                    "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self",
                    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
                    "while",
                ],
                line_comments: C_LIKE,
                block_comment: Some(("/*", "*/")),
                quotes: &['"'],
                any_case: false,
            },
        ),
        (
            &["js", "javascript", "mjs", "ts", "typescript", "jsx", "tsx"],
            Lang {
                name: "javascript",
                keywords: &[
                    "async",
                    "await",
                    "break",
                    "case",
                    "catch",
                    "class",
                    "const",
                    "continue",
                    "default",
                    "delete",
                    "do",
                    "else",
                    "export",
                    "extends",
                    "false",
                    "finally",
                    "for",
                    "from",
                    "function",
                    "if",
                    "import",
                    "in",
                    "instanceof",
                    "interface",
                    "let",
                    "new",
                    "null",
                    "return",
                    "switch",
                    "this",
                    "throw",
                    "true",
                    "try",
                    "type",
                    "typeof",
                    "undefined",
                    "var",
                    "void",
                    "while",
                    "yield",
                ],
                line_comments: C_LIKE,
                block_comment: Some(("/*", "*/")),
                quotes: &['"', '\'', '`'],
                any_case: false,
            },
        ),
        (
            &["python", "py"],
            Lang {
                name: "python",
                keywords: &[
                    "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
                    "del", "elif", "else", "except", "False", "finally", "for", "from", "global",
                    "if", "import", "in", "is", "lambda", "None", "nonlocal", "not", "or", "pass",
                    "raise", "return", "True", "try", "while", "with", "yield",
                ],
                line_comments: HASH,
                block_comment: None,
                quotes: &['"', '\''],
                any_case: false,
            },
        ),
        (
            &["go", "golang"],
            Lang {
                name: "go",
                keywords: &[
                    "break",
                    "case",
                    "chan",
                    "const",
                    "continue",
                    "default",
                    "defer",
                    "else",
                    "fallthrough",
                    "false",
                    "for",
                    "func",
                    "go",
                    "goto",
                    "if",
                    "import",
                    "interface",
                    "map",
                    "nil",
                    "package",
                    "range",
                    "return",
                    "select",
                    "struct",
                    "switch",
                    "true",
                    "type",
                    "var",
                ],
                line_comments: C_LIKE,
                block_comment: Some(("/*", "*/")),
                quotes: &['"', '`', '\''],
                any_case: false,
            },
        ),
        (
            &["java", "kotlin", "c", "cpp", "c++", "h", "cs", "csharp"],
            Lang {
                name: "clike",
                keywords: &[
                    "abstract",
                    "auto",
                    "bool",
                    "break",
                    "case",
                    "catch",
                    "char",
                    "class",
                    "const",
                    "continue",
                    "default",
                    "delete",
                    "do",
                    "double",
                    "else",
                    "enum",
                    "extends",
                    "false",
                    "final",
                    "float",
                    "for",
                    "if",
                    "implements",
                    "import",
                    "int",
                    "interface",
                    "long",
                    "namespace",
                    "new",
                    "null",
                    "nullptr",
                    "package",
                    "private",
                    "protected",
                    "public",
                    "return",
                    "short",
                    "static",
                    "struct",
                    "switch",
                    "this",
                    "throw",
                    "true",
                    "try",
                    "typedef",
                    "unsigned",
                    "using",
                    "void",
                    "while",
                ],
                line_comments: C_LIKE,
                block_comment: Some(("/*", "*/")),
                quotes: &['"', '\''],
                any_case: false,
            },
        ),
        (
            &["sql", "mysql", "postgresql", "psql"],
            Lang {
                name: "sql",
                keywords: &[
                    "add", "alter", "and", "as", "asc", "begin", "between", "by", "case", "commit",
                    "create", "delete", "desc", "distinct", "drop", "else", "end", "exists",
                    "from", "group", "having", "in", "index", "insert", "into", "is", "join",
                    "key", "left", "like", "limit", "not", "null", "on", "or", "order", "primary",
                    "right", "rollback", "select", "set", "table", "then", "union", "update",
                    "values", "when", "where",
                ],
                line_comments: &["--"],
                block_comment: Some(("/*", "*/")),
                quotes: &['\'', '"'],
                any_case: true,
            },
        ),
        (
            &["bash", "sh", "shell", "zsh", "console"],
            Lang {
                name: "bash",
                keywords: &[
                    "case", "do", "done", "echo", "elif", "else", "esac", "exit", "export", "fi",
                    "for", "function", "if", "in", "local", "return", "then", "while",
                ],
                line_comments: HASH,
                block_comment: None,
                quotes: &['"', '\''],
                any_case: false,
            },
        ),
        (
            &["yaml", "yml", "toml", "ini"],
            Lang {
                name: "yaml",
                keywords: &["true", "false", "null", "yes", "no"],
                line_comments: HASH,
                block_comment: None,
                quotes: &['"', '\''],
                any_case: false,
            },
        ),
        (
            &["json"],
            Lang {
                name: "json",
                keywords: &["true", "false", "null"],
                line_comments: &[],
                block_comment: None,
                quotes: &['"'],
                any_case: false,
            },
        ),
    ];
    let word = info
        .split([' ', ',', '{'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    LANGS
        .iter()
        .find(|(names, _)| names.contains(&word.as_str()))
        .map(|(_, l)| l)
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn span(out: &mut String, class: &str, s: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, s);
    out.push_str("</span>");
}

/// Code coloured with spans of [`HIGHLIGHT_CLASSES`] (escaped HTML, in one pass over the text).
fn highlight(lang: &Lang, code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < code.len() {
        let rest = &code[i..];
        if let Some((open, close)) = lang.block_comment
            && rest.starts_with(open)
        {
            let end = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |e| open.len() + e + close.len());
            span(&mut out, "hl-c", &rest[..end]);
            i += end;
            continue;
        }
        if lang.line_comments.iter().any(|p| rest.starts_with(p))
            // `#` starts a comment only at a word's start (not in `a#b` or `$#`).
            && !(rest.starts_with('#') && code[..i].chars().next_back().is_some_and(|c| !c.is_whitespace()))
        {
            let end = rest.find('\n').unwrap_or(rest.len());
            span(&mut out, "hl-c", &rest[..end]);
            i += end;
            continue;
        }
        let c = rest.chars().next().expect("not at the end");
        if lang.quotes.contains(&c) {
            let first = c.len_utf8();
            let mut end = rest.len();
            let mut escaped = false;
            for (j, d) in rest[first..].char_indices() {
                let at = first + j;
                if escaped {
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    end = at + d.len_utf8();
                    break;
                } else if d == '\n' && c != '`' {
                    end = at;
                    break;
                }
            }
            span(&mut out, "hl-s", &rest[..end]);
            i += end;
            continue;
        }
        let after_ident = code[..i].chars().next_back().is_some_and(ident);
        if c.is_ascii_digit() && !after_ident {
            let end = rest
                .find(|d: char| !(d.is_ascii_alphanumeric() || d == '.' || d == '_'))
                .unwrap_or(rest.len());
            span(&mut out, "hl-n", &rest[..end]);
            i += end;
            continue;
        }
        if ident(c) && !after_ident {
            let end = rest.find(|d: char| !ident(d)).unwrap_or(rest.len());
            let word = &rest[..end];
            let is_kw = if lang.any_case {
                lang.keywords.iter().any(|k| k.eq_ignore_ascii_case(word))
            } else {
                lang.keywords.contains(&word)
            };
            if is_kw {
                span(&mut out, "hl-k", word);
            } else {
                escape_into(&mut out, word);
            }
            i += end;
            continue;
        }
        escape_into(&mut out, &rest[..c.len_utf8()]);
        i += c.len_utf8();
    }
    out
}

/// Fenced code in a language of [`language`] becomes coloured HTML at render time (so the page
/// needs no script and the CSP stays strict); other code stays as pulldown-cmark renders it.
fn highlight_code(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some(ev) = iter.next() {
        let lang = match &ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => language(info),
            _ => None,
        };
        let Some(lang) = lang else {
            out.push(ev);
            continue;
        };
        let mut code = String::new();
        for inner in iter.by_ref() {
            match inner {
                Event::End(TagEnd::CodeBlock) => break,
                Event::Text(t) => code.push_str(&t),
                _ => {}
            }
        }
        let mut html = format!("<pre><code class=\"language-{}\">", lang.name);
        html.push_str(&highlight(lang, &code));
        html.push_str("</code></pre>\n");
        out.push(Event::Html(CowStr::from(html)));
    }
    out
}

/// Classes a table cell may carry: its column's alignment.
const ALIGN_CLASSES: [&str; 3] = ["align-left", "align-center", "align-right"];

/// Rewrites what pulldown-cmark would render in a way the page cannot use: a table cell's
/// alignment becomes class `align-left|center|right` instead of `style="text-align: ..."` (the CSP
/// forbids inline styles), and a list item holding a task marker gets class `task` (styled as a
/// checkbox without a bullet).
fn for_the_web(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut aligns: Vec<Alignment> = Vec::new();
    let (mut in_head, mut cell) = (false, 0usize);
    // Where in `out` the open list items start.
    let mut items: Vec<usize> = Vec::new();
    for ev in events {
        match ev {
            Event::Start(Tag::Table(a)) => {
                out.push(Event::Start(Tag::Table(vec![Alignment::None; a.len()])));
                aligns = a;
            }
            Event::Start(Tag::TableHead) => {
                (in_head, cell) = (true, 0);
                out.push(ev);
            }
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                out.push(ev);
            }
            Event::Start(Tag::TableRow) => {
                cell = 0;
                out.push(ev);
            }
            Event::Start(Tag::TableCell) => {
                let class = match aligns.get(cell) {
                    Some(Alignment::Left) => Some("align-left"),
                    Some(Alignment::Center) => Some("align-center"),
                    Some(Alignment::Right) => Some("align-right"),
                    _ => None,
                };
                // The writer closes the cell itself (`</th>` in the head, `</td>` below).
                out.push(match class {
                    Some(c) => {
                        let tag = if in_head { "th" } else { "td" };
                        Event::InlineHtml(format!("<{tag} class=\"{c}\">").into())
                    }
                    None => ev,
                });
            }
            Event::End(TagEnd::TableCell) => {
                cell += 1;
                out.push(ev);
            }
            Event::Start(Tag::Item) => {
                items.push(out.len());
                out.push(ev);
            }
            Event::End(TagEnd::Item) => {
                items.pop();
                out.push(ev);
            }
            Event::TaskListMarker(_) => {
                if let Some(&i) = items.last() {
                    out[i] = Event::InlineHtml("<li class=\"task\">".into());
                }
                out.push(ev);
            }
            other => out.push(other),
        }
    }
    out
}

/// Deepest nesting a body may have: Markdown containers (quotes, lists, emphasis, tables...) and
/// raw HTML elements together. The sanitiser's HTML parser costs time quadratic in the depth (50,000
/// nested `<div>`s took 14 s), so saves beyond it are refused and older bodies are rendered capped.
pub const MAX_NESTING: usize = 100;

/// HTML elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements a second opening of which closes the first (`<li>a<li>b`), as HTML parsers do.
const SELF_CLOSING_SIBLINGS: &[&str] = &["p", "li", "dt", "dd", "option", "tr", "td", "th"];

/// A tag found in raw HTML.
enum RawTag<'a> {
    /// An element that may hold content.
    Open(&'a str),
    /// An end tag.
    Close(&'a str),
    /// A void or self-closed element, a comment, a declaration: no nesting.
    Flat,
}

/// The next tag at or after byte `from`: (start, end, tag). Quotes inside attribute values are not
/// parsed (a `>` there ends the tag early, which only makes the estimate deeper, never shallower).
fn next_tag(s: &str, from: usize) -> Option<(usize, usize, RawTag<'_>)> {
    let bytes = s.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let off = s[i..].find('<')?;
        let start = i + off;
        let rest = &s[start + 1..];
        let close_at = |skip: usize, pat: &str| {
            s[start + skip..]
                .find(pat)
                .map_or(s.len(), |e| start + skip + e + pat.len())
        };
        if rest.starts_with("!--") {
            return Some((start, close_at(4, "-->"), RawTag::Flat));
        }
        if rest.starts_with('!') || rest.starts_with('?') {
            return Some((start, close_at(1, ">"), RawTag::Flat));
        }
        let (closing, name_from) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name_len = name_from
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .count();
        if name_len == 0 || !name_from.as_bytes()[0].is_ascii_alphabetic() {
            i = start + 1;
            continue;
        }
        let name = &name_from[..name_len];
        let end = close_at(1, ">");
        let tag = if closing {
            RawTag::Close(name)
        } else if VOID.iter().any(|v| v.eq_ignore_ascii_case(name)) || s[..end].ends_with("/>") {
            RawTag::Flat
        } else {
            RawTag::Open(name)
        };
        return Some((start, end, tag));
    }
    None
}

/// Caps the nesting of an event stream at [`MAX_NESTING`]: Markdown containers deeper than that
/// are flattened (their content kept), and from the first raw HTML element that would go deeper,
/// all raw HTML is shown as text. Returns the events and whether anything was capped.
fn cap_nesting(events: Vec<Event<'_>>, limit: usize) -> (Vec<Event<'_>>, bool) {
    let mut out = Vec::with_capacity(events.len());
    // For each open Markdown container: was it kept?
    let mut open: Vec<bool> = Vec::new();
    let (mut kept, mut dropped) = (0usize, 0usize);
    // Open raw HTML elements (lower-cased names).
    let mut html: Vec<String> = Vec::new();
    let mut capped = false;
    for ev in events {
        let (inline, s) = match ev {
            Event::Start(tag) => {
                if dropped == 0 && kept + html.len() < limit {
                    kept += 1;
                    open.push(true);
                    out.push(Event::Start(tag));
                } else {
                    capped = true;
                    dropped += 1;
                    open.push(false);
                }
                continue;
            }
            Event::End(tag) => {
                match open.pop() {
                    Some(true) => {
                        kept -= 1;
                        out.push(Event::End(tag));
                    }
                    Some(false) => dropped -= 1,
                    None => out.push(Event::End(tag)),
                }
                continue;
            }
            Event::Html(s) => (false, s),
            Event::InlineHtml(s) => (true, s),
            other => {
                out.push(other);
                continue;
            }
        };
        let raw = |s| {
            if inline {
                Event::InlineHtml(s)
            } else {
                Event::Html(s)
            }
        };
        if capped {
            out.push(Event::Text(s));
            continue;
        }
        let mut at = 0;
        let mut overflow = None;
        while let Some((start, end, tag)) = next_tag(&s, at) {
            match tag {
                RawTag::Open(name) => {
                    let name = name.to_ascii_lowercase();
                    if SELF_CLOSING_SIBLINGS.contains(&name.as_str()) && html.last() == Some(&name)
                    {
                        html.pop();
                    }
                    if kept + html.len() >= limit {
                        overflow = Some(start);
                        break;
                    }
                    html.push(name);
                }
                RawTag::Close(name) => {
                    if let Some(i) = html.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                        html.truncate(i);
                    }
                }
                RawTag::Flat => {}
            }
            at = end;
        }
        match overflow {
            None => out.push(raw(s)),
            Some(split) => {
                capped = true;
                let (ok, rest) = s.split_at(split);
                if !ok.is_empty() {
                    out.push(raw(ok.to_owned().into()));
                }
                out.push(Event::Text(rest.to_owned().into()));
            }
        }
    }
    (out, capped)
}

/// Does this Markdown nest deeper than [`MAX_NESTING`] (so that rendering would cap it)?
pub fn nests_too_deep(markdown: &str) -> bool {
    cap_nesting(Parser::new_ext(markdown, options()).collect(), MAX_NESTING).1
}

/// Renders Markdown to sanitised HTML with heading anchors and a table of contents. Nesting beyond
/// [`MAX_NESTING`] is capped, so the time taken stays about linear in the size of the text.
pub fn render(markdown: &str) -> Rendered {
    render_capped(markdown).0
}

/// [`render`], also telling whether the nesting was capped (what [`nests_too_deep`] tells), from
/// one parse.
pub fn render_capped(markdown: &str) -> (Rendered, bool) {
    let (events, capped) = cap_nesting(Parser::new_ext(markdown, options()).collect(), MAX_NESTING);
    let mut events = highlight_code(for_the_web(events));
    let toc = assign_anchors(&mut events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let rendered = Rendered {
        html: sanitizer().clean(&raw).to_string(),
        toc,
    };
    (rendered, capped)
}

/// The table of contents of `markdown` with the anchors [`render`] gives its headings (the same
/// parse, nesting cap and anchor rules, without rendering): search links hits to these.
pub fn toc(markdown: &str) -> Vec<TocEntry> {
    let (mut events, _) = cap_nesting(Parser::new_ext(markdown, options()).collect(), MAX_NESTING);
    assign_anchors(&mut events)
}

/// Gives every heading an id (its `{#id}`, else a unique slug of its text) and returns the table
/// of contents.
fn assign_anchors(events: &mut [Event<'_>]) -> Vec<TocEntry> {
    let mut seen = HashMap::new();
    let mut toc = Vec::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, id, .. }) = &events[i] {
            let level = *level;
            let given = id.clone();
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() {
                match &events[j] {
                    Event::End(TagEnd::Heading(_)) => break,
                    Event::Text(t) | Event::Code(t) => text.push_str(t),
                    _ => {}
                }
                j += 1;
            }
            let anchor = match given {
                Some(g) => g.to_string(),
                None => slug(&text, &mut seen),
            };
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(anchor.clone().into());
            }
            toc.push(TocEntry {
                level: heading_level(level),
                text: text.trim().to_owned(),
                anchor,
            });
            i = j;
        }
        i += 1;
    }
    toc
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_reach_html() {
        let md = "# 标题\n\n<script>alert(1)</script>\n\n<img src=x onerror=\"alert(1)\">\n\n[点我](javascript:alert(1))\n\n<a href=\"JaVaScRiPt:alert(1)\">x</a>\n\n<div onclick=\"x()\" style=\"color:red\">y</div>";
        let r = render(md);
        let lower = r.html.to_lowercase();
        assert!(!lower.contains("<script"), "{}", r.html);
        assert!(!lower.contains("onerror"), "{}", r.html);
        assert!(!lower.contains("onclick"), "{}", r.html);
        assert!(!lower.contains("javascript:"), "{}", r.html);
        assert!(r.html.contains("<h1 id=\"标题\">标题</h1>"), "{}", r.html);
    }

    #[test]
    fn fenced_code_is_coloured_on_the_server_and_stays_safe() {
        let md = "```rust\n// 注释\nfn main() { let s = \"a<b>\"; let n = 42; }\n```\n\n```sql\nSELECT name FROM users WHERE id = 1; -- 取一个\n```\n\n```unknown\nfn x\n```\n";
        let r = render(md);
        let h = &r.html;
        assert!(h.contains("<pre><code class=\"language-rust\"><span class=\"hl-c\">// 注释</span>\n<span class=\"hl-k\">fn</span> main()"), "{h}");
        assert!(
            h.contains("<span class=\"hl-s\">\"a&lt;b&gt;\"</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"hl-n\">42</span>"), "{h}");
        assert!(
            h.contains("<span class=\"hl-k\">SELECT</span> name <span class=\"hl-k\">FROM</span>"),
            "{h}"
        );
        assert!(h.contains("<span class=\"hl-c\">-- 取一个</span>"), "{h}");
        assert!(
            h.contains("<code class=\"language-unknown\">fn x\n</code>"),
            "other languages stay plain: {h}"
        );
        // Raw HTML cannot borrow the classes for anything else, nor add handlers or styles.
        let evil = render(
            "<span class=\"hl-k evil\" onclick=\"x()\" style=\"color:red\">a</span>\n\n```js\n'<script>alert(1)</script>'\n```\n",
        );
        assert!(
            evil.html.contains("<span class=\"hl-k\">a</span>"),
            "{}",
            evil.html
        );
        assert!(!evil.html.contains("<script"), "{}", evil.html);
        assert!(evil.html.contains("&lt;script&gt;"), "{}", evil.html);
    }

    #[test]
    fn highlighting_is_linear_on_unclosed_strings_and_comments() {
        let lang = language("js").unwrap();
        let code = "'".repeat(50_000) + &"/*".repeat(10_000);
        let t = std::time::Instant::now();
        let _ = highlight(lang, &code);
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn extensions_render() {
        let md = "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~\n\nnote[^1]\n\n[^1]: 脚注\n";
        let r = render(md);
        assert!(r.html.contains("<table>"), "{}", r.html);
        assert!(r.html.contains("type=\"checkbox\""), "{}", r.html);
        assert!(r.html.contains("<del>old</del>"), "{}", r.html);
        assert!(r.html.contains("脚注"), "{}", r.html);
    }

    #[test]
    fn task_lists_are_checkboxes_in_items_of_class_task() {
        let r = render("- [x] 完成\n- [ ] 待办\n- 普通\n\n1. [ ] 有序\n");
        assert!(
            r.html.contains(
                "<li class=\"task\"><input disabled=\"\" type=\"checkbox\" checked=\"\">\n完成</li>"
            ),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<li class=\"task\"><input disabled=\"\" type=\"checkbox\">\n待办</li>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("<li>普通</li>"), "{}", r.html);
        assert_eq!(count(&r.html, "class=\"task\""), 3, "{}", r.html);
        // A loose list: the marker sits inside the paragraph, the class still goes on the item.
        let r = render("- [x] 一\n\n- [ ] 二\n  - 子项\n");
        assert_eq!(count(&r.html, "<li class=\"task\">"), 2, "{}", r.html);
        assert!(r.html.contains("<li>子项</li>"), "{}", r.html);
    }

    #[test]
    fn raw_inputs_become_disabled_checkboxes_and_nothing_else() {
        let r = render(
            "<input type=\"text\" name=\"pw\" value=\"x\" onfocus=\"alert(1)\" autofocus>\n\n<input type=submit formaction=\"https://evil\">\n",
        );
        assert_eq!(count(&r.html, "<input"), 2, "{}", r.html);
        for bad in [
            "text",
            "submit",
            "name=",
            "value=",
            "onfocus",
            "autofocus",
            "formaction",
        ] {
            assert!(!r.html.contains(bad), "{bad}: {}", r.html);
        }
        for input in r.html.split("<input").skip(1) {
            let tag = &input[..input.find('>').unwrap()];
            assert!(tag.contains("type=\"checkbox\""), "{}", r.html);
            assert!(tag.contains("disabled=\"\""), "{}", r.html);
        }
    }

    #[test]
    fn table_alignment_is_a_class_never_an_inline_style() {
        let r = render("| 左 | 中 | 右 | 无 |\n|:---|:---:|---:|---|\n| a | b | c | d |\n");
        for want in [
            "<th class=\"align-left\">左</th>",
            "<th class=\"align-center\">中</th>",
            "<th class=\"align-right\">右</th>",
            "<th>无</th>",
            "<td class=\"align-left\">a</td>",
            "<td class=\"align-center\">b</td>",
            "<td class=\"align-right\">c</td>",
            "<td>d</td>",
        ] {
            assert!(r.html.contains(want), "{want}: {}", r.html);
        }
        assert!(!r.html.contains("style"), "{}", r.html);
        // Raw HTML: no inline style, only the alignment classes.
        let r = render(
            "<table><tr><td style=\"color:red\" class=\"align-right evil\">x</td><th class=\"conflict\">y</th></tr></table>\n\n<ul><li class=\"task evil\">z</li></ul>\n",
        );
        assert!(!r.html.contains("style"), "{}", r.html);
        assert!(!r.html.contains("evil"), "{}", r.html);
        assert!(!r.html.contains("conflict"), "{}", r.html);
        assert!(
            r.html.contains("<td class=\"align-right\">x</td>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("<li class=\"task\">z</li>"), "{}", r.html);
    }

    #[test]
    fn footnotes_render_with_links_to_their_text() {
        let r = render("正文[^注]。\n\n[^注]: 脚注内容\n");
        assert!(
            r.html
                .contains("<sup class=\"footnote-reference\"><a href=\"#注\" rel=\"noopener noreferrer nofollow\">1</a></sup>"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<div class=\"footnote-definition\" id=\"注\"><sup class=\"footnote-definition-label\">1</sup>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("脚注内容"), "{}", r.html);
    }

    #[test]
    fn render_capped_tells_what_nests_too_deep_tells() {
        for md in [
            "# 标题\n\n- a\n".to_owned(),
            format!("{}深处\n", "> ".repeat(500)),
            format!("{}x", "<div>".repeat(500)),
        ] {
            assert_eq!(render_capped(&md).1, nests_too_deep(&md));
            assert_eq!(render_capped(&md).0.html, render(&md).html);
        }
    }

    #[test]
    fn toc_has_unique_anchors() {
        let r = render("# 安装\n## 安装\n## Quick Start\n");
        let anchors: Vec<_> = r.toc.iter().map(|t| t.anchor.as_str()).collect();
        assert_eq!(anchors, vec!["安装", "安装-1", "quick-start"]);
        assert_eq!(r.toc[1].level, 2);
    }

    fn count(h: &str, pat: &str) -> usize {
        h.matches(pat).count()
    }

    #[test]
    fn deep_raw_html_is_capped_and_shown_as_text() {
        let n = 5_000;
        let md = format!("{}深处{}", "<div>".repeat(n), "</div>".repeat(n));
        assert!(nests_too_deep(&md));
        let r = render(&md);
        // The HTML block itself is one level.
        assert_eq!(
            count(&r.html, "<div>"),
            MAX_NESTING - 1,
            "{}",
            &r.html[..400]
        );
        assert!(
            r.html.contains("&lt;div&gt;深处&lt;/div&gt;"),
            "the rest is text"
        );
        // Unmatched end tags do not hide depth.
        let md = "<b></i>".repeat(n);
        assert!(nests_too_deep(&md));
        // (The HTML parser re-opens up to three formatting elements after the paragraph.)
        assert!(count(&render(&md).html, "<b>") <= MAX_NESTING + 3);
    }

    #[test]
    fn deep_markdown_containers_are_flattened() {
        for md in [
            format!("{}深处\n", "> ".repeat(5_000)),
            format!("{}深处\n", "- ".repeat(5_000)),
        ] {
            assert!(nests_too_deep(&md));
            let r = render(&md);
            assert!(
                count(&r.html, "<blockquote>") + count(&r.html, "<li>") <= MAX_NESTING,
                "{}",
                &r.html[..300]
            );
            assert!(r.html.contains("深处"), "content kept");
        }
    }

    #[test]
    fn ordinary_documents_are_not_too_deep() {
        let mut md = String::from("# 标题\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n");
        for i in 0..15 {
            md.push_str(&format!(
                "{}- 第{i}层 **粗体 *斜体* `代码`**\n",
                "  ".repeat(i)
            ));
        }
        md.push_str("\n<details><summary>更多</summary>\n<ul><li>一<li>二<li>三</ul>\n");
        md.push_str("<!-- <div><div><div> -->\n<p>段<p>段<br><img src=\"a.png\"/>\n</details>\n");
        md.push_str(&"<p>没有闭合的段落\n\n".repeat(300));
        md.push_str(&"> 引用\n>\n> > 嵌套\n\n".repeat(200));
        assert!(!nests_too_deep(&md));
        let r = render(&md);
        assert!(r.html.contains("<details>"), "{}", r.html);
        assert!(r.html.contains("第14层"));
    }
}

/// Rendered documents by (document id, version): versions never change, so an entry never goes
/// stale. Bounded by total HTML size; when full it starts afresh (simple, and a re-render is cheap
/// compared with keeping LRU order).
#[derive(Default)]
pub struct RenderCache {
    inner: std::sync::Mutex<(RenderMap, usize)>,
}

type RenderMap = HashMap<(String, u64), std::sync::Arc<Rendered>>;

/// Bytes of HTML the cache holds at most.
const RENDER_CACHE_BYTES: usize = 32 * 1024 * 1024;

impl RenderCache {
    /// The rendering of version `version` of document `id`, if it is cached.
    pub fn cached(&self, id: &str, version: u64) -> Option<std::sync::Arc<Rendered>> {
        self.inner
            .lock()
            .expect("render cache lock")
            .0
            .get(&(id.to_owned(), version))
            .cloned()
    }

    /// The rendering of `markdown`, which is version `version` of document `id`. Renders on a miss:
    /// CPU work, so call it off the async workers (see [`crate::cpu`]).
    pub fn get(&self, id: &str, version: u64, markdown: &str) -> std::sync::Arc<Rendered> {
        let key = (id.to_owned(), version);
        if let Some(r) = self.inner.lock().expect("render cache lock").0.get(&key) {
            return r.clone();
        }
        let r = std::sync::Arc::new(render(markdown));
        let mut g = self.inner.lock().expect("render cache lock");
        if g.1 + r.html.len() > RENDER_CACHE_BYTES {
            g.0.clear();
            g.1 = 0;
        }
        g.1 += r.html.len();
        g.0.insert(key, r.clone());
        r
    }
}
