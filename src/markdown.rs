//! Markdown to sanitised HTML (pulldown-cmark through ammonia), a table of contents, and the plain
//! text that search indexes.

use std::collections::HashMap;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use serde::Serialize;

/// A heading of the table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    b.add_tags(["input", "del", "s", "sup", "section"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("td", ["align", "style"])
        .add_tag_attributes("th", ["align", "style"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("li", ["class"])
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("sup", ["class"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .id_prefix(None);
    b
}

/// Renders Markdown to sanitised HTML with heading anchors and a table of contents.
pub fn render(markdown: &str) -> Rendered {
    let mut seen = HashMap::new();
    let mut toc = Vec::new();
    let mut events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
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
    Rendered {
        html: sanitizer().clean(&raw).to_string(),
        toc,
    }
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

/// The readable text of a Markdown document, for the search index: markup removed, code kept,
/// blocks separated by newlines. Raw HTML is dropped.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for ev in Parser::new_ext(markdown, options()) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            ) => out.push('\n'),
            _ => {}
        }
    }
    out
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
    fn toc_has_unique_anchors() {
        let r = render("# 安装\n## 安装\n## Quick Start\n");
        let anchors: Vec<_> = r.toc.iter().map(|t| t.anchor.as_str()).collect();
        assert_eq!(anchors, vec!["安装", "安装-1", "quick-start"]);
        assert_eq!(r.toc[1].level, 2);
    }

    #[test]
    fn plain_text_drops_markup_keeps_code() {
        let t = plain_text("# 标题\n\n**粗体** 文字 `code`\n\n```sql\nSELECT 1;\n```\n<b>html</b>");
        assert!(t.contains("标题"));
        assert!(t.contains("粗体 文字 code"));
        assert!(t.contains("SELECT 1;"));
        assert!(!t.contains("**"));
        assert!(!t.contains("<b>"));
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
    /// The rendering of `markdown`, which is version `version` of document `id`.
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
