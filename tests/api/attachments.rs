//! Attachments over HTTP (issue 11): upload (multipart), the same bytes stored once, text
//! extracted in a child process and found by search with the document, downloads with their
//! Chinese names, only PDFs and images inline (an uploaded .html never renders), a reader who
//! may not read the document gets 404 for everything, a file over the limit is 413 while the
//! server keeps serving, deleting removes an unshared blob, and `check` finds a damaged one.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error, ok, s};

/// A multipart body with one `file` part per (name, bytes).
pub fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----hanlin-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn attach(c: &Client, doc: &str, files: &[(&str, &[u8])]) -> (StatusCode, Value) {
    let (ct, body) = multipart(files);
    c.raw(
        Method::POST,
        &format!("/api/v1/documents/{doc}/attachments"),
        &ct,
        body,
    )
    .await
}

/// Waits until an attachment's text status is no longer pending (bounded: 20 s).
pub async fn settled(c: &Client, id: &str) -> Value {
    for _ in 0..400 {
        let a = ok(c.get(&format!("/api/v1/attachments/{id}")).await);
        if a["text_status"] != "pending" {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("attachment {id} stayed pending");
}

/// GET with the client's token, answering status, headers and raw bytes.
pub async fn download(c: &Client, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut rb = c.http.get(format!("{}{}", c.base, path));
    if let Some(t) = &c.token {
        rb = rb.bearer_auth(t);
    }
    let r = rb.send().await.unwrap();
    let (st, h) = (r.status(), r.headers().clone());
    (st, h, r.bytes().await.unwrap().to_vec())
}

struct World {
    srv: Server,
    admin: Client,
    space: String,
    editor: Client,
    reader: Client,
    outsider: Client,
    closed_doc: String,
}

async fn world_with(tweak: impl FnOnce(&mut hanlin::ServeConfig)) -> World {
    let srv = Server::start_with(tweak).await;
    let admin = srv.admin().await;
    let (editor_id, editor) = srv
        .user(&admin, "editor", json!({"display_name": "王编辑"}))
        .await;
    let (reader_id, reader) = srv
        .user(&admin, "reader", json!({"display_name": "李读者"}))
        .await;
    let (_, outsider) = srv
        .user(&admin, "outsider", json!({"display_name": "外人"}))
        .await;
    let space = admin.new_space("资料库").await;
    ok(admin
        .put(
            &format!("/api/v1/spaces/{space}/grants"),
            json!([
                {"principal": format!("user:{editor_id}"), "role": "editor"},
                {"principal": format!("user:{reader_id}"), "role": "reader"},
            ]),
        )
        .await);
    let closed = admin.new_category(&space, "保密", None).await;
    ok(admin
        .put(
            &format!("/api/v1/categories/{closed}/grants"),
            json!({"inherit": false, "grants": [{"principal": format!("user:{editor_id}"), "role": "editor"}]}),
        )
        .await);
    let closed_doc = s(&editor
        .new_doc(&space, Some(&closed), "保密合同", "合同正文\n")
        .await["id"]);
    World {
        srv,
        admin,
        space,
        editor,
        reader,
        outsider,
        closed_doc,
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

#[tokio::test]
async fn an_attached_text_is_searchable_with_its_document_and_downloads_by_its_chinese_name() {
    let w = world().await;
    let d = w
        .editor
        .new_doc(&w.space, None, "季度资料", "见附件。\n")
        .await;
    let id = s(&d["id"]);
    let text = "第三季度营收同比增长百分之十二，主要来自华东区域的新客户。\n";
    let r = ok(attach(&w.editor, &id, &[("季度报告（终稿）.txt", text.as_bytes())]).await);
    let a = &r["attachments"][0];
    assert_eq!(a["filename"], "季度报告（终稿）.txt");
    assert_eq!(a["size"], text.len());
    assert_eq!(a["text_status"], "pending");
    let aid = s(&a["id"]);
    let a = settled(&w.editor, &aid).await;
    assert_eq!(a["text_status"], "ok", "{a}");
    assert_eq!(a["uploaded_by"], "editor");
    let t = ok(w
        .reader
        .get(&format!("/api/v1/attachments/{aid}/text"))
        .await);
    // NFKC-normalised, as it is indexed: the full-width comma becomes ','.
    assert_eq!(t["text"], text.replace('，', ","), "{t}");
    assert_eq!(t["text_status"], "ok");
    // Found by its text, the hit naming the attachment.
    let r = w.reader.search_until("华东区域", &id, true).await;
    let hit = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id.as_str())
        .unwrap();
    assert_eq!(hit["attachment"]["id"], aid.as_str(), "{hit}");
    assert_eq!(hit["attachment"]["filename"], "季度报告（终稿）.txt");
    assert!(s(&hit["snippet"]).contains("华东"), "{hit}");
    let r = w
        .reader
        .search_until("type:attachment 营收", &id, true)
        .await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 1, "{r}");
    // Downloads keep the name and the bytes; text is never shown inline.
    let (st, h, bytes) = download(&w.reader, &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(bytes, text.as_bytes());
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A%EF%BC%88%E7%BB%88%E7%A8%BF%EF%BC%89.txt"),
        "{cd}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "application/octet-stream");
    // Listed on the document.
    let l = ok(w
        .reader
        .get(&format!("/api/v1/documents/{id}/attachments"))
        .await);
    assert_eq!(l["attachments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_pdfs_and_images_open_inline_and_html_never_renders() {
    let w = world().await;
    let id = s(&w.editor.new_doc(&w.space, None, "文件", "x\n").await["id"]);
    let html = b"<html><script>alert(1)</script></html>";
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let fake_png = b"<svg onload=alert(1)></svg>";
    let r = ok(attach(
        &w.editor,
        &id,
        &[
            ("page.html", html),
            ("logo.png", png),
            ("trick.png", fake_png),
            ("pic.svg", fake_png),
        ],
    )
    .await);
    let items = r["attachments"].as_array().unwrap();
    let inline: Vec<bool> = items
        .iter()
        .map(|a| a["inline"].as_bool().unwrap())
        .collect();
    assert_eq!(inline, vec![false, true, false, false]);
    for a in items {
        let (st, h, _) = download(
            &w.editor,
            &format!("/api/v1/attachments/{}/content", s(&a["id"])),
        )
        .await;
        assert_eq!(st, StatusCode::OK);
        let cd = h["content-disposition"].to_str().unwrap();
        let ct = h["content-type"].to_str().unwrap();
        if a["inline"] == true {
            assert!(cd.starts_with("inline;"), "{cd}");
            assert_eq!(ct, "image/png");
        } else {
            assert!(cd.starts_with("attachment;"), "{cd}");
            assert_eq!(ct, "application/octet-stream", "{}", a["filename"]);
        }
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn what_the_reader_may_not_read_answers_404_everywhere() {
    let w = world().await;
    let r = ok(attach(
        &w.editor,
        &w.closed_doc,
        &[("机密附件.txt", "保密条款：违约金一百万。".as_bytes())],
    )
    .await);
    let aid = s(&r["attachments"][0]["id"]);
    assert_eq!(settled(&w.editor, &aid).await["text_status"], "ok");
    w.editor.search_until("违约金", &w.closed_doc, true).await;
    for c in [&w.reader, &w.outsider] {
        assert_error(
            &c.get(&format!("/api/v1/attachments/{aid}")).await,
            404,
            "not_found",
        );
        let (st, _, body) = download(c, &format!("/api/v1/attachments/{aid}/content")).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert!(!String::from_utf8_lossy(&body).contains("违约金"));
        assert_error(
            &c.get(&format!("/api/v1/documents/{}/attachments", w.closed_doc))
                .await,
            404,
            "not_found",
        );
        assert_error(
            &c.delete(&format!("/api/v1/attachments/{aid}")).await,
            404,
            "not_found",
        );
        assert_error(
            &attach(c, &w.closed_doc, &[("x.txt", b"x")]).await,
            404,
            "not_found",
        );
        let hits = ok(c.get("/api/v1/search?q=违约金").await);
        assert_eq!(hits["total"], 0, "{hits}");
    }
    // A reader of the space sees the public document's attachments but may not add or remove.
    let open = s(&w.editor.new_doc(&w.space, None, "公开", "x\n").await["id"]);
    let r = ok(attach(&w.editor, &open, &[("公开.txt", b"hello")]).await);
    let pub_id = s(&r["attachments"][0]["id"]);
    ok(w.reader.get(&format!("/api/v1/attachments/{pub_id}")).await);
    assert_error(
        &attach(&w.reader, &open, &[("x.txt", b"x")]).await,
        403,
        "forbidden",
    );
    assert_error(
        &w.reader
            .delete(&format!("/api/v1/attachments/{pub_id}"))
            .await,
        403,
        "forbidden",
    );
    // Trashing the document hides its attachments with it.
    ok(w.editor.delete(&format!("/api/v1/documents/{open}")).await);
    assert_error(
        &w.reader.get(&format!("/api/v1/attachments/{pub_id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_the_server_keeps_serving() {
    let w = world_with(|c| c.max_attachment_bytes = 1024 * 1024).await;
    let id = s(&w.editor.new_doc(&w.space, None, "大文件", "x\n").await["id"]);
    let big = vec![b'a'; 1024 * 1024 + 1];
    let r = attach(&w.editor, &id, &[("big.bin", &big)]).await;
    assert_error(&r, 413, "payload_too_large");
    let l = ok(w
        .editor
        .get(&format!("/api/v1/documents/{id}/attachments"))
        .await);
    assert!(l["attachments"].as_array().unwrap().is_empty(), "{l}");
    // No temporary file is left behind, and the server still answers.
    let tmp = w.srv.dir.path().join("attachments/tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0);
    ok(w.editor.get(&format!("/api/v1/documents/{id}")).await);
    let exact = vec![b'b'; 1024 * 1024];
    ok(attach(&w.editor, &id, &[("exact.bin", &exact)]).await);
}

#[tokio::test]
async fn the_same_file_is_stored_once_and_removed_with_its_last_attachment() {
    let w = world().await;
    let a = s(&w.editor.new_doc(&w.space, None, "甲", "x\n").await["id"]);
    let b = s(&w.editor.new_doc(&w.space, None, "乙", "x\n").await["id"]);
    let bytes = "同一份文件".repeat(100);
    let x = ok(attach(&w.editor, &a, &[("同一份.txt", bytes.as_bytes())]).await);
    let y = ok(attach(&w.editor, &b, &[("副本.txt", bytes.as_bytes())]).await);
    let sha = s(&x["attachments"][0]["sha256"]);
    assert_eq!(y["attachments"][0]["sha256"], sha.as_str());
    let blob = w
        .srv
        .dir
        .path()
        .join("attachments")
        .join(&sha[..2])
        .join(&sha);
    assert!(blob.exists());
    ok(w.editor
        .delete(&format!(
            "/api/v1/attachments/{}",
            s(&x["attachments"][0]["id"])
        ))
        .await);
    assert!(blob.exists(), "still held by the other document");
    ok(w.editor
        .delete(&format!(
            "/api/v1/attachments/{}",
            s(&y["attachments"][0]["id"])
        ))
        .await);
    assert!(!blob.exists(), "no attachment holds it any more");
    let _ = &w.admin;
}

#[tokio::test]
async fn check_finds_a_damaged_or_missing_attachment_file() {
    let w = world().await;
    let id = s(&w.editor.new_doc(&w.space, None, "核对", "x\n").await["id"]);
    let r = ok(attach(&w.editor, &id, &[("a.txt", b"original bytes")]).await);
    let sha = s(&r["attachments"][0]["sha256"]);
    settled(&w.editor, &s(&r["attachments"][0]["id"])).await;
    let dir = w.srv.stop().await;
    let blob = dir.path().join("attachments").join(&sha[..2]).join(&sha);
    std::fs::write(&blob, b"tampered").unwrap();
    std::fs::write(
        dir.path()
            .join("attachments")
            .join(&sha[..2])
            .join("0".repeat(64)),
        b"x",
    )
    .unwrap();
    // The stopped server's last tasks may hold the database a moment longer (bounded: 10 s).
    let mut out = None;
    for _ in 0..100 {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_hanlin"))
            .args(["check", "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        if !String::from_utf8_lossy(&o.stderr).contains("could not acquire lock") {
            out = Some(o);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = out.expect("the database was released");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("does not match its hash"), "{text}");
    assert!(text.contains("orphaned attachment file"), "{text}");
}

/// A multipart body with `file` parts and a `category_id`.
fn upload_body(category: Option<&str>, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let (ct, mut body) = multipart(files);
    if let Some(c) = category {
        let boundary = ct.split("boundary=").nth(1).unwrap().to_owned();
        let mut head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"category_id\"\r\n\r\n{c}\r\n"
        )
        .into_bytes();
        head.append(&mut body);
        body = head;
    }
    (ct, body)
}

#[tokio::test]
async fn uploaded_files_become_documents_with_their_front_matter() {
    let w = world().await;
    let cat = w.admin.new_category(&w.space, "制度", None).await;
    let md = "---\ntitle: 差旅报销制度\ntags: [财务, 报销]\n---\n\n# 不是标题\n\n出差住宿标准为每晚五百元。\n";
    let txt = "年假规定\n\n入职满一年享有五天年假，出差见[差旅](差旅.md)。\n";
    let (ct, body) = upload_body(
        Some(&cat),
        &[
            ("差旅.md", md.as_bytes()),
            ("年假.txt", txt.as_bytes()),
            ("照片.exe", b"MZ\0\0"),
        ],
    );
    let r = ok(w
        .editor
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{}/upload", w.space),
            &ct,
            body,
        )
        .await);
    let docs = r["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2, "{r}");
    assert_eq!(docs[0]["title"], "差旅报销制度");
    assert_eq!(docs[0]["filename"], "差旅.md");
    assert_eq!(docs[1]["title"], "年假");
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["filename"], "照片.exe");
    assert_eq!(errors[0]["code"], "invalid_input");
    let d = ok(w
        .reader
        .get(&format!("/api/v1/documents/{}", s(&docs[0]["id"])))
        .await);
    assert_eq!(d["tags"], json!(["财务", "报销"]));
    assert_eq!(d["category_id"], cat.as_str());
    let body = s(&d["body"]);
    assert!(
        !body.contains("title:"),
        "the front matter is not shown: {body}"
    );
    assert!(body.contains("每晚五百元"), "{body}");
    // A link between two files of the upload points at the document the other became.
    let leave = ok(w
        .reader
        .get(&format!("/api/v1/documents/{}", s(&docs[1]["id"])))
        .await);
    assert!(
        s(&leave["body"]).contains(&format!("[差旅](#/doc/{})", s(&docs[0]["id"]))),
        "{leave}"
    );
    // A reader may not upload; a hidden space is 404.
    let (ct, body) = upload_body(None, &[("a.md", b"# a\n")]);
    assert_error(
        &w.reader
            .raw(
                Method::POST,
                &format!("/api/v1/spaces/{}/upload", w.space),
                &ct,
                body.clone(),
            )
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &w.outsider
            .raw(
                Method::POST,
                &format!("/api/v1/spaces/{}/upload", w.space),
                &ct,
                body,
            )
            .await,
        404,
        "not_found",
    );
}

// ---- real formats: PDF, Word, GBK, hostile files ------------------------------------------------

/// A zip of the given entries (deflated).
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            std::io::Write::write_all(&mut w, data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

/// A .docx the way Chinese Word writes it: style ids `1` and `2` named `heading 1`/`heading 2`,
/// bold, a table.
fn chinese_word_docx() -> Vec<u8> {
    let styles = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:default="1" w:styleId="a"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/><w:basedOn w:val="a"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
</w:styles>"#;
    let doc = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:pPr><w:pStyle w:val="1"/></w:pPr><w:r><w:t>设备采购管理办法</w:t></w:r></w:p>
<w:p><w:pPr><w:pStyle w:val="2"/></w:pPr><w:r><w:t>第一章 总则</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">采购金额超过五万元的，须经</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>总经理审批</w:t></w:r><w:r><w:t>。</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>金额</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>审批人</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>五万元以下</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>部门经理</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
        ("word/styles.xml", styles.as_bytes()),
    ])
}

fn chromium_pdf() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/extract/testdata/chromium-zh.pdf"
    ))
    .unwrap()
}

#[tokio::test]
async fn a_chinese_pdf_is_found_by_search_with_its_page() {
    let w = world().await;
    let id = s(&w
        .editor
        .new_doc(&w.space, None, "测试资料", "见附件。\n")
        .await["id"]);
    let r = ok(attach(&w.editor, &id, &[("翰林测试.pdf", &chromium_pdf())]).await);
    let aid = s(&r["attachments"][0]["id"]);
    assert_eq!(
        r["attachments"][0]["inline"], true,
        "a real PDF opens inline"
    );
    let a = settled(&w.editor, &aid).await;
    assert_eq!(a["text_status"], "ok", "{a}");
    assert_eq!(a["pages"], 3, "{a}");
    // A phrase from page 3 only.
    let r = w.reader.search_until("繁體中文", &id, true).await;
    let hit = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id.as_str())
        .unwrap();
    assert_eq!(hit["attachment"]["filename"], "翰林测试.pdf", "{hit}");
    assert_eq!(hit["attachment"]["page"], 3, "{hit}");
    // A word wrapped over lines on page 2 is found as one phrase.
    w.reader.search_until("\"插入换行符\"", &id, true).await;
    let t = ok(w
        .reader
        .get(&format!("/api/v1/attachments/{aid}/text"))
        .await);
    assert!(s(&t["text"]).contains("中华人民共和国的首都是北京"), "{t}");
}

#[tokio::test]
async fn hostile_files_fail_with_a_reason_and_the_server_keeps_serving() {
    let w = world().await;
    let id = s(&w.editor.new_doc(&w.space, None, "坏文件", "x\n").await["id"]);
    let pdf = chromium_pdf();
    let truncated = &pdf[..pdf.len() / 3];
    // 300 MiB of zeros inflate from a few hundred KB: a zip bomb inside a .docx.
    let zeros = vec![0u8; 300 * 1024 * 1024];
    let bomb = zip_of(&[("word/document.xml", &zeros)]);
    drop(zeros);
    let nested = format!("{}{}", "<w:p>".repeat(100_000), "</w:p>".repeat(100_000));
    let deep = zip_of(&[(
        "word/document.xml",
        format!("<w:document xmlns:w=\"x\"><w:body>{nested}</w:body></w:document>").as_bytes(),
    )]);
    let r = ok(attach(
        &w.editor,
        &id,
        &[
            ("截断.pdf", truncated),
            ("炸弹.docx", &bomb),
            ("嵌套.docx", &deep),
        ],
    )
    .await);
    let ids: Vec<String> = r["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| s(&a["id"]))
        .collect();
    for aid in &ids {
        let a = settled(&w.editor, aid).await;
        assert_eq!(a["text_status"], "failed", "{a}");
        assert!(
            s(&a["text_error"])
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "a Chinese reason: {a}"
        );
        // Still served: the document and the file.
        ok(w.reader.get(&format!("/api/v1/documents/{id}")).await);
    }
    let bomb_row = settled(&w.editor, &ids[1]).await;
    assert!(s(&bomb_row["text_error"]).contains("压缩"), "{bomb_row}");
    // A GBK text file comes out as the right Chinese.
    let (gbk, _, _) = encoding_rs::GBK.encode("报销需要发票原件和审批单。");
    let r = ok(attach(&w.editor, &id, &[("报销.txt", &gbk)]).await);
    let a = settled(&w.editor, &s(&r["attachments"][0]["id"])).await;
    assert_eq!(a["text_status"], "ok");
    let t = ok(w
        .editor
        .get(&format!("/api/v1/attachments/{}/text", s(&a["id"])))
        .await);
    assert_eq!(t["text"], "报销需要发票原件和审批单。");
}

#[tokio::test]
async fn a_200_mb_file_is_refused_while_the_server_keeps_serving() {
    let w = world().await;
    let id = s(&w.editor.new_doc(&w.space, None, "很大", "x\n").await["id"]);
    let big = vec![7u8; 200 * 1024 * 1024];
    let (ct, body) = multipart(&[("录像.mp4", &big)]);
    drop(big);
    let mut rb = w
        .editor
        .http
        .post(format!(
            "{}/api/v1/documents/{id}/attachments",
            w.editor.base
        ))
        .header("content-type", ct)
        .body(body);
    if let Some(t) = &w.editor.token {
        rb = rb.bearer_auth(t);
    }
    // The server answers 413 once it has read past the limit (or closes the connection).
    match rb.send().await {
        Ok(resp) => assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    ok(w.editor.get(&format!("/api/v1/documents/{id}")).await);
    let l = ok(w
        .editor
        .get(&format!("/api/v1/documents/{id}/attachments"))
        .await);
    assert!(l["attachments"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_word_file_written_by_chinese_word_becomes_a_document() {
    let w = world().await;
    let (ct, body) = upload_body(None, &[("设备采购管理办法.docx", &chinese_word_docx())]);
    let r = ok(w
        .editor
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{}/upload", w.space),
            &ct,
            body,
        )
        .await);
    assert!(r["errors"].as_array().unwrap().is_empty(), "{r}");
    let d = ok(w
        .reader
        .get(&format!(
            "/api/v1/documents/{}",
            s(&r["documents"][0]["id"])
        ))
        .await);
    assert_eq!(d["title"], "设备采购管理办法", "{d}");
    let body = s(&d["body"]);
    assert!(body.contains("## 第一章 总则"), "{body}");
    assert!(body.contains("**总经理审批**"), "{body}");
    assert!(body.contains("| 五万元以下 | 部门经理 |"), "{body}");
    // Attached, its text is searchable and readable as HTML.
    let id = s(&d["id"]);
    let r = ok(attach(&w.editor, &id, &[("原件.docx", &chinese_word_docx())]).await);
    let aid = s(&r["attachments"][0]["id"]);
    assert_eq!(settled(&w.editor, &aid).await["text_status"], "ok");
    let t = ok(w
        .reader
        .get(&format!("/api/v1/attachments/{aid}/text"))
        .await);
    assert!(s(&t["html"]).contains("<table>"), "{t}");
    assert!(s(&t["html"]).contains("<strong>总经理审批</strong>"), "{t}");
}
