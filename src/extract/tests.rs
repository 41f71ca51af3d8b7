//! Tests of the extraction library. Fixtures are built here (zip files of WordprocessingML,
//! SpreadsheetML and PresentationML the way Chinese Office writes them; small PDFs written by
//! hand), except one PDF printed by Chromium from `testdata/chromium-zh.html` with Noto CJK.

use std::time::{Duration, Instant};

use super::testgen::*;
use super::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip written by hand, so sizes can lie: (name, method 0 stored / 8 deflate, data as
/// stored, declared uncompressed size, crc).
fn raw_zip(entries: &[(&str, u16, Vec<u8>, u32, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, method, data, size, crc) in entries {
        let off = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&method.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(data.len() as u32).to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                // Comment length, disk, internal and external attributes.
                h.extend_from_slice(&[0; 6]);
                h.extend_from_slice(&0u32.to_le_bytes());
                h.extend_from_slice(&off.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Raw deflate data that inflates to `mib` MiB of zeros: one sync-flushed block of 1 MiB
/// repeated (each copy only refers back to zeros), then an empty final block. Cheap to make.
fn deflate_zeros(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(1 << 16);
    c.compress_vec(&zeros, &mut block, FlushCompress::Sync)
        .unwrap();
    let mut out = Vec::with_capacity(block.len() * mib + 2);
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&[0x03, 0x00]);
    out
}

/// The Chromium-printed fixture (see `testdata/README.md`).
const CHROMIUM_PDF: &[u8] = include_bytes!("testdata/chromium-zh.pdf");

/// `haystack` with the last `from` replaced by `to`.
fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = memchr::memmem::rfind(haystack, from).unwrap();
    [&haystack[..at], to, &haystack[at + from.len()..]].concat()
}

fn small_limits() -> Limits {
    Limits {
        max_unzipped_bytes: 1 << 20,
        ..Limits::default()
    }
}

fn assert_failed(e: &Extracted, reason: &str) {
    assert_eq!(e.status, TextStatus::Failed, "{e:?}");
    assert_eq!(e.error.as_deref(), Some(reason), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Plain text

#[test]
fn utf8_with_and_without_bom() {
    assert_eq!(decode_text("中文 text".as_bytes()), "中文 text");
    assert_eq!(decode_text(b"\xEF\xBB\xBF\xE4\xB8\xAD"), "中");
}

#[test]
fn utf16_boms() {
    let s = "翰林 Hanlin\r\n第二行";
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
        be.extend_from_slice(&u.to_be_bytes());
    }
    assert_eq!(decode_text(&le), s);
    assert_eq!(decode_text(&be), s);
    let e = extract("记录.txt", &le, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok);
    assert_eq!(e.text, "翰林 Hanlin\r\n第二行");
    // Without a BOM, ASCII-heavy UTF-16 is still recognised.
    let no_bom: Vec<u8> = "log line 一\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(decode_text(&no_bom), "log line 一\n");
}

#[test]
fn gbk_text() {
    let s = "会议纪要：第一季度销售额增长百分之十二，华东地区表现最好。\r\n参会人员：张三、李四。";
    let (gbk, _, bad) = encoding_rs::GBK.encode(s);
    assert!(!bad);
    assert!(std::str::from_utf8(&gbk).is_err());
    assert_eq!(decode_text(&gbk), s);
    // Short files too (the detector has little to go on).
    let (short, _, _) = encoding_rs::GBK.encode("你好");
    assert_eq!(decode_text(&short), "你好");
    let (short, _, _) = encoding_rs::GBK.encode("中文文件名称");
    assert_eq!(decode_text(&short), "中文文件名称");
    let e = extract("纪要.txt", &gbk, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok);
    // NFKC: the full-width colon and comma become ASCII in the searchable text.
    assert!(
        e.text
            .starts_with("会议纪要:第一季度销售额增长百分之十二,华东"),
        "{}",
        e.text
    );
}

#[test]
fn gb18030_four_byte_text() {
    // 㐀 (U+3400), 𠀀 (U+20000) and € need GB18030's four-byte sequences; GBK has none.
    let s = "扩展汉字：㐀、𠀀，欧元€。这是一段用于检测编码的中文文本，长一点更可靠。";
    let (bytes, _, bad) = encoding_rs::GB18030.encode(s);
    assert!(!bad);
    assert_eq!(decode_text(&bytes), s);
}

#[test]
fn big5_text() {
    let s = "繁體中文的會議記錄，請各部門主管於週五前回覆。這份文件需要長一點才好判斷。";
    let (bytes, _, bad) = encoding_rs::BIG5.encode(s);
    assert!(!bad);
    assert_eq!(decode_text(&bytes), s);
}

#[test]
fn markdown_and_csv_are_text() {
    let (md, _, _) = encoding_rs::GBK.encode("# 标题\n\n正文内容，包含中文。");
    let e = extract("说明.md", &md, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok);
    assert_eq!(e.text, "# 标题\n\n正文内容,包含中文。");
    let e = extract(
        "a.csv",
        "姓名,年龄\n张三,30\n".as_bytes(),
        &Limits::default(),
    );
    assert_eq!(e.text, "姓名,年龄\n张三,30\n");
    assert!(e.pages.is_empty());
}

#[test]
fn unknown_binary_is_no_text() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    assert_eq!(
        extract("a.png", png, &Limits::default()).status,
        TextStatus::NoText
    );
    assert_eq!(
        extract("a.bin", &[0u8; 100], &Limits::default()).status,
        TextStatus::NoText
    );
    // A binary named .txt is not indexed as text either.
    assert_eq!(
        extract("a.txt", png, &Limits::default()).status,
        TextStatus::NoText
    );
}

#[test]
fn text_is_cut_at_the_limit() {
    let s = "汉".repeat(1000);
    let limits = Limits {
        max_text_bytes: 100,
        ..Limits::default()
    };
    let e = extract("a.txt", s.as_bytes(), &limits);
    assert!(e.truncated);
    assert_eq!(e.text.len(), 99);
    assert_eq!(e.text, "汉".repeat(33));
}

#[test]
fn status_serializes_in_snake_case() {
    let j = |s| serde_json::to_string(&s).unwrap();
    assert_eq!(j(TextStatus::Ok), "\"ok\"");
    assert_eq!(j(TextStatus::NoText), "\"no_text\"");
    assert_eq!(j(TextStatus::Failed), "\"failed\"");
    assert_eq!(TextStatus::NoText.as_str(), "no_text");
}

// ---------------------------------------------------------------------------------------------
// .docx

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="png" ContentType="image/png"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOC_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId10" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.com/docs" TargetMode="External"/><Relationship Id="rId20" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>"#;

fn cell(content: &str) -> String {
    format!(r#"<w:tc><w:tcPr><w:tcW w:w="2765" w:type="dxa"/></w:tcPr>{content}</w:tc>"#)
}

const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\nfake image bytes";

fn docx_body() -> String {
    let mut b = String::new();
    b += &para(Some("1"), &run("项目概述"));
    b += &para(
        None,
        &format!(
            r#"{}<w:r><w:rPr><w:rFonts w:hint="eastAsia"/><w:b/><w:bCs/></w:rPr><w:t>重要</w:t></w:r>{}<w:r><w:rPr><w:i/></w:rPr><w:t>说明</w:t></w:r><w:r><w:t xml:space="preserve">，详见 </w:t></w:r><w:hyperlink r:id="rId10" w:history="1"><w:r><w:rPr><w:rStyle w:val="a6"/></w:rPr><w:t>官网</w:t></w:r></w:hyperlink>{}"#,
            run("这是"),
            run("的"),
            run("。")
        ),
    );
    b += &para(Some("2"), &run("背景"));
    b += &para(Some("a3"), &run("自定义标题"));
    b += &para(Some("a7"), &run("大纲级别"));
    b += &format!(
        r#"<w:p><w:pPr><w:outlineLvl w:val="3"/></w:pPr>{}</w:p>"#,
        run("段落大纲")
    );
    b += &item(1, 0, "第一项");
    b += &item(1, 1, "子项");
    b += &item(1, 0, "第二项");
    b += &para(None, &run("中间段落"));
    b += &item(2, 0, "步骤一");
    b += &item(2, 1, "细节");
    b += &item(2, 0, "步骤二");
    b += r#"<w:tbl><w:tblPr><w:tblStyle w:val="a8"/><w:tblW w:w="0" w:type="auto"/><w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid><w:gridCol w:w="2765"/><w:gridCol w:w="2765"/><w:gridCol w:w="2766"/></w:tblGrid>"#;
    b += &format!(
        "<w:tr>{}{}{}</w:tr>",
        cell(&para(None, &run("姓名"))),
        cell(&para(None, &run("部门"))),
        cell(&para(None, &run("备注")))
    );
    b += &format!(
        "<w:tr>{}{}{}</w:tr>",
        cell(&para(None, &run("张三"))),
        cell(&para(None, &run("研发"))),
        cell(
            &(para(None, r#"<w:r><w:rPr><w:b/></w:rPr><w:t>负责人</w:t></w:r>"#)
                + &para(None, &run("a|b")))
        )
    );
    b += "</w:tbl>";
    b += &para(
        None,
        r#"<w:r><w:rPr><w:noProof/></w:rPr><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="5274310" cy="2966720"/><wp:docPr id="1" name="图片 1"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="0" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rId20"><a:extLst/></a:blip><a:stretch><a:fillRect/></a:stretch></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#,
    );
    b += &para(
        None,
        &format!(
            r#"<w:r><w:rPr><w:rStyle w:val="a4"/></w:rPr><w:t>强调</w:t></w:r>{}"#,
            run("文字")
        ),
    );
    // A text box: Word writes it twice (DrawingML choice, VML fallback); read it once.
    b += &para(
        None,
        &format!(
            r#"<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><wps:wsp><wps:txbx><w:txbxContent>{0}</w:txbxContent></wps:txbx></wps:wsp></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>{0}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>{1}"#,
            para(None, &run("文本框")),
            run("图注")
        ),
    );
    b += &para(
        None,
        &format!(
            r#"{}<w:del w:id="1" w:author="张三" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>删除的</w:delText></w:r></w:del><w:ins w:id="2" w:author="张三"><w:r><w:t>插入的</w:t></w:r></w:ins>"#,
            run("保留")
        ),
    );
    b += &para(
        None,
        r#"<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "https://hanlin.example/x" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr><w:rStyle w:val="a6"/></w:rPr><w:t>字段链接</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
    );
    b += &para(None, &run("1. 不是列表 *星号* #号 &amp; &lt;标签&gt;"));
    b += &para(
        None,
        r#"<w:r><w:t>第一行</w:t><w:br/><w:t>第二行</w:t></w:r>"#,
    );
    b += "<w:p/>";
    b += &para(Some("1"), "");
    b += &para(Some("a9"), &run("循环样式"));
    b += r#"<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800" w:header="851" w:footer="992" w:gutter="0"/><w:cols w:space="425"/><w:docGrid w:type="lines" w:linePitch="312"/></w:sectPr>"#;
    b
}

fn docx_with(body: &str) -> Vec<u8> {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W_NS}><w:body>{body}</w:body></w:document>"#
    );
    zip(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
        ("word/_rels/document.xml.rels", DOC_RELS.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
        ("word/numbering.xml", NUMBERING.as_bytes()),
        ("word/media/image1.png", PNG_BYTES),
    ])
}

const EXPECTED_MD: &str = r"# 项目概述

这是**重要**的*说明*，详见 [官网](https://example.com/docs)。

## 背景

## 自定义标题

### 大纲级别

#### 段落大纲

- 第一项
    - 子项
- 第二项

中间段落

1. 步骤一
    1. 细节
2. 步骤二

| 姓名 | 部门 | 备注 |
| --- | --- | --- |
| 张三 | 研发 | **负责人** a\|b |

![](attachment:image1.png)

**强调**文字

文本框

图注

保留插入的

[字段链接](https://hanlin.example/x)

1\. 不是列表 \*星号\* #号 & \<标签\>

第一行\
第二行

循环样式
";

#[test]
fn docx_as_chinese_word_writes_it() {
    let bytes = docx_with(&docx_body());
    let (md, images) = docx_to_markdown(&bytes, &Limits::default()).unwrap();
    assert_eq!(md, EXPECTED_MD, "\n{md}");
    assert_eq!(
        images,
        vec![Image {
            name: "image1.png".into(),
            content_type: "image/png".into(),
            bytes: PNG_BYTES.to_vec(),
        }]
    );
    let e = extract("方案.docx", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok);
    assert_eq!(e.markdown.as_deref(), Some(EXPECTED_MD));
    assert_eq!(e.images.len(), 1);
    assert!(e.pages.is_empty());
    // The searchable text: the same content, no Markdown, NFKC.
    let expected_text = "项目概述\n这是重要的说明,详见 官网。\n背景\n自定义标题\n大纲级别\n段落大纲\n第一项\n子项\n第二项\n中间段落\n步骤一\n细节\n步骤二\n姓名\t部门\t备注\n张三\t研发\t负责人 a|b\n强调文字\n文本框\n图注\n保留插入的\n字段链接\n1. 不是列表 *星号* #号 & <标签>\n第一行\n第二行\n循环样式\n";
    assert_eq!(e.text, expected_text);
    // The .docx is recognised by its content too.
    assert_eq!(
        extract("upload.bin", &bytes, &Limits::default())
            .markdown
            .as_deref(),
        Some(EXPECTED_MD)
    );
}

#[test]
fn docx_table_spans_and_merges() {
    let tc = |attrs: &str, text: &str| {
        format!(
            "<w:tc><w:tcPr>{attrs}</w:tcPr>{}</w:tc>",
            para(None, &run(text))
        )
    };
    let body = format!(
        "<w:tbl><w:tr>{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr>{}{}{}</w:tr></w:tbl>",
        tc(r#"<w:gridSpan w:val="2"/>"#, "合并表头"),
        tc("", "列三"),
        tc(r#"<w:vMerge w:val="restart"/>"#, "纵向"),
        tc("", "b"),
        tc("", "c"),
        tc("<w:vMerge/>", "不显示"),
        tc("", "e"),
        tc("", "f"),
    );
    let (md, _) = docx_to_markdown(&docx_with(&body), &Limits::default()).unwrap();
    assert_eq!(
        md,
        "| 合并表头 | | 列三 |\n| --- | --- | --- |\n| 纵向 | b | c |\n| | e | f |\n"
    );
}

#[test]
fn docx_zip_bomb_fails_fast() {
    // word/document.xml inflates to 300 MiB (past the 256 MiB cap) but says it is 100 bytes.
    let bomb = deflate_zeros(300);
    let bytes = raw_zip(&[
        (
            "[Content_Types].xml",
            0,
            CONTENT_TYPES.as_bytes().to_vec(),
            CONTENT_TYPES.len() as u32,
            crc32(CONTENT_TYPES.as_bytes()),
        ),
        ("word/document.xml", 8, bomb, 100, 0),
    ]);
    assert!(bytes.len() < 1 << 20);
    let t = Instant::now();
    let e = extract("炸弹.docx", &bytes, &Limits::default());
    let took = t.elapsed();
    eprintln!("docx bomb (300 MiB in {} KB): {took:?}", bytes.len() >> 10);
    assert_eq!(e.status, TextStatus::Failed, "{e:?}");
    assert!(
        e.error.as_deref() == Some("压缩内容过大（疑似压缩炸弹）")
            || e.error.as_deref() == Some("Word 文档已损坏或不完整"),
        "{e:?}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
    // With the size declared honestly, the header alone is refused.
    let bytes = raw_zip(&[("word/document.xml", 8, deflate_zeros(300), 300 << 20, 0)]);
    let e = extract("炸弹.docx", &bytes, &Limits::default());
    assert_failed(&e, "压缩内容过大（疑似压缩炸弹）");
    // A real zip with a 2 MiB part against a 1 MiB cap: the counting reader stops it.
    let big = "<w:p/>".repeat(400_000);
    let bytes = docx_with(&big);
    let e = extract("大.docx", &bytes, &small_limits());
    assert_failed(&e, "压缩内容过大（疑似压缩炸弹）");
}

#[test]
fn docx_total_inflate_budget_spans_entries() {
    // Each image is under the per-entry cap, together they are over it.
    let img = vec![7u8; 600 << 10];
    let rels = DOC_RELS.replace(
        r#"<Relationship Id="rId20""#,
        r#"<Relationship Id="rId21" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image2.png"/><Relationship Id="rId20""#,
    );
    let body = para(
        None,
        r#"<w:r><w:drawing><a:blip r:embed="rId20"/></w:drawing></w:r><w:r><w:drawing><a:blip r:embed="rId21"/></w:drawing></w:r>"#,
    );
    let doc = format!(r#"<w:document {W_NS}><w:body>{body}</w:body></w:document>"#);
    let bytes = zip(&[
        ("word/document.xml", doc.as_bytes()),
        ("word/_rels/document.xml.rels", rels.as_bytes()),
        ("word/media/image1.png", &img),
        ("word/media/image2.png", &img),
    ]);
    let e = extract("图.docx", &bytes, &small_limits());
    assert_failed(&e, "压缩内容过大（疑似压缩炸弹）");
    let e = extract("图.docx", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok);
    assert_eq!(
        e.markdown.as_deref(),
        Some("![](attachment:image1.png)![](attachment:image2.png)\n")
    );
    assert_eq!(e.images.len(), 2);
}

#[test]
fn docx_deep_xml_fails() {
    let body = "<w:sdt>".repeat(100_000) + &"</w:sdt>".repeat(100_000);
    let bytes = docx_with(&body);
    let t = Instant::now();
    let e = extract("深.docx", &bytes, &Limits::default());
    assert_failed(&e, "嵌套层级过深");
    assert!(t.elapsed() < Duration::from_secs(10));
    // Unclosed, too.
    let e = extract(
        "深.docx",
        &docx_with(&"<w:p>".repeat(100_000)),
        &Limits::default(),
    );
    assert_failed(&e, "嵌套层级过深");
    // Within the cap it reads.
    let body = "<w:sdt><w:sdtContent>".repeat(50)
        + &para(None, &run("内容"))
        + &"</w:sdtContent></w:sdt>".repeat(50);
    assert_eq!(
        docx_to_markdown(&docx_with(&body), &Limits::default())
            .unwrap()
            .0,
        "内容\n"
    );
}

#[test]
fn docx_too_many_entries_fails() {
    let names: Vec<String> = (0..10_001)
        .map(|i| format!("word/media/x{i}.bin"))
        .collect();
    let mut entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let doc = format!(r#"<w:document {W_NS}><w:body/></w:document>"#);
    entries.push(("word/document.xml", doc.as_bytes()));
    let bytes = zip(&entries);
    assert_failed(
        &extract("多.docx", &bytes, &Limits::default()),
        "压缩包内文件过多",
    );
}

#[test]
fn docx_broken_files_fail_cleanly() {
    let bytes = docx_with(&docx_body());
    for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 30] {
        let e = extract("断.docx", &bytes[..cut], &Limits::default());
        assert_eq!(e.status, TextStatus::Failed, "cut at {cut}: {e:?}");
        assert!(e.error.is_some());
    }
    // A zip without word/document.xml.
    let e = extract("空.docx", &zip(&[("a.txt", b"x")]), &Limits::default());
    assert_failed(&e, "Word 文档已损坏或不完整");
    // Not a zip at all.
    let e = extract("假.docx", b"this is not a zip", &Limits::default());
    assert_failed(&e, "Word 文档已损坏或不完整");
}

#[test]
fn docx_utf16_part() {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-16"?><w:document {W_NS}><w:body>{}</w:body></w:document>"#,
        para(None, &run("十六位"))
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in doc.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let bytes = zip(&[("word/document.xml", &utf16)]);
    assert_eq!(
        docx_to_markdown(&bytes, &Limits::default()).unwrap().0,
        "十六位\n"
    );
}

// ---------------------------------------------------------------------------------------------
// .xlsx and .pptx

fn xlsx() -> Vec<u8> {
    let workbook = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="销售" sheetId="1" r:id="rId1"/><sheet name="Sheet2" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    let sst = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>产品</t></si><si><t>数量</t></si><si><r><rPr><b/></rPr><t>华为</t></r><r><t>手机</t></r><rPh sb="0" eb="2"><t>huawei</t></rPh></si></sst>"#;
    let sheet1 = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>100</v></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>备注</t></is></c><c r="C3" t="str"><f>A1&amp;"合计"</f><v>合计</v></c></row><row r="4"/></sheetData></worksheet>"#;
    let sheet2 = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" s="1"/><c r="C1" t="e"><v>#DIV/0!</v></c></row></sheetData></worksheet>"#;
    zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet1.as_bytes()),
        ("xl/worksheets/sheet2.xml", sheet2.as_bytes()),
    ])
}

#[test]
fn xlsx_sheets_and_cells() {
    let e = extract("报表.xlsx", &xlsx(), &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    let first = "销售\n产品\t数量\n华为手机\t100\n备注\t\t合计\n";
    assert_eq!(e.text, format!("{first}Sheet2\nTRUE\t\t#DIV/0!"));
    assert_eq!(e.pages, vec![0, first.len()]);
}

fn pptx() -> Vec<u8> {
    let pres = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:presentation xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:sldMasterIdLst><p:sldMasterId id="2147483648" r:id="rId1"/></p:sldMasterIdLst><p:sldIdLst><p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slideMaster" Target="slideMasters/slideMaster1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide2.xml"/></Relationships>"#;
    let slide = |title: &str, body: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/><a:p><a:r><a:rPr lang="zh-CN" altLang="en-US"/><a:t>{title}</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:txBody><a:p><a:r><a:t>{body}</a:t></a:r><a:br/><a:r><a:t>第二行</a:t></a:r></a:p><a:p><a:endParaRPr/></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
        )
    };
    let s1 = slide("第二张", "后面");
    let s2 = slide("第一张", "开场");
    zip(&[
        ("ppt/presentation.xml", pres.as_bytes()),
        ("ppt/_rels/presentation.xml.rels", rels.as_bytes()),
        ("ppt/slides/slide1.xml", s1.as_bytes()),
        ("ppt/slides/slide2.xml", s2.as_bytes()),
    ])
}

#[test]
fn pptx_slides_in_order() {
    let e = extract("汇报.pptx", &pptx(), &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    let first = "第一张\n开场\n第二行\n";
    assert_eq!(e.text, format!("{first}第二张\n后面\n第二行"));
    assert_eq!(e.pages, vec![0, first.len()]);
}

// ---------------------------------------------------------------------------------------------
// PDF

#[test]
fn chromium_pdf_chinese_text_and_pages() {
    let bytes = CHROMIUM_PDF.to_vec();
    let e = extract("测试.pdf", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.pages.len(), 3);
    let page = |i: usize| -> &str {
        let end = e.pages.get(i + 1).copied().unwrap_or(e.text.len());
        &e.text[e.pages[i]..end]
    };
    assert_eq!(
        page(0),
        "翰林知识库测试文档\n第一页:中华人民共和国的首都是北京。Hanlin supports search.\n"
    );
    assert!(page(1).starts_with("第二章 检索\n第二页:全文检索需要正确提取附件中的中文文字,包括标点符号,例如“引号”和(括号)。"), "{}", page(1));
    // A sentence wrapped over several lines comes back whole.
    assert!(
        page(1).contains(
            "这样才能检验折行处的中文词语是否被正确地连接起来,而不是在词语中间插入换行符"
        ),
        "{}",
        page(1)
    );
    assert!(page(1).contains("the quick brown fox jumps over the lazy dog"));
    assert_eq!(
        page(2),
        "第三页:繁體中文也要支持。数字 12345,英文 hello world。"
    );
}

/// One page with font F1 (object 5) and the content given; `extra` objects from 6 on.
fn one_page(font: &str, content: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        o(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        ),
        stream("/Filter /FlateDecode", &zlib(content)),
        o(font),
    ];
    objs.extend_from_slice(extra);
    pdf(&objs, "")
}

#[test]
fn pdf_unigb_ucs2_without_tounicode() {
    // Chinese e-invoices (OFD converted) use SimSun by name, UniGB-UCS2-H, nothing embedded.
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"BT /F1 12 Tf 72 720 Td <53D1796853F700200041> Tj ET",
        &[o(CID_DESC)],
    );
    let e = extract("发票.pdf", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "发票号 A");
    assert_eq!(e.pages, vec![0]);
}

#[test]
fn pdf_gbk_euc_without_tounicode() {
    // Chinese official-document systems: GBK-EUC-H, codes are GBK bytes (one byte for ASCII).
    let (gbk, _, _) = encoding_rs::GBK.encode("会议纪要");
    let hex: String = gbk.iter().map(|b| format!("{b:02X}")).collect();
    let content = format!("BT /F1 16 Tf 72 720 Td <{hex}> Tj 0 -24 Td (2024) Tj ET");
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type0 /BaseFont /FZXBSJW--GB1-0 /Encoding /GBK-EUC-H /DescendantFonts [6 0 R] >>",
        content.as_bytes(),
        &[o(CID_DESC)],
    );
    let e = extract("纪要.pdf", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "会议纪要\n2024");
}

#[test]
fn pdf_gbk2k_four_byte_codes() {
    let (code, _, _) = encoding_rs::GB18030.encode("㐀中");
    let hex: String = code.iter().map(|b| format!("{b:02X}")).collect();
    let content = format!("BT /F1 12 Tf 72 720 Td <{hex}41> Tj ET");
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /GBK2K-H /DescendantFonts [6 0 R] >>",
        content.as_bytes(),
        &[o(CID_DESC)],
    );
    assert_eq!(extract("a.pdf", &bytes, &Limits::default()).text, "㐀中A");
}

const TOUNICODE: &str = "/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
2 beginbfchar
<0001> <4E2D>
<0010> <D840DC00>
endbfchar
2 beginbfrange
<0002> <0003> <6587>
<0004> <0005> [<5B57> <7B26>]
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end";

#[test]
fn pdf_identity_h_with_tounicode() {
    let content =
        b"BT /F1 12 Tf 72 720 Td <0001000200040005> Tj 0 -18 Td [<0003> -120 <0010>] TJ ET";
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        content,
        &[o(CID_DESC), stream("", TOUNICODE.as_bytes())],
    );
    let e = extract("a.pdf", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    // 文 + 1 from the bfrange is 斈; <0010> is a surrogate pair (𠀀).
    assert_eq!(e.text, "中文字符\n斈𠀀");
}

#[test]
fn pdf_identity_h_without_tounicode_is_no_text() {
    let content = b"BT /F1 12 Tf 72 720 Td <0001000200030004000500060007> Tj ET";
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        content,
        &[o(CID_DESC)],
    );
    let e = extract("a.pdf", &bytes, &Limits::default());
    assert_eq!(e.status, TextStatus::NoText, "{e:?}");
    assert_eq!(
        e.error.as_deref(),
        Some("PDF 中的文字无法识别（字体缺少编码信息）")
    );
    assert!(e.text.is_empty());
}

#[test]
fn pdf_scanned_image_only_is_no_text() {
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        o(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        ),
        stream("", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        stream(
            "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
            b"\xFF\xD8\xFF\xE0 not really a jpeg",
        ),
    ];
    let e = extract("扫描件.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::NoText, "{e:?}");
    assert_eq!(
        e.error.as_deref(),
        Some("PDF 中没有可提取的文字（可能是扫描件或图片）")
    );
}

#[test]
fn pdf_simple_fonts_encodings_and_spacing() {
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [65 /uni4E2D /B.alt /fi] >> >>";
    // Two words placed apart by TJ kerning, an inline image to skip, a second line with
    // `'`, and a form XObject drawing more text.
    let content = b"BT /F1 10 Tf 1 0 0 1 72 720 Tm [(Hello) -600 (World)] TJ ET\nBI /W 4 /H 4 /BPC 8 /CS /G ID \x00\x01EI\x02BT ET\x03 EI\nBT /F1 10 Tf 72 700 Td 14 TL (ABCD) Tj (caf\xE9) ' ET /X1 Do";
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        o(
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> /Contents 4 0 R >>",
        ),
        stream("", content),
        o(font),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Matrix [1 0 0 1 0 -100]",
            b"BT /F1 10 Tf 72 600 Td (Form text) Tj /X1 Do ET",
        ),
    ];
    let e = extract("a.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "Hello World\n中BfiD\ncafé\nForm text");
}

#[test]
fn pdf_pages_inherit_resources_and_keep_offsets() {
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R 7 0 R] /Count 3 /Resources << /Font << /F1 5 0 R >> >> >>"),
        o("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"),
        stream("", b"BT /F1 12 Tf 72 720 Td (page one) Tj ET"),
        o("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        stream("", b"BT /F1 12 Tf 72 720 Td (page three) Tj ET"),
        o("<< /Type /Pages /Parent 2 0 R /Kids [8 0 R 9 0 R] /Count 2 >>"),
        o("<< /Type /Page /Parent 7 0 R /Contents [10 0 R 11 0 R] >>"),
        o("<< /Type /Page /Parent 7 0 R /Contents 6 0 R >>"),
        stream("", b"BT /F1 12 Tf 72 720 Td (page"),
        stream("", b" two) Tj ET"),
    ];
    let e = extract("a.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "page one\npage two\npage three");
    assert_eq!(e.pages, vec![0, 9, 18]);
    // max_pages keeps the first pages.
    let limits = Limits {
        max_pages: 2,
        ..Limits::default()
    };
    let e = extract("a.pdf", &pdf(&objs, ""), &limits);
    assert_eq!(e.text, "page one\npage two");
    assert!(e.truncated);
}

#[test]
fn pdf_xref_stream_and_object_stream() {
    let out = xref_stream_pdf();
    let e = extract("a.pdf", &out, &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "compressed objects");
    // The same file with its xref stream destroyed is rebuilt by scanning.
    let mut broken = out.clone();
    let at = broken.len() - 30;
    broken[at..].fill(b' ');
    let e = extract("a.pdf", &broken, &Limits::default());
    assert_eq!(e.text, "compressed objects", "{e:?}");
}

fn xref_stream_pdf() -> Vec<u8> {
    // PDF 1.5 style: objects 2..5 in an object stream, the table an xref stream with a PNG
    // predictor, as Word and WPS write them.
    let content = b"BT /F1 12 Tf 72 720 Td (compressed objects) Tj ET";
    let inner = [
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ];
    let nums = [2, 3, 5];
    let mut header = String::new();
    let mut body = String::new();
    for (n, s) in nums.iter().zip(inner) {
        header += &format!("{n} {} ", body.len());
        body += s;
        body += "\n";
    }
    let objstm_data = format!("{header}\n{body}");
    let mut out = b"%PDF-1.5\n".to_vec();
    let off1 = out.len();
    out.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    let off4 = out.len();
    out.extend_from_slice(b"4 0 obj\n");
    out.extend(stream("/Filter /FlateDecode", &zlib(content)));
    out.extend_from_slice(b"\nendobj\n");
    let off6 = out.len();
    out.extend_from_slice(b"6 0 obj\n");
    out.extend(stream(
        &format!(
            "/Type /ObjStm /N 3 /First {} /Filter /FlateDecode",
            header.len() + 1
        ),
        &zlib(objstm_data.as_bytes()),
    ));
    out.extend_from_slice(b"\nendobj\n");
    let off7 = out.len();
    // Rows: type(1) field2(4) field3(2), PNG Up predictor per row.
    let rows: Vec<[u8; 7]> = vec![
        [0, 0, 0, 0, 0, 0xFF, 0xFF],
        row(1, off1 as u32, 0),
        row(2, 6, 0),
        row(2, 6, 1),
        row(1, off4 as u32, 0),
        row(2, 6, 2),
        row(1, off6 as u32, 0),
        row(1, off7 as u32, 0),
    ];
    fn row(t: u8, f2: u32, f3: u16) -> [u8; 7] {
        let a = f2.to_be_bytes();
        let b = f3.to_be_bytes();
        [t, a[0], a[1], a[2], a[3], b[0], b[1]]
    }
    let mut predicted = Vec::new();
    let mut prev = [0u8; 7];
    for r in &rows {
        predicted.push(2u8);
        for i in 0..7 {
            predicted.push(r[i].wrapping_sub(prev[i]));
        }
        prev = *r;
    }
    out.extend_from_slice(b"7 0 obj\n");
    out.extend(stream(
        "/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Columns 7 /Predictor 12 >>",
        &zlib(&predicted),
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{off7}\n%%EOF\n").as_bytes());
    out
}

#[test]
fn pdf_wrong_xref_offsets_are_recovered() {
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"BT /F1 12 Tf 72 720 Td (shifted) Tj ET",
        &[],
    );
    // Insert junk after the header: every offset in the table is now wrong.
    let mut shifted = bytes[..9].to_vec();
    shifted.extend_from_slice(b"% some junk a tool added\n");
    shifted.extend_from_slice(&bytes[9..]);
    let e = extract("a.pdf", &shifted, &Limits::default());
    assert_eq!(e.text, "shifted", "{e:?}");
}

#[test]
fn pdf_truncated_fails() {
    let bytes = CHROMIUM_PDF.to_vec();
    for frac in [2usize, 3, 5] {
        let cut = bytes.len() * (frac - 1) / frac;
        let t = Instant::now();
        let e = extract("断.pdf", &bytes[..cut], &Limits::default());
        assert_failed(&e, "PDF 文件已损坏或不完整");
        assert!(t.elapsed() < Duration::from_secs(5));
    }
    for cut in [5, 100, 1000] {
        let e = extract("断.pdf", &bytes[..cut], &Limits::default());
        assert_failed(&e, "PDF 文件已损坏或不完整");
    }
    assert_failed(
        &extract("空.pdf", b"", &Limits::default()),
        "PDF 文件已损坏或不完整",
    );
}

#[test]
fn pdf_page_tree_loops_fail() {
    // A Pages node that lists itself.
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>"),
        o("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"),
        stream("", b""),
    ];
    assert_failed(
        &extract("环.pdf", &pdf(&objs, ""), &Limits::default()),
        "PDF 页面结构存在循环引用",
    );
    // A 10,000-node chain of Pages nodes whose last one points back at the first.
    let mut objs = vec![o("<< /Type /Catalog /Pages 2 0 R >>")];
    for i in 0..10_000 {
        let next = if i == 9_999 { 2 } else { i + 3 };
        objs.push(o(&format!(
            "<< /Type /Pages /Kids [{next} 0 R] /Count 10000 >>"
        )));
    }
    let t = Instant::now();
    let e = extract("环.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::Failed, "{e:?}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // A tree that claims 10,000 pages, all the same page object: read once.
    let kids = "3 0 R ".repeat(10_000);
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o(&format!(
            "<< /Type /Pages /Kids [{kids}] /Count 10000 /Resources << /Font << /F1 5 0 R >> >> >>"
        )),
        o("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"),
        stream("", b"BT /F1 12 Tf (once) Tj ET"),
        o("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    ];
    let e = extract("a.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.text, "once", "{e:?}");
    assert_eq!(e.pages.len(), 1);
    // 100,000 levels deep, no loop.
    let mut objs = vec![o("<< /Type /Catalog /Pages 2 0 R >>")];
    for i in 0..100_000 {
        objs.push(o(&format!("<< /Type /Pages /Kids [{} 0 R] >>", i + 3)));
    }
    let t = Instant::now();
    let e = extract("深.pdf", &pdf(&objs, ""), &Limits::default());
    assert_failed(&e, "嵌套层级过深");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn pdf_reference_cycles_and_self_drawing_forms_end() {
    // Contents -> 6 -> 7 -> 6 ...
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] >>"),
        o("<< /Type /Page /Contents 4 0 R /Resources 5 0 R >>"),
        o("6 0 R"),
        o("<< /XObject << /X 8 0 R >> /Font << /F1 9 0 R >> >>"),
        o("7 0 R"),
        o("6 0 R"),
        stream("/Subtype /Form", b"BT /F1 9 Tf (x) Tj ET /X Do"),
        o("<< /Subtype /Type1 /BaseFont /Helvetica >>"),
    ];
    let e = extract("环.pdf", &pdf(&objs, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::Failed, "{e:?}");
    // A form that draws itself: drawn once, no hang.
    let mut objs2 = objs.clone();
    objs2[3] = stream("", b"/X Do");
    let e = extract("环.pdf", &pdf(&objs2, ""), &Limits::default());
    assert_eq!(e.status, TextStatus::Ok, "{e:?}");
    assert_eq!(e.text, "x");
    // Forms drawing forms ten times each, eight deep: 10^8 draws are refused, quickly.
    let mut objs3 = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] >>"),
        o("<< /Type /Page /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>"),
        stream("", b"/X Do"),
    ];
    for level in 0..8 {
        let next = 6 + level;
        objs3.push(stream(
            &format!("/Subtype /Form /Resources << /XObject << /X {next} 0 R >> >>"),
            "/X Do ".repeat(10).as_bytes(),
        ));
    }
    objs3.push(stream("/Subtype /Form", b"BT ET"));
    let t = Instant::now();
    let e = extract("炸弹.pdf", &pdf(&objs3, ""), &Limits::default());
    assert_failed(&e, "PDF 内容过于复杂，无法在限定时间内读取");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn pdf_xref_prev_loop_ends() {
    let bytes = one_page(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"BT /F1 12 Tf (ok) Tj ET",
        &[],
    );
    let xref = memchr::memmem::rfind(&bytes, b"xref\n0").unwrap();
    let bytes = replace_bytes(
        &bytes,
        b"/Root 1 0 R",
        format!("/Root 1 0 R /Prev {xref}").as_bytes(),
    );
    assert_eq!(extract("a.pdf", &bytes, &Limits::default()).text, "ok");
}

#[test]
fn pdf_decompression_bomb_fails() {
    let bomb = {
        let mut z = vec![0x78, 0x9C];
        z.extend(deflate_zeros(300));
        z
    };
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] >>"),
        o("<< /Type /Page /Contents 4 0 R >>"),
        stream("/Filter /FlateDecode", &bomb),
    ];
    let t = Instant::now();
    let e = extract("炸弹.pdf", &pdf(&objs, ""), &Limits::default());
    assert_failed(&e, "压缩内容过大（疑似压缩炸弹）");
    eprintln!("pdf stream bomb (300 MiB): {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    // Many streams, each under the cap, together over four times it.
    let small = {
        let mut z = vec![0x78, 0x9C];
        z.extend(deflate_zeros(1));
        z
    };
    let mut objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] >>"),
        o(&format!(
            "<< /Type /Page /Contents [{}] >>",
            (4..14)
                .map(|i| format!("{i} 0 R"))
                .collect::<Vec<_>>()
                .join(" ")
        )),
    ];
    for _ in 0..10 {
        objs.push(stream("/Filter /FlateDecode", &small));
    }
    let limits = Limits {
        max_unzipped_bytes: 2 << 20,
        ..Limits::default()
    };
    assert_failed(
        &extract("炸弹.pdf", &pdf(&objs, ""), &limits),
        "压缩内容过大（疑似压缩炸弹）",
    );
}

#[test]
fn pdf_deep_arrays_and_encryption_fail() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o(&format!("<< /Type /Pages /Kids [3 0 R] /X {deep} >>")),
        o("<< /Type /Page >>"),
    ];
    assert_failed(
        &extract("深.pdf", &pdf(&objs, ""), &Limits::default()),
        "嵌套层级过深",
    );
    // Deep arrays inside a content stream.
    let bytes = one_page(
        "<< /Subtype /Type1 /BaseFont /Helvetica >>",
        deep.as_bytes(),
        &[],
    );
    assert_failed(
        &extract("深.pdf", &bytes, &Limits::default()),
        "嵌套层级过深",
    );
    let bytes = one_page(
        "<< /Subtype /Type1 /BaseFont /Helvetica >>",
        b"BT (x) Tj ET",
        &[o("<< /Filter /Standard /V 2 /R 3 >>")],
    );
    let bytes = replace_bytes(&bytes, b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 6 0 R");
    assert_failed(
        &extract("密.pdf", &bytes, &Limits::default()),
        "文件已加密，无法读取文字",
    );
}

#[test]
fn actual_text_spans() {
    // As Chromium writes a glyph whose Unicode a ToUnicode map cannot say.
    let content = b"BT /F1 12 Tf 72 720 Td (A) Tj /Span << /ActualText <FEFF6587> >> BDC <01> Tj EMC (B) Tj ET";
    let bytes = one_page("<< /Subtype /Type1 /BaseFont /Helvetica >>", content, &[]);
    assert_eq!(extract("a.pdf", &bytes, &Limits::default()).text, "A文B");
}

#[test]
fn fake_bold_overprint_is_read_once() {
    let content = b"BT /F1 12 Tf 72 720 Td (Bold) Tj ET BT /F1 12 Tf 72.3 720 Td (Bold) Tj ET";
    let bytes = one_page("<< /Subtype /Type1 /BaseFont /Helvetica >>", content, &[]);
    assert_eq!(extract("a.pdf", &bytes, &Limits::default()).text, "Bold");
}

#[test]
fn large_hostile_inputs_are_bounded() {
    // 50 MB in release builds, where each case must take under 2 s; 8 MB in debug builds.
    let (size, max) = if cfg!(debug_assertions) {
        (8usize << 20, Duration::from_secs(30))
    } else {
        (50usize << 20, Duration::from_secs(2))
    };
    let mb = size >> 20;
    let check = |what: &str, t: Instant| {
        let took = t.elapsed();
        eprintln!("{what}: {took:?}");
        assert!(took < max, "{what}: {took:?}");
    };
    let limits = Limits::default();
    // A header, then the same broken object over and over.
    let mut junk = b"%PDF-1.4\n".to_vec();
    let unit = b"1 0 obj << /Type /Pages /Kids [1 0 R] >> endobj 2 0 obj [ (\\(((";
    while junk.len() < size {
        junk.extend_from_slice(unit);
    }
    let t = Instant::now();
    let e = extract("大.pdf", &junk, &limits);
    assert_eq!(e.status, TextStatus::Failed, "{e:?}");
    check(&format!("{mb} MB of one broken object repeated"), t);
    // A million small objects and no usable table (the scan rebuilds it).
    let mut many = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] >> endobj\n3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n".to_vec();
    let mut i = 5u32;
    while many.len() < size {
        many.extend_from_slice(
            format!("{i} 0 obj << /A [{i} 0 R 1 2 3] /B (text) >> endobj\n").as_bytes(),
        );
        i += 1;
    }
    let t = Instant::now();
    let e = extract("多.pdf", &many, &limits);
    assert_eq!(e.status, TextStatus::Failed);
    check(&format!("{mb} MB PDF of {i} objects, no xref"), t);
    // Content operators on one page.
    let ops = "1 0 0 1 0 0 cm q 0 0 m 10 10 l S Q BT /F1 12 Tf (x) Tj ET\n".repeat(size / 60);
    let bytes = one_page(
        "<< /Subtype /Type1 /BaseFont /Helvetica >>",
        ops.as_bytes(),
        &[],
    );
    let t = Instant::now();
    let e = extract("长.pdf", &bytes, &limits);
    // The same glyph drawn on the same spot is read once.
    assert_eq!(e.text, "x");
    check(&format!("PDF with {} MB of content", ops.len() >> 20), t);
    // GBK text.
    let big_text = chinese_paragraph(0).repeat(size / 270);
    let (gbk, _, _) = encoding_rs::GBK.encode(&big_text);
    let t = Instant::now();
    let e = extract("大.txt", &gbk, &limits);
    assert_eq!(e.status, TextStatus::Ok);
    check(&format!("{} MB of GBK text", gbk.len() >> 20), t);
    // 64 fonts, each with a ToUnicode map of all 65,536 codes.
    let mut objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        o("<< /Type /Pages /Kids [3 0 R] >>"),
        Vec::new(),
    ];
    let mut fonts = String::new();
    let mut content = String::from("BT ");
    let cmap = stream("", b"1 begincodespacerange <0000> <FFFF> endcodespacerange 1 beginbfrange <0000> <FFFF> <0000> endbfrange");
    objs.push(cmap);
    for k in 0..64 {
        let n = objs.len() + 1;
        objs.push(o(
            "<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /ToUnicode 4 0 R >>",
        ));
        fonts += &format!("/F{k} {n} 0 R ");
        content += &format!("/F{k} 12 Tf <0041> Tj ");
    }
    content += "ET";
    let n = objs.len() + 1;
    objs.push(stream("", content.as_bytes()));
    objs[2] = o(&format!(
        "<< /Type /Page /Resources << /Font << {fonts} >> >> /Contents {n} 0 R >>"
    ));
    let t = Instant::now();
    let e = extract("字体.pdf", &pdf(&objs, ""), &limits);
    assert_eq!(e.text, "A".repeat(64));
    check("64 fonts of 65,536 mappings each", t);
    // Pseudo-random bytes, as each kind.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let random: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for name in ["a.pdf", "a.docx", "a.xlsx", "a.pptx", "a.txt", "a.bin"] {
        let t = Instant::now();
        let e = extract(name, &random, &limits);
        assert_ne!(e.status, TextStatus::Ok, "{name}");
        check(&format!("{mb} MB of random bytes as {name}"), t);
    }
}

/// Cuts and flips bytes of every fixture and checks nothing panics (calling past the
/// `catch_unwind` net of `extract`).
#[test]
fn mutated_fixtures_never_panic() {
    mutate_fixtures(150, 400, 1);
}

fn mutate_fixtures(flips: usize, splices: usize, seed: u64) {
    let fixtures: Vec<(&str, Vec<u8>)> = vec![
        ("a.pdf", CHROMIUM_PDF.to_vec()),
        ("a.docx", docx_with(&docx_body())),
        ("a.xlsx", xlsx()),
        ("a.pptx", pptx()),
        (
            "b.pdf",
            one_page(
                "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
                b"BT /F1 12 Tf 72 720 Td <0001000200040005> Tj 0 -18 Td [<0003> -120 <0010>] TJ ET",
                &[o(CID_DESC), stream("", TOUNICODE.as_bytes())],
            ),
        ),
    ];
    let limits = Limits::default();
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (name, bytes) in &fixtures {
        for k in 1..60 {
            let cut = bytes.len() * k / 60;
            let _ = extract_inner(name, &bytes[..cut], &limits);
        }
        for _ in 0..flips {
            let mut m = bytes.clone();
            for _ in 0..(1 + rnd() % 8) {
                let i = (rnd() as usize) % m.len();
                m[i] = rnd() as u8;
            }
            let _ = extract_inner(name, &m, &limits);
        }
    }
    // Uncompressed PDF objects mutated at the syntax level.
    let plain = one_page(
        "<< /Subtype /Type1 /BaseFont /Helvetica /Widths 6 0 R /FirstChar 32 >>",
        b"BT /F1 12 Tf 0 0 Td [(a) 1e308 (b)] TJ 99999999999999999999 Tz (c) Tj ET",
        &[o("[1 2 3 -5 1e400]")],
    );
    let toks: &[&[u8]] = &[
        b"<<",
        b">>",
        b"[",
        b"]",
        b"(",
        b")",
        b"<",
        b">",
        b"/",
        b"R",
        b"obj",
        b"endobj",
        b"stream",
        b"endstream",
        b"-1",
        b"99999999999",
        b"%",
    ];
    for _ in 0..splices {
        let mut m = plain.clone();
        let i = (rnd() as usize) % m.len();
        let t = toks[(rnd() as usize) % toks.len()];
        m.splice(i..i, t.iter().copied());
        let _ = extract_inner("m.pdf", &m, &limits);
    }
}

#[test]
fn glyph_table_is_sorted() {
    let g = super::pdf::GLYPHS;
    for w in g.windows(2) {
        assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
    }
}
