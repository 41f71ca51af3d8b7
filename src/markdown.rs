//! Markdown to sanitised HTML (pulldown-cmark through ammonia), a table of contents, and the plain
//! text that search indexes.

use std::collections::HashMap;

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
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
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .id_prefix(None);
    b
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
    let mut seen = HashMap::new();
    let mut toc = Vec::new();
    let (events, capped) = cap_nesting(Parser::new_ext(markdown, options()).collect(), MAX_NESTING);
    let mut events = for_the_web(events);
    // Give every heading an id and collect the table of contents.
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
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let rendered = Rendered {
        html: sanitizer().clean(&raw).to_string(),
        toc,
    };
    (rendered, capped)
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
