//! Importing a zip of Markdown through the API; unsafe archives are refused whole.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{Server, assert_error, urlencode};

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

#[tokio::test]
async fn zip_import_creates_categories_documents_and_is_searchable() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("导入空间").await;
    let z = zip_of(&[
        (
            "运维/部署/安装指南.md",
            "---\ntitle: 集群安装指南\nkeywords: [安装, 集群]\n---\n\n按步骤安装青松集群。\n"
                .as_bytes(),
        ),
        (
            "运维/备份.md",
            "# 备份与恢复 {#backup}\n\n每天凌晨备份。\n".as_bytes(),
        ),
        ("readme.md", "没有标题的说明".as_bytes()),
        ("LICENSE.txt", "not knowledge".as_bytes()),
        ("logo.png", b"\x89PNG"),
    ]);
    let (st, r) = admin
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{space}/import"),
            "application/zip",
            z.clone(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["created"], 3);
    assert_eq!(r["categories"], 2);
    let (_, cats) = admin
        .get(&format!("/api/v1/spaces/{space}/categories"))
        .await;
    let names: Vec<&str> = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"运维") && names.contains(&"部署"),
        "{names:?}"
    );
    let (_, list) = admin
        .get(&format!("/api/v1/documents?space_id={space}&sort=title"))
        .await;
    let titles: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["readme", "备份与恢复", "集群安装指南"]);
    let hit = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "集群安装指南")
        .unwrap();
    assert_eq!(hit["tags"], json!(["安装", "集群"]));
    let id = hit["id"].as_str().unwrap();
    admin.search_until("青松集群", id, true).await;
    // Importing the same archive again changes nothing.
    let (_, r) = admin
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{space}/import"),
            "application/zip",
            z,
        )
        .await;
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(3)),
        "{r}"
    );
    let _ = urlencode;
}

#[tokio::test]
async fn unsafe_or_bad_archives_are_refused_and_nothing_is_written() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("安全导入").await;
    let url = format!("/api/v1/spaces/{space}/import");
    let slip = zip_of(&[("ok.md", b"# fine\n"), ("../../escape.md", b"# evil\n")]);
    assert_error(
        &admin.raw(Method::POST, &url, "application/zip", slip).await,
        400,
        "invalid_input",
    );
    let bomb = zip_of(&[("big.md", &vec![b'a'; 6 * 1024 * 1024])]);
    assert_error(
        &admin.raw(Method::POST, &url, "application/zip", bomb).await,
        413,
        "payload_too_large",
    );
    assert_error(
        &admin
            .raw(Method::POST, &url, "application/zip", b"not a zip".to_vec())
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &admin
            .raw(Method::POST, &url, "text/plain", b"x".to_vec())
            .await,
        400,
        "invalid_input",
    );
    let (_, list) = admin
        .get(&format!("/api/v1/documents?space_id={space}"))
        .await;
    assert_eq!(list["total"], 0, "nothing half-imported");
    let (_, reader) = srv.user(&admin, "importer", json!({})).await;
    let ok = zip_of(&[("a.md", b"# a\n")]);
    assert_error(
        &reader.raw(Method::POST, &url, "application/zip", ok).await,
        404,
        "not_found",
    );
}

/// What a space holds, as the API shows it: documents (id, title, version, category) and
/// categories (id, name, parent).
async fn contents(c: &crate::common::Client, space: &str) -> (Vec<String>, Vec<String>) {
    let (_, list) = c
        .get(&format!("/api/v1/documents?space_id={space}&limit=100"))
        .await;
    let mut docs: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} v{} {}",
                d["id"], d["title"], d["version"], d["category_id"]
            )
        })
        .collect();
    docs.sort();
    let (_, cats) = c.get(&format!("/api/v1/spaces/{space}/categories")).await;
    let mut cats: Vec<String> = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {} {}", c["id"], c["name"], c["parent_id"]))
        .collect();
    cats.sort();
    (docs, cats)
}

#[tokio::test]
async fn a_bad_entry_refuses_the_whole_archive_and_writes_nothing() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("整体导入").await;
    let url = format!("/api/v1/spaces/{space}/import");
    // What the space already holds: a category with a document in it, imported before.
    let first = zip_of(&[("已有/旧文.md", "# 旧文\n\n第一版\n".as_bytes())]);
    let (st, r) = admin
        .raw(Method::POST, &url, "application/zip", first)
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let before = contents(&admin, &space).await;
    assert_eq!((before.0.len(), before.1.len()), (1, 1), "{before:?}");

    let long = "长".repeat(101);
    let deep = (1..=13)
        .map(|i| format!("层{i}"))
        .collect::<Vec<_>>()
        .join("/");
    let bad: Vec<(String, &str)> = vec![
        (format!("{long}/文.md"), "name_too_long"),
        ("控制\u{1}/文.md".to_owned(), "control_character"),
        ("docs/文.md".to_owned(), "name_collision"),
        (format!("{deep}/文.md"), "too_deep"),
    ];
    for (entry, code) in &bad {
        // Good entries sort before and after the bad one, and one would update the old document.
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("0-先.md", "# 先\n".as_bytes()),
            ("已有/旧文.md", "# 旧文\n\n第二版\n".as_bytes()),
            ("新目录/后.md", "# 后\n".as_bytes()),
            ("龘/末.md", "# 末\n".as_bytes()),
            (entry.as_str(), "# 坏\n".as_bytes()),
        ];
        if *code == "name_collision" {
            entries.push(("Docs/另.md", "# 另\n".as_bytes()));
        }
        let r = admin
            .raw(Method::POST, &url, "application/zip", zip_of(&entries))
            .await;
        assert_error(&r, 400, "invalid_input");
        let problems = r.1["error"]["problems"]
            .as_array()
            .expect("problems listed");
        assert_eq!(problems.len(), 1, "{}", r.1);
        assert_eq!(problems[0]["entry"], entry.as_str(), "{}", r.1);
        assert_eq!(problems[0]["code"], *code, "{}", r.1);
        assert!(
            r.1["error"]["message"]
                .as_str()
                .unwrap()
                .contains(entry.as_str()),
            "the message names the entry: {}",
            r.1
        );
        assert_eq!(
            contents(&admin, &space).await,
            before,
            "{code}: nothing written"
        );
    }
    // All four at once: every problem reported.
    let mut all: Vec<(&str, &[u8])> = bad
        .iter()
        .map(|(e, _)| (e.as_str(), "# 坏\n".as_bytes()))
        .collect();
    all.push(("Docs/另.md", b"# x\n"));
    let r = admin
        .raw(Method::POST, &url, "application/zip", zip_of(&all))
        .await;
    assert_error(&r, 400, "invalid_input");
    let mut codes: Vec<&str> = r.1["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![
            "control_character",
            "name_collision",
            "name_too_long",
            "too_deep"
        ]
    );
    assert_eq!(contents(&admin, &space).await, before);

    // The good entries alone land whole: the existing category reused, the old document updated.
    let good = zip_of(&[
        ("0-先.md", "# 先\n".as_bytes()),
        ("已有/旧文.md", "# 旧文\n\n第二版\n".as_bytes()),
        ("新目录/后.md", "# 后\n".as_bytes()),
        ("新目录/子/深.md", "# 深\n".as_bytes()),
    ]);
    let (st, r) = admin.raw(Method::POST, &url, "application/zip", good).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (
            r["created"].as_u64(),
            r["updated"].as_u64(),
            r["categories"].as_u64()
        ),
        (Some(3), Some(1), Some(2)),
        "{r}"
    );
    let (docs, cats) = contents(&admin, &space).await;
    assert_eq!((docs.len(), cats.len()), (4, 3), "{docs:?} {cats:?}");
    assert!(cats.contains(&before.1[0]), "the old category is kept");
    assert!(
        docs.iter()
            .any(|d| d.contains("旧文") && d.contains(" v2 ")),
        "{docs:?}"
    );
}

#[tokio::test]
async fn hostile_front_matter_is_refused_fast_with_a_clear_error() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("前言").await;
    let url = format!("/api/v1/spaces/{space}/import");
    for (n, code, limit) in [
        (100_000, "front_matter_too_large", "64 KiB"),
        (10_000, "front_matter_too_deep", "32"),
    ] {
        let text = format!(
            "---\ntitle: {}{}\n---\n# 标题\n",
            "[".repeat(n),
            "]".repeat(n)
        );
        let z = zip_of(&[("ok.md", b"# ok\n"), ("bomb.md", text.as_bytes())]);
        let t = std::time::Instant::now();
        let r = admin.raw(Method::POST, &url, "application/zip", z).await;
        eprintln!(
            "front matter with {n} nested brackets refused in {:?}",
            t.elapsed()
        );
        assert_error(&r, 400, "invalid_input");
        let p = &r.1["error"]["problems"][0];
        assert_eq!(
            (p["entry"].as_str(), p["code"].as_str()),
            (Some("bomb.md"), Some(code))
        );
        assert!(p["message"].as_str().unwrap().contains(limit), "{p}");
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "fast");
    }
    let (_, list) = admin
        .get(&format!("/api/v1/documents?space_id={space}"))
        .await;
    assert_eq!(list["total"], 0);
}

/// `hanlin import DIR` follows the same rule: every file checked first, nothing written (not even
/// the space) when one is bad; a clean folder lands whole.
#[test]
fn cli_folder_import_checks_everything_before_writing() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let put = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put("a.md", "# 甲\n");
    put("Docs/x.md", "# x\n");
    put("docs/y.md", "# y\n");
    put(&format!("{}/z.md", "x".repeat(101)), "# z\n");
    let args = hanlin::config::ImportArgs {
        dir: dir.path().to_owned(),
        space: "命令行导入".into(),
        data_dir: data.path().to_owned(),
    };
    let e = hanlin::cli::import(&args).expect_err("refused");
    assert!(
        e.to_string().contains("2 problems") && e.to_string().contains("nothing was imported"),
        "{e}"
    );
    {
        let store = hanlin::store::Store::open(&data.path().join("db")).unwrap();
        let spaces: Vec<hanlin::model::Space> = store.spaces.all().unwrap();
        assert!(
            spaces.iter().all(|s| s.name != "命令行导入"),
            "no space created"
        );
        assert!(store.import_paths.is_empty(), "no document imported");
    }
    std::fs::remove_dir_all(dir.path().join("docs")).unwrap();
    std::fs::remove_dir_all(dir.path().join("x".repeat(101))).unwrap();
    hanlin::cli::import(&args).unwrap();
    let store = hanlin::store::Store::open(&data.path().join("db")).unwrap();
    assert_eq!(store.import_paths.len(), 2);
}

/// Logs in over a fresh client; the status and body.
async fn try_login(base: &str, password: &str) -> (StatusCode, serde_json::Value) {
    let c = crate::common::Client {
        base: base.to_owned(),
        http: reqwest::Client::new(),
        token: None,
    };
    c.post(
        "/api/v1/session",
        json!({"username": "admin", "password": password}),
    )
    .await
}

/// First start is the same whichever command comes first: `hanlin import` on a fresh data
/// directory applies HANLIN_ADMIN_PASSWORD, or prints the generated password, as `serve` does.
#[tokio::test]
async fn first_start_through_import_sets_the_admin_password_like_serve() {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.md"), "# 导入\n\n正文\n").unwrap();
    for given in [Some("Import-First-123"), None] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hanlin"));
        cmd.args(["import"])
            .arg(src.path())
            .args(["--space", "导入", "--data-dir"])
            .arg(dir.path())
            .env_remove("HANLIN_ADMIN_PASSWORD")
            .env("RUST_LOG", "warn");
        if let Some(p) = given {
            cmd.env("HANLIN_ADMIN_PASSWORD", p);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let password = match given {
            Some(p) => {
                assert!(
                    !stdout.contains(p),
                    "a given password is never printed: {stdout}"
                );
                p.to_owned()
            }
            None => stdout
                .lines()
                .find_map(|l| l.split("with password: ").nth(1))
                .unwrap_or_else(|| panic!("the generated password is printed: {stdout}"))
                .trim()
                .to_owned(),
        };
        // A later serve with another HANLIN_ADMIN_PASSWORD changes nothing: first start is over.
        let (mut child, base) = crate::durability::spawn(dir.path());
        let (st, body) = try_login(&base, &password).await;
        let (other, _) = try_login(&base, crate::common::ADMIN_PASSWORD).await;
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(st, StatusCode::OK, "{body}");
        assert_eq!(other, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn links_between_imported_files_point_at_their_documents() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("链接空间").await;
    let z = zip_of(&[
        ("运维/安装.md", "# 安装\n\n## 步骤\n\n先装依赖。\n".as_bytes()),
        (
            "开发/指南.md",
            "# 指南\n\n见 [安装步骤](../运维/安装.md#步骤)、[首页](/readme.md) 和 [旧文](旧文.md)。\n"
                .as_bytes(),
        ),
        ("readme.md", "# 首页\n".as_bytes()),
    ]);
    let (st, r) = admin
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{space}/import"),
            "application/zip",
            z.clone(),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (_, list) = admin
        .get(&format!("/api/v1/documents?space_id={space}"))
        .await;
    let id_of = |title: &str| -> String {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["title"] == title)
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {title} in {list}"))
    };
    let (_, guide) = admin
        .get(&format!("/api/v1/documents/{}", id_of("指南")))
        .await;
    let body = guide["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("[安装步骤](#/doc/{}?h=步骤)", id_of("安装"))),
        "{body}"
    );
    assert!(
        body.contains(&format!("[首页](#/doc/{})", id_of("首页"))),
        "{body}"
    );
    assert!(
        body.contains("旧文（链接的文档不存在：开发/旧文.md）"),
        "{body}"
    );
    let html = guide["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("href=\"#/doc/{}", id_of("安装"))),
        "the rendered link survives the sanitiser: {html}"
    );
    // A second import of the same files changes nothing: the links point at the same ids.
    let (_, again) = admin
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{space}/import"),
            "application/zip",
            z,
        )
        .await;
    assert_eq!(again["unchanged"], 3, "{again}");
}
