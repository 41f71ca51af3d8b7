//! Export: a space's zip goes back through the importer unchanged; one document as Markdown,
//! printable HTML and Word, in the version the caller may read.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error};

async fn bytes(c: &Client, path: &str) -> (u16, String, String, Vec<u8>) {
    let resp = c
        .http
        .get(format!("{}{path}", c.base))
        .bearer_auth(c.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let st = resp.status().as_u16();
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    let (ct, cd) = (h("content-type"), h("content-disposition"));
    (st, ct, cd, resp.bytes().await.unwrap().to_vec())
}

/// title -> (body, tags, category path) of every document in a space.
async fn contents(c: &Client, space: &str) -> BTreeMap<String, (String, Vec<String>, String)> {
    let (_, cats) = c.get(&format!("/api/v1/spaces/{space}/categories")).await;
    let cats = cats.as_array().unwrap().clone();
    let path = |id: &Value| -> String {
        let mut names = Vec::new();
        let mut cur = id.clone();
        while let Some(c) = cats.iter().find(|c| c["id"] == cur) {
            names.push(c["name"].as_str().unwrap().to_owned());
            cur = c["parent_id"].clone();
        }
        names.reverse();
        names.join("/")
    };
    let (_, list) = c
        .get(&format!("/api/v1/documents?space_id={space}&limit=100"))
        .await;
    let mut out = BTreeMap::new();
    for d in list["items"].as_array().unwrap() {
        let (_, full) = c
            .get(&format!("/api/v1/documents/{}", d["id"].as_str().unwrap()))
            .await;
        let tags = full["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        out.insert(
            full["title"].as_str().unwrap().to_owned(),
            (
                full["body"].as_str().unwrap().to_owned(),
                tags,
                path(&full["category_id"]),
            ),
        );
    }
    out
}

#[tokio::test]
async fn a_space_exported_and_imported_elsewhere_is_the_same_and_documents_export_three_ways() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let a = admin.new_space("制度汇编").await;
    let rules = admin.new_category(&a, "人事制度", None).await;
    let leave = admin.new_category(&a, "考勤: 假期", Some(&rules)).await;
    let docs = [
        (
            None,
            "总则",
            "# 总则\n\n本制度适用于全体员工。\n",
            vec!["制度"],
        ),
        (
            Some(&rules),
            "入职流程",
            "## 第一天\n\n1. 领取电脑\n2. 开通账号\n\n| 事项 | 负责人 |\n|---|---|\n| 门禁 | 行政 |\n",
            vec!["入职", "新人"],
        ),
        (
            Some(&leave),
            "年假: 怎么请?",
            "年假按工龄计算：\n\n- 满一年 5 天\n- 满十年 10 天\n\n> 注意：需提前三天申请 \"OA\"。\n",
            vec![],
        ),
        (Some(&leave), "病假", "病假需提供医院证明。\n", vec!["假期"]),
    ];
    let mut ids = Vec::new();
    for (cat, title, body, tags) in &docs {
        let (st, d) = admin
            .post(
                "/api/v1/documents",
                json!({"space_id": a, "category_id": cat, "title": title, "body": body, "tags": tags}),
            )
            .await;
        assert_eq!(st, 200, "{d}");
        ids.push(d["id"].as_str().unwrap().to_owned());
    }

    let (st, ct, cd, zip) = bytes(&admin, &format!("/api/v1/spaces/{a}/export")).await;
    assert_eq!(st, 200);
    assert_eq!(ct, "application/zip");
    assert!(cd.contains("filename*=UTF-8''"), "{cd}");
    // Folders are categories; front matter carries title, tags, category path, author, updated.
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_owned())
        .collect();
    assert!(
        names.contains(&"人事制度/考勤: 假期/病假.md".to_owned()),
        "{names:?}"
    );
    let mut text = String::new();
    std::io::Read::read_to_string(&mut z.by_name("人事制度/入职流程.md").unwrap(), &mut text)
        .unwrap();
    assert!(text.starts_with("---\n"), "{text}");
    for want in [
        "title: 入职流程",
        "category: 人事制度",
        "author: ",
        "updated: ",
    ] {
        assert!(text.contains(want), "{want} missing in {text}");
    }

    // Imported into a new space: the same titles, bodies, tags and categories.
    let b = admin.new_space("制度汇编副本").await;
    let (st, r) = admin
        .raw(
            Method::POST,
            &format!("/api/v1/spaces/{b}/import"),
            "application/zip",
            zip,
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (before, after) = (contents(&admin, &a).await, contents(&admin, &b).await);
    assert_eq!(before.len(), 4);
    assert_eq!(before, after);

    // A category alone: its subtree, paths below it.
    let (st, _, _, sub) = bytes(
        &admin,
        &format!("/api/v1/spaces/{a}/export?category_id={leave}"),
    )
    .await;
    assert_eq!(st, 200);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(sub)).unwrap();
    let mut names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["年假: 怎么请?.md", "病假.md"]);

    // One document three ways.
    let id = &ids[1];
    let (st, ct, _, md) = bytes(&admin, &format!("/api/v1/documents/{id}/export?format=md")).await;
    assert_eq!((st, ct.as_str()), (200, "text/markdown; charset=utf-8"));
    assert!(String::from_utf8(md).unwrap().ends_with(docs[1].2));
    let (st, ct, _, html) = bytes(
        &admin,
        &format!("/api/v1/documents/{id}/export?format=html"),
    )
    .await;
    assert_eq!((st, ct.as_str()), (200, "text/html; charset=utf-8"));
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains("<style>") && html.contains("@media print"),
        "self-contained and printable"
    );
    assert!(
        html.contains("<h2") && html.contains("<table>") && html.contains("领取电脑"),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    let (st, ct, cd, docx) = bytes(
        &admin,
        &format!("/api/v1/documents/{id}/export?format=docx"),
    )
    .await;
    assert_eq!(st, 200);
    assert!(ct.contains("wordprocessingml"), "{ct}");
    assert!(cd.contains(".docx"), "{cd}");
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    assert!(
        xml.contains("入职流程") && xml.contains("Heading2") && xml.contains("<w:tbl>"),
        "{xml}"
    );
    assert_error(
        &admin
            .get(&format!("/api/v1/documents/{id}/export?format=pdf"))
            .await,
        400,
        "invalid_input",
    );

    // A reader of the space may export a document (the version readers see).
    let (_, reader) = srv.user(&admin, "export_reader", json!({})).await;
    let (st, r) = admin
        .put(
            &format!("/api/v1/spaces/{a}/grants"),
            json!([{"principal": "everyone", "role": "reader"}]),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let (st, ..) = bytes(&reader, &format!("/api/v1/documents/{id}/export")).await;
    assert_eq!(st, 200);
    // Readers do not export whole spaces (managers do).
    assert_error(
        &reader.get(&format!("/api/v1/spaces/{a}/export")).await,
        403,
        "forbidden",
    );
}
