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
