//! The text of a Markdown document that search indexes: what a reader sees on the rendered page,
//! without the markup.
//!
//! Raw HTML in a document goes through the same kind of sanitiser as the page
//! ([`crate::markdown::render`]): whatever the sanitiser drops from the page — the content of
//! `<script>` and `<style>`, comments, attributes such as `onerror=` — is not indexed either, and
//! the text of the HTML that the page shows is. The content of a `<script>` written inside a
//! paragraph (`正文 <script>alert("x")</script>`) comes out of the Markdown parser as ordinary text
//! between two pieces of inline HTML, so it can only be told apart with the HTML around it: a
//! document with any raw HTML is therefore rebuilt as one HTML fragment (its text escaped, its raw
//! HTML as written) and cleaned as a whole. Documents without raw HTML take the direct path.

use pulldown_cmark::{Event, Options, Parser, TagEnd};

/// The Markdown extensions the page renders with (the same as [`crate::markdown::render`]).
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// The readable text of a Markdown document, for the search index: markup removed, code kept,
/// blocks separated by newlines; raw HTML reduced to the text the sanitised page shows.
pub fn plain_text(markdown: &str) -> String {
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options()).collect();
    let has_html = events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    let mut out = String::with_capacity(markdown.len());
    for ev in events {
        match ev {
            Event::Text(t) | Event::Code(t) => {
                if has_html {
                    escape_into(&mut out, &t);
                } else {
                    out.push_str(&t);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => out.push_str(&h),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_)
                | TagEnd::HtmlBlock,
            ) => out.push('\n'),
            _ => {}
        }
    }
    if !has_html {
        return out;
    }
    // No tag survives; the content of `script` and `style` goes with its tag (ammonia's default
    // `clean_content_tags`, as on the page), comments are stripped.
    let text = ammonia::Builder::empty().clean(&out).to_string();
    unescape(&text)
}

/// Appends `text` escaped for an HTML text node.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// Undoes the escaping of text nodes in serialised HTML (`&amp;`, `&lt;`, `&gt;`, `&nbsp;`: all
/// that the serialiser writes outside attributes).
fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_dropped_and_code_kept() {
        let t = plain_text("# 标题\n\n**粗体** 文字 `code`\n\n```sql\nSELECT 1;\n```\n<b>html</b>");
        assert!(t.contains("标题"), "{t}");
        assert!(t.contains("粗体 文字 code"), "{t}");
        assert!(t.contains("SELECT 1;"), "{t}");
        assert!(t.contains("html"), "shown on the page: {t}");
        assert!(!t.contains("**") && !t.contains("<b>"), "{t}");
    }

    #[test]
    fn what_the_sanitiser_drops_is_not_text() {
        let md = "正文 <script>alert(\"inline\")</script> 继续\n\n\
                  <script>\nalert(\"block\")\n</script>\n\n\
                  样式 <style>.x{color:red}</style> 之后\n\n\
                  <img src=x onerror=\"alert('img')\">\n\n\
                  <!-- 注释 secret -->\n\n\
                  <div onclick=\"steal()\">可见的 div</div>\n";
        let t = plain_text(md);
        for gone in [
            "alert", "inline", "block", "color", "onerror", "onclick", "steal", "secret", "注释",
        ] {
            assert!(!t.contains(gone), "{gone:?} in {t:?}");
        }
        for kept in ["正文", "继续", "样式", "之后", "可见的 div"] {
            assert!(t.contains(kept), "{kept:?} missing from {t:?}");
        }
    }

    #[test]
    fn an_unclosed_inline_script_hides_the_rest_as_on_the_page() {
        let t = plain_text("前文 <script>\n\n后文 alert(1)\n");
        assert!(t.contains("前文"), "{t}");
        assert!(!t.contains("后文") && !t.contains("alert"), "{t}");
    }

    #[test]
    fn escaped_text_comes_back_as_written() {
        let t = plain_text("a < b && c > d <span>&amp; 和 &lt;x&gt;</span> `<script>`\n");
        assert!(t.contains("a < b && c > d"), "{t}");
        assert!(t.contains("& 和 <x>"), "{t}");
        assert!(t.contains("<script>"), "code is shown on the page: {t}");
        assert_eq!(plain_text("a < b && c\n"), "a < b && c\n");
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
