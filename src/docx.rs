//! Markdown to Word (.docx): the document as Chinese companies mail it. A small, honest subset of
//! WordprocessingML: headings with Word's own heading styles (so Word's navigation pane and table
//! of contents work), paragraphs with bold, italic, code and links (the address after the text),
//! bullet and numbered lists (as prefixed paragraphs, indented by depth), block quotes, code
//! blocks in a monospace font, tables with a header row, task items as ☐/☑. Images become their
//! alternative text. Raw HTML is dropped, as the sanitiser drops it from the page.

use std::io::Write;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::{Error, Result};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // XML 1.0 forbids most control characters.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Default, Clone, Copy)]
struct Style {
    bold: bool,
    italic: bool,
    code: bool,
    strike: bool,
}

fn run(text: &str, st: Style) -> String {
    let mut props = String::new();
    if st.bold {
        props.push_str("<w:b/>");
    }
    if st.italic {
        props.push_str("<w:i/>");
    }
    if st.strike {
        props.push_str("<w:strike/>");
    }
    if st.code {
        props.push_str(r#"<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas"/><w:shd w:val="clear" w:fill="F2F2F2"/>"#);
    }
    let rpr = if props.is_empty() {
        String::new()
    } else {
        format!("<w:rPr>{props}</w:rPr>")
    };
    format!(
        r#"<w:r>{rpr}<w:t xml:space="preserve">{}</w:t></w:r>"#,
        esc(text)
    )
}

/// The body of `word/document.xml` for this Markdown.
fn body_xml(title: &str, markdown: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        r#"<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr>{}</w:p>"#,
        run(title, Style::default())
    ));
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut style = Style::default();
    let mut para: Option<String> = None; // paragraph properties of the open paragraph
    let mut runs = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new(); // numbering per depth (None: bullets)
    let mut quote = 0usize;
    let mut in_code = false;
    let mut link: Option<String> = None;
    let mut table: Option<(String, bool)> = None; // xml so far, in header
    let mut cell: Option<String> = None;
    let indent = |lists: usize, quote: usize| -> String {
        let left = 360 * (lists + quote);
        if left == 0 {
            String::new()
        } else {
            format!(r#"<w:ind w:left="{left}"/>"#)
        }
    };
    let flush = |para: &mut Option<String>,
                 runs: &mut String,
                 out: &mut String,
                 cell: &mut Option<String>| {
        if let Some(ppr) = para.take() {
            let p = format!("<w:p><w:pPr>{ppr}</w:pPr>{}</w:p>", std::mem::take(runs));
            match cell {
                Some(c) => c.push_str(&p),
                None => out.push_str(&p),
            }
        }
    };
    for ev in Parser::new_ext(markdown, opts) {
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                let n = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                para = Some(format!(r#"<w:pStyle w:val="Heading{n}"/>"#));
            }
            Event::Start(Tag::Paragraph) if para.is_none() => {
                para = Some(indent(lists.len(), quote));
            }
            Event::Start(Tag::Item) => {
                let marker = match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_owned(),
                };
                para = Some(indent(lists.len().saturating_sub(1) + 1, quote));
                runs.push_str(&run(&marker, Style::default()));
            }
            Event::TaskListMarker(done) => {
                // Replace the bullet just written by the box.
                if let Some(i) = runs.rfind("<w:r>") {
                    runs.truncate(i);
                }
                runs.push_str(&run(if done { "☑ " } else { "☐ " }, Style::default()));
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                lists.pop();
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                quote += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                quote = quote.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                in_code = true;
                para = Some(format!(
                    r#"<w:shd w:val="clear" w:fill="F2F2F2"/>{}"#,
                    indent(lists.len(), quote)
                ));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                flush(&mut para, &mut runs, &mut out, &mut cell);
            }
            Event::Start(Tag::Strong) => style.bold = true,
            Event::End(TagEnd::Strong) => style.bold = false,
            Event::Start(Tag::Emphasis) => style.italic = true,
            Event::End(TagEnd::Emphasis) => style.italic = false,
            Event::Start(Tag::Strikethrough) => style.strike = true,
            Event::End(TagEnd::Strikethrough) => style.strike = false,
            Event::Start(Tag::Link { dest_url, .. }) => link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link.take()
                    && !url.is_empty()
                    && !url.starts_with('#')
                {
                    runs.push_str(&run(&format!(" ({url})"), Style::default()));
                }
            }
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => {}
            Event::Start(Tag::Table(_)) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                table = Some((
                    r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders></w:tblPr>"#.to_owned(),
                    false,
                ));
            }
            Event::End(TagEnd::Table) => {
                if let Some((mut t, _)) = table.take() {
                    t.push_str("</w:tbl>");
                    out.push_str(&t);
                    // Word needs a paragraph between a table and what follows.
                    out.push_str("<w:p/>");
                }
            }
            Event::Start(Tag::TableHead) => {
                if let Some((t, head)) = table.as_mut() {
                    t.push_str("<w:tr>");
                    *head = true;
                }
            }
            Event::End(TagEnd::TableHead) => {
                if let Some((t, head)) = table.as_mut() {
                    t.push_str("</w:tr>");
                    *head = false;
                }
            }
            Event::Start(Tag::TableRow) => {
                if let Some((t, _)) = table.as_mut() {
                    t.push_str("<w:tr>");
                }
            }
            Event::End(TagEnd::TableRow) => {
                if let Some((t, _)) = table.as_mut() {
                    t.push_str("</w:tr>");
                }
            }
            Event::Start(Tag::TableCell) => {
                cell = Some(String::new());
                para = Some(String::new());
                if table.as_ref().is_some_and(|(_, h)| *h) {
                    style.bold = true;
                }
            }
            Event::End(TagEnd::TableCell) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                style.bold = false;
                if let (Some((t, _)), Some(c)) = (table.as_mut(), cell.take()) {
                    let c = if c.is_empty() { "<w:p/>".to_owned() } else { c };
                    t.push_str(&format!("<w:tc>{c}</w:tc>"));
                }
            }
            Event::Text(t) => {
                if para.is_none() {
                    para = Some(indent(lists.len(), quote));
                }
                if in_code {
                    let mut first = true;
                    for line in t.trim_end_matches('\n').split('\n') {
                        if !first {
                            runs.push_str("<w:r><w:br/></w:r>");
                        }
                        first = false;
                        runs.push_str(&run(
                            line,
                            Style {
                                code: true,
                                ..style
                            },
                        ));
                    }
                } else {
                    runs.push_str(&run(&t, style));
                }
            }
            Event::Code(t) => runs.push_str(&run(
                &t,
                Style {
                    code: true,
                    ..style
                },
            )),
            Event::SoftBreak => runs.push_str(&run(" ", style)),
            Event::HardBreak => runs.push_str("<w:r><w:br/></w:r>"),
            Event::Rule => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
                out.push_str(r#"<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr></w:pPr></w:p>"#);
            }
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::Heading(_))
            | Event::End(TagEnd::Item) => {
                flush(&mut para, &mut runs, &mut out, &mut cell);
            }
            // Raw HTML, footnotes, math: not carried over.
            _ => {}
        }
    }
    flush(&mut para, &mut runs, &mut out, &mut cell);
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

fn styles() -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Microsoft YaHei"/><w:sz w:val="22"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="300" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>"#,
    );
    for (n, size) in [(1, 32), (2, 28), (3, 26), (4, 24), (5, 22), (6, 22)] {
        s.push_str(&format!(
            r#"<w:style w:type="paragraph" w:styleId="Heading{n}"><w:name w:val="heading {n}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="{lvl}"/></w:pPr><w:rPr><w:b/><w:sz w:val="{size}"/></w:rPr></w:style>"#,
            lvl = n - 1
        ));
    }
    s.push_str("</w:styles>");
    s
}

/// A .docx file of this titled Markdown document.
pub fn from_markdown(title: &str, markdown: &str) -> Result<Vec<u8>> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>{}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        body_xml(title, markdown)
    );
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let err = |e: zip::result::ZipError| Error::internal(format!("docx: {e}"));
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("word/_rels/document.xml.rels", DOC_RELS.to_owned()),
        ("word/styles.xml", styles()),
        ("word/document.xml", document),
    ] {
        zip.start_file(name, opts).map_err(err)?;
        zip.write_all(text.as_bytes()).map_err(Error::internal)?;
    }
    zip.finish().map_err(err)?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
        s
    }

    #[test]
    fn headings_tables_lists_and_code_become_word() {
        let md = "# 部署指南\n\n先**安装**，再运行 `hanlin`。\n\n## 步骤\n\n1. 下载\n2. 解压\n\n- [x] 已备份\n- [ ] 未通知\n\n| 项目 | 负责人 |\n|---|---|\n| 扩容 | 张伟 <b> |\n\n```\nfn main() {}\nlet a = 1 < 2;\n```\n\n> 注意 & 小心\n\n<script>alert(1)</script>\n";
        let bytes = from_markdown("标题 & <测试>", md).unwrap();
        let doc = part(&bytes, "word/document.xml");
        assert!(
            doc.contains(
                r#"<w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">部署指南"#
            ),
            "{doc}"
        );
        assert!(doc.contains(r#"<w:pStyle w:val="Heading2"/>"#));
        assert!(doc.contains("<w:b/></w:rPr><w:t xml:space=\"preserve\">安装"));
        assert!(doc.contains(">1. <") && doc.contains(">2. <"));
        assert!(doc.contains("☑ ") && doc.contains("☐ "));
        assert!(doc.contains("<w:tbl>") && doc.contains("张伟"));
        assert!(
            !doc.contains("<b>"),
            "inline HTML is dropped, never written raw"
        );
        assert!(doc.contains("let a = 1 &lt; 2;"));
        assert!(doc.contains("注意 &amp; 小心"));
        assert!(doc.contains("标题 &amp; &lt;测试&gt;"));
        assert!(!doc.contains("alert"), "raw HTML is dropped");
        let styles = part(&bytes, "word/styles.xml");
        assert!(styles.contains(r#"<w:name w:val="heading 1"/>"#));
        // Well-formed enough for an XML reader: every tag closes (a cheap balance check).
        assert_eq!(
            doc.matches("<w:tbl>").count(),
            doc.matches("</w:tbl>").count()
        );
        assert_eq!(
            doc.matches("<w:tc>").count(),
            doc.matches("</w:tc>").count()
        );
        assert_eq!(doc.matches("<w:p>").count(), doc.matches("</w:p>").count());
    }
}
