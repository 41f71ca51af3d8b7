//! Generated files for the extraction tests and the bench (`benches/extraction.rs` includes
//! this file): Word files and PDFs the way office suites write Chinese, of any size.

#![allow(dead_code)]

use std::io::{Cursor, Write};

pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opt = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opt).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub const W_NS: &str = r#"xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" mc:Ignorable="w14""#;

/// Styles as Chinese Word writes them: ids `a`, `1`, `2`, `a3`...; the names are English.
pub const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:asciiTheme="minorHAnsi" w:eastAsiaTheme="minorEastAsia"/><w:kern w:val="2"/><w:sz w:val="21"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/><w:qFormat/><w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:next w:val="a"/><w:link w:val="10"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="340" w:after="330" w:line="578" w:lineRule="auto"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:bCs/><w:kern w:val="44"/><w:sz w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="a"/><w:next w:val="a"/><w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="a3"><w:name w:val="我的标题"/><w:basedOn w:val="2"/><w:qFormat/></w:style>
<w:style w:type="character" w:styleId="a4"><w:name w:val="Strong"/><w:basedOn w:val="a0"/><w:uiPriority w:val="22"/><w:qFormat/><w:rPr><w:b/><w:bCs/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="a5"><w:name w:val="List Paragraph"/><w:basedOn w:val="a"/><w:uiPriority w:val="34"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="420"/></w:pPr></w:style>
<w:style w:type="character" w:styleId="a6"><w:name w:val="Hyperlink"/><w:basedOn w:val="a0"/><w:rPr><w:color w:val="0563C1" w:themeColor="hyperlink"/><w:u w:val="single"/></w:rPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="a7"><w:name w:val="自定义大纲"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
<w:style w:type="paragraph" w:customStyle="1" w:styleId="a9"><w:name w:val="循环"/><w:basedOn w:val="a9"/></w:style>
</w:styles>"#;

/// Numbering: abstract 0 bullets, abstract 1 decimal then lowerLetter; num 1 and 2.
pub const NUMBERING: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="0" w15:restartNumberingAfterBreak="0" xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w:nsid w:val="0E0A4F13"/><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0" w:tplc="04090001"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val=""/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="420" w:hanging="420"/></w:pPr><w:rPr><w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings" w:hint="default"/></w:rPr></w:lvl><w:lvl w:ilvl="1" w:tentative="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val=""/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl></w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num></w:numbering>"#;

pub fn para(style: Option<&str>, runs: &str) -> String {
    let ppr = style
        .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
        .unwrap_or_default();
    format!(r#"<w:p w14:paraId="1A2B3C4D" w:rsidR="00A1" w:rsidRDefault="00A1">{ppr}{runs}</w:p>"#)
}

pub fn run(text: &str) -> String {
    format!(r#"<w:r><w:rPr><w:rFonts w:hint="eastAsia"/></w:rPr><w:t>{text}</w:t></w:r>"#)
}

pub fn item(num: u32, ilvl: u32, text: &str) -> String {
    format!(
        r#"<w:p><w:pPr><w:pStyle w:val="a5"/><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num}"/></w:numPr><w:ind w:firstLineChars="0"/></w:pPr>{}</w:p>"#,
        run(text)
    )
}

/// A PDF writer for tests: `objs[i]` is the body of object `i + 1`; object 1 is the catalog.
pub fn pdf(objs: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offs = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

pub fn o(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub const CID_DESC: &str = "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 /W [1 [500 500] 32 [250]] >>";

/// Chinese sentences to fill generated documents.
pub fn chinese_paragraph(i: usize) -> String {
    const S: &[&str] = &[
        "本季度公司营业收入同比增长百分之十二，主要来自华东和华南地区的新增客户。",
        "研发部门完成了知识库系统的全文检索功能，支持在附件中搜索中文内容。",
        "根据董事会决议，下一年度将继续加大对数字化转型项目的投入。",
        "会议要求各部门在本月底前提交年度预算草案，并说明主要支出项目。",
        "客户服务中心的平均响应时间缩短到两小时以内，满意度明显提升。",
    ];
    let mut p = String::new();
    for k in 0..6 {
        p += S[(i + k) % S.len()];
    }
    p
}

/// A Word file of about `target` bytes as people write them: text (random common characters,
/// so it compresses like real prose, about 2:1 with the markup), headings, lists, bold runs,
/// and pictures (incompressible) for about a third of the size. Returns (file, XML bytes).
pub fn big_docx(target: usize) -> (Vec<u8>, usize) {
    let pool: Vec<char> = (0..50)
        .flat_map(|i| chinese_paragraph(i).chars().collect::<Vec<_>>())
        .chain((0x4E00u32..0x5600).filter_map(char::from_u32))
        .collect();
    let mut x = 0x1234_5678_9ABC_DEF1u64;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let paragraphs = target * 2 / 3 / 100;
    let images = (target / 3) >> 20;
    let mut body = String::with_capacity(paragraphs * 330);
    for i in 0..paragraphs {
        let text: String = (0..60)
            .map(|_| pool[(rnd() as usize) % pool.len()])
            .collect();
        if i % 50 == 0 {
            body += &para(Some("1"), &run(&format!("第{i}章 概述")));
        } else if i % 7 == 0 {
            body += &item(1, 0, &text);
        } else {
            body += &para(
                None,
                &format!(
                    "{}<w:r><w:rPr><w:b/></w:rPr><w:t>重点</w:t></w:r>",
                    run(&text)
                ),
            );
        }
        if i % 1000 == 999 && (i / 1000) < images {
            body += &para(
                None,
                &format!(
                    r#"<w:r><w:drawing><a:blip r:embed="rIdImg{}"/></w:drawing></w:r>"#,
                    i / 1000
                ),
            );
        }
    }
    let doc = format!(r#"<w:document {W_NS}><w:body>{body}</w:body></w:document>"#);
    let mut rels = String::from(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/>"#,
    );
    let mut media = Vec::new();
    for k in 0..images {
        rels += &format!(
            r#"<Relationship Id="rIdImg{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image{k}.jpeg"/>"#
        );
        let img: Vec<u8> = (0..(1 << 20)).map(|_| rnd() as u8).collect();
        media.push((format!("word/media/image{k}.jpeg"), img));
    }
    rels += "</Relationships>";
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("word/document.xml", doc.as_bytes()),
        ("word/_rels/document.xml.rels", rels.as_bytes()),
        ("word/styles.xml", STYLES.as_bytes()),
        ("word/numbering.xml", NUMBERING.as_bytes()),
    ];
    for (n, d) in &media {
        entries.push((n.as_str(), d.as_slice()));
    }
    (zip(&entries), doc.len())
}

/// A PDF as office suites write Chinese: one Type0/Identity-H font with a ToUnicode map,
/// Flate content streams, 40 lines a page.
pub fn big_pdf(target: usize) -> (Vec<u8>, usize) {
    let text: String = (0..50).map(chinese_paragraph).collect();
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    let code_of = |c: char| chars.binary_search(&c).unwrap() as u16 + 1;
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
    );
    for chunk in chars.chunks(100) {
        cmap += &format!("{} beginbfchar\n", chunk.len());
        for &c in chunk {
            cmap += &format!("<{:04X}> <{:04X}>\n", code_of(c), c as u32);
        }
        cmap += "endbfchar\n";
    }
    cmap += "endcmap end end";
    let mut objs = vec![
        o("<< /Type /Catalog /Pages 2 0 R >>"),
        Vec::new(),
        o(
            "<< /Type /Font /Subtype /Type0 /BaseFont /AAAAAA+SimSun /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        ),
        o(CID_DESC),
        stream("", cmap.as_bytes()),
    ];
    let mut kids = Vec::new();
    let mut size = 0;
    let mut i = 0;
    while size < target {
        let mut content = String::from("BT /F1 10.5 Tf 14 TL 72 780 Td\n");
        for line in 0..40 {
            let p = chinese_paragraph(i + line);
            let hex: String = p
                .chars()
                .take(38)
                .map(|c| format!("{:04X}", code_of(c)))
                .collect();
            content += &format!("<{hex}> Tj T*\n");
        }
        content += "ET\n";
        i += 40;
        let data = zlib(content.as_bytes());
        // Real PDFs carry pictures too; one incompressible 20 KB image a page.
        let mut img = vec![0u8; 20_000];
        let mut x = i as u64 + 1;
        for b in img.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let content_num = objs.len() + 1;
        objs.push(stream("/Filter /FlateDecode", &data));
        let img_num = objs.len() + 1;
        objs.push(stream("/Type /XObject /Subtype /Image /Width 100 /Height 200 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", &img));
        let page_num = objs.len() + 1;
        objs.push(o(&format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 {img_num} 0 R >> >> /Contents {content_num} 0 R >>"
        )));
        kids.push(format!("{page_num} 0 R"));
        size += data.len() + img.len() + 300;
    }
    let n = kids.len();
    objs[1] = o(&format!(
        "<< /Type /Pages /Kids [{}] /Count {n} >>",
        kids.join(" ")
    ));
    (pdf(&objs, ""), n)
}
