//! Attachments' text extraction (issue 11): the format readers alone on generated Chinese
//! .docx and PDF files of 1, 10 and 50 MB (MB/s, pages/s); a Chinese PDF printed by Chromium
//! (about 5 MB), extracted in-process (MB/s, pages/s) and uploaded over HTTP until search finds a
//! word of its last page (upload-to-searchable); then a 50 MB file, with the peak memory of the
//! extraction worker and of the server while it runs.
//!
//! `cargo bench --bench extraction` (needs Debian's `chromium` and fonts-noto-cjk; without them
//! the PDF part is skipped). Figures go to BENCHMARKS.md.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

#[path = "../src/extract/testgen.rs"]
mod testgen;

const MARK: &str = "验收暗号青松翠柏";

/// The readers alone, in-process, on generated files (the same generators as the tests).
fn readers() {
    let limits = hanlin::extract::Limits::default();
    for mb in [1usize, 10, 50] {
        let (docx, xml) = testgen::big_docx(mb << 20);
        let t = Instant::now();
        let e = hanlin::extract::extract("a.docx", &docx, &limits);
        let s = t.elapsed().as_secs_f64();
        assert_eq!(e.status, hanlin::extract::TextStatus::Ok, "{:?}", e.error);
        println!(
            "docx {:>5.1} MB ({:.1} MB of XML): {s:.3} s, {:.1} MB/s of file, {:.1} MB/s of XML",
            docx.len() as f64 / 1e6,
            xml as f64 / 1e6,
            docx.len() as f64 / 1e6 / s,
            xml as f64 / 1e6 / s,
        );
        let (pdf, pages) = testgen::big_pdf(mb << 20);
        let t = Instant::now();
        let e = hanlin::extract::extract("a.pdf", &pdf, &limits);
        let s = t.elapsed().as_secs_f64();
        assert_eq!(e.status, hanlin::extract::TextStatus::Ok, "{:?}", e.error);
        assert_eq!(e.pages.len(), pages);
        println!(
            "pdf  {:>5.1} MB, {pages} pages: {s:.3} s, {:.1} MB/s, {:.0} pages/s",
            pdf.len() as f64 / 1e6,
            pdf.len() as f64 / 1e6 / s,
            pages as f64 / s,
        );
    }
}

/// Peak resident set (VmHWM, MB) of every running `extract-worker`, and of this process.
fn peaks() -> (f64, f64) {
    let hwm = |status: &str| -> f64 {
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    let mut worker: f64 = 0.0;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let p = e.path();
        let cmd = std::fs::read(p.join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmd).contains("extract-worker") {
            worker = worker.max(hwm(
                &std::fs::read_to_string(p.join("status")).unwrap_or_default()
            ));
        }
    }
    let me = hwm(&std::fs::read_to_string("/proc/self/status").unwrap_or_default());
    (worker, me)
}

/// A Chinese HTML of `pages` pages printed to PDF by Chromium; None without Chromium.
fn chromium_pdf(dir: &Path, pages: usize) -> Option<Vec<u8>> {
    let para = "知识库的检索需要正确提取附件中的中文文字，包括标点符号、数字 12345 和英文 words，\
                这样员工在搜索框里输入一个问题时，才能找到藏在合同、制度和会议纪要里的答案。";
    let mut html = String::from(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><style>body{font-family:'Noto Sans CJK SC';font-size:11pt}.pb{page-break-after:always}</style><body>",
    );
    for i in 0..pages {
        html.push_str(&format!("<div class=pb><h2>第 {} 页</h2>", i + 1));
        for _ in 0..12 {
            html.push_str(&format!("<p>{para}</p>"));
        }
        if i + 1 == pages {
            html.push_str(&format!("<p>{MARK}</p>"));
        }
        html.push_str("</div>");
    }
    let src = dir.join("big.html");
    let out = dir.join("big.pdf");
    std::fs::write(&src, html).ok()?;
    let ok = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", src.display()))
        .output()
        .ok()?
        .status
        .success();
    ok.then(|| std::fs::read(&out).ok()).flatten()
}

fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "----hanlin-bench";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

struct Server {
    base: String,
    http: reqwest::Client,
    token: String,
    _state: hanlin::AppState,
}

impl Server {
    async fn start(dir: &Path) -> Server {
        let mut cfg = hanlin::ServeConfig::for_data_dir(dir);
        cfg.admin_password = Some("Bench-Pass-123".into());
        cfg.extract_worker = Some(env!("CARGO_BIN_EXE_hanlin").into());
        let state = hanlin::open(cfg).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let st = state.clone();
        tokio::spawn(async move {
            hanlin::serve(st, listener, std::future::pending())
                .await
                .unwrap()
        });
        let http = reqwest::Client::new();
        let r: serde_json::Value = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "admin", "password": "Bench-Pass-123"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Server {
            base,
            http,
            token: r["token"].as_str().unwrap().to_owned(),
            _state: state,
        }
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn doc(&self) -> String {
        let spaces = self.get("/api/v1/spaces").await;
        let space = spaces[0]["id"].as_str().unwrap().to_owned();
        let d: serde_json::Value = self
            .http
            .post(format!("{}/api/v1/documents", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"space_id": space, "title": "附件测试", "body": "见附件。"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        d["id"].as_str().unwrap().to_owned()
    }

    async fn attach(&self, doc: &str, name: &str, bytes: &[u8]) -> String {
        let (ct, body) = multipart(name, bytes);
        let r: serde_json::Value = self
            .http
            .post(format!("{}/api/v1/documents/{doc}/attachments", self.base))
            .bearer_auth(&self.token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["attachments"][0]["id"]
            .as_str()
            .expect("attached")
            .to_owned()
    }
}

#[tokio::main]
async fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start(&tmp.path().join("data")).await;
    let doc = srv.doc().await;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    match chromium_pdf(tmp.path(), 960) {
        None => println!("chromium not found: the PDF part is skipped"),
        Some(pdf) => {
            let mb = pdf.len() as f64 / 1e6;
            let t = Instant::now();
            let e = hanlin::extract::extract("big.pdf", &pdf, &hanlin::extract::Limits::default());
            let took = t.elapsed().as_secs_f64();
            let pages = e.pages.len();
            // The floor: touching every byte once (SHA-256 over the file), same run.
            let t = Instant::now();
            let digest =
                sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&pdf));
            let floor = t.elapsed().as_secs_f64();
            println!(
                "PDF {mb:.1} MB, {pages} pages, in-process: {took:.3} s = {:.1} MB/s, {:.0} pages/s ({:?}, {} chars); SHA-256 of the file {:.3} s ({}x faster: the floor of reading each byte once; {:02x})",
                mb / took,
                pages as f64 / took,
                e.status,
                e.text.chars().count(),
                floor,
                (took / floor).round(),
                digest[0]
            );
            let t = Instant::now();
            let aid = srv.attach(&doc, "大文件.pdf", &pdf).await;
            let uploaded = t.elapsed();
            let q = url::form_urlencoded::byte_serialize(MARK.as_bytes()).collect::<String>();
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                let r = srv.get(&format!("/api/v1/search?q={q}")).await;
                if r["hits"]
                    .as_array()
                    .is_some_and(|h| h.iter().any(|h| h["id"] == doc.as_str()))
                {
                    let page = r["hits"][0]["attachment"]["page"].clone();
                    let total = t.elapsed().as_secs_f64();
                    println!(
                        "upload of the {mb:.1} MB PDF answered in {:.0} ms; searchable (a word of its last page, hit on page {page}) {:.0} ms after the upload began = {:.1}x the in-process extraction alone (worker start, hand-over, indexing {} chars)",
                        uploaded.as_secs_f64() * 1000.0,
                        total * 1000.0,
                        total / took,
                        e.text.chars().count()
                    );
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "never searchable: {}",
                    srv.get(&format!("/api/v1/attachments/{aid}")).await
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }

    // A 50 MB file (GBK text): the worker's and the server's peak memory while it is extracted.
    let line = "员工报销需要提供发票原件、审批单和付款凭证，财务部在五个工作日内处理。\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(line);
    let mut big = Vec::with_capacity(50 << 20);
    while big.len() < 50 << 20 {
        big.extend_from_slice(&gbk);
    }
    let before = peaks().1;
    let t = Instant::now();
    let aid = srv.attach(&doc, "五十兆.txt", &big).await;
    drop(big);
    let (mut worker, mut server) = (0.0f64, 0.0f64);
    loop {
        let (w, s) = peaks();
        worker = worker.max(w);
        server = server.max(s);
        let a = srv.get(&format!("/api/v1/attachments/{aid}")).await;
        if a["text_status"] != "pending" {
            println!(
                "50 MB GBK text: {} in {:.2} s; peak memory: worker {worker:.0} MB (limit 1024), server {server:.0} MB (was {before:.0} MB before the upload)",
                a["text_status"],
                t.elapsed().as_secs_f64()
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Last: the generated files would raise this process's peak memory read above.
    readers();
}
