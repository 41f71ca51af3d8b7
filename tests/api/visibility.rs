//! What a caller may see of a document, decided per version by where that version lived: a document
//! moved out of an `inherit: false` category never shows what it was there to readers, editors or
//! reviewers of its new place (reads, history, versions, diffs, lists, search, the review view);
//! search paths name only readable categories; hidden things answer exactly like things that do
//! not exist; a review of a trashed document cannot be approved.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, Server, assert_error};

#[track_caller]
fn ok(resp: (StatusCode, Value)) -> Value {
    assert_eq!(resp.0, StatusCode::OK, "{}", resp.1);
    resp.1
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

/// An id of the right shape that names nothing.
const NOBODY: &str = "0000000000000000000000000000feed";

#[track_caller]
fn no_leak(what: &str, v: &Value, leaks: &[&str]) {
    let text = v.to_string();
    for l in leaks {
        assert!(!text.contains(l), "{what} leaks {l}: {text}");
    }
}

fn versions_of(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect()
}

async fn grant(admin: &Client, path: String, body: Value) {
    ok(admin.put(&path, body).await);
}

/// A space 制度库 with category 机要室 (`inherit: false`: only the mover edits, `both` reads) and
/// category 公开制度 (inherits the space grants; a review by `reviewer` before publishing).
struct Moved {
    srv: Server,
    admin: Client,
    space: String,
    secret_cat: String,
    open_cat: String,
    doc: String,
    mover: Client,
    reader: Client,
    editor: Client,
    reviewer: Client,
    both: Client,
}

const SECRET_TITLE: &str = "绝密标题 ALPHASECRET";
const SECRET_BODY: &str = "绝密正文 BRAVOSECRET 部署\n";

async fn moved() -> Moved {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("制度库").await;
    let (mover_id, mover) = srv.user(&admin, "mover", json!({})).await;
    let (reader_id, reader) = srv.user(&admin, "reader", json!({})).await;
    let (editor_id, editor) = srv.user(&admin, "editor", json!({})).await;
    let (reviewer_id, reviewer) = srv.user(&admin, "reviewer", json!({})).await;
    let (both_id, both) = srv.user(&admin, "both", json!({})).await;
    grant(
        &admin,
        format!("/api/v1/spaces/{space}/grants"),
        json!([
            {"principal": format!("user:{mover_id}"), "role": "editor"},
            {"principal": format!("user:{reader_id}"), "role": "reader"},
            {"principal": format!("user:{editor_id}"), "role": "editor"},
            {"principal": format!("user:{reviewer_id}"), "role": "reviewer"},
            {"principal": format!("user:{both_id}"), "role": "reader"},
        ]),
    )
    .await;
    let secret_cat = admin.new_category(&space, "机要室", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{secret_cat}/grants"),
        json!({"inherit": false, "grants": [
            {"principal": format!("user:{mover_id}"), "role": "editor"},
            {"principal": format!("user:{both_id}"), "role": "reader"},
        ]}),
    )
    .await;
    let open_cat = admin.new_category(&space, "公开制度", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{open_cat}/review-policy"),
        json!({"stages": [{"name": "终审", "reviewers": [format!("user:{reviewer_id}")], "quorum": "any"}]}),
    )
    .await;
    let d = mover
        .new_doc(&space, Some(&secret_cat), SECRET_TITLE, SECRET_BODY)
        .await;
    assert_eq!(d["status"], "published", "{d}");
    let doc = s(&d["id"]);
    admin.search_until("BRAVOSECRET", &doc, true).await;
    // The move: new text, into the category that needs a review.
    let m = ok(mover
        .put(
            &format!("/api/v1/documents/{doc}"),
            json!({"title": "公开标题", "body": "公开正文 部署\n", "tags": [], "category_id": open_cat, "base_version": 1}),
        )
        .await);
    assert_eq!(m["status"], "draft", "{m}");
    assert_eq!(m["version"], 2);
    assert_eq!(m["published_version"], 1);
    Moved {
        srv,
        admin,
        space,
        secret_cat,
        open_cat,
        doc,
        mover,
        reader,
        editor,
        reviewer,
        both,
    }
}

impl Moved {
    fn leaks(&self) -> Vec<&str> {
        vec![
            "ALPHASECRET",
            "BRAVOSECRET",
            "绝密",
            "机要室",
            self.secret_cat.as_str(),
        ]
    }

    /// Every read of the document by `c`, each checked for the secret text.
    async fn reads_leak_nothing(&self, who: &str, c: &Client) {
        let leaks = self.leaks();
        let doc = &self.doc;
        for path in [
            format!("/api/v1/documents/{doc}"),
            format!("/api/v1/documents/{doc}/versions"),
            format!("/api/v1/documents/{doc}/versions/1"),
            format!("/api/v1/documents/{doc}/versions/2"),
            format!("/api/v1/documents/{doc}/diff?from=1&to=2"),
            format!("/api/v1/documents?space_id={}&limit=100", self.space),
            format!("/api/v1/documents?category_id={}&limit=100", self.open_cat),
            "/api/v1/favourites".into(),
            "/api/v1/drafts".into(),
            "/api/v1/reviews?state=all".into(),
            "/api/v1/notifications".into(),
            "/api/v1/search?q=BRAVOSECRET".into(),
            "/api/v1/search?q=ALPHASECRET".into(),
            format!("/api/v1/search?q={}", crate::common::urlencode("部署")),
            format!("/api/v1/search?q={}", crate::common::urlencode("绝密")),
        ] {
            let (_, body) = c.get(&path).await;
            no_leak(&format!("{who} GET {path}"), &body, &leaks);
        }
    }
}

#[tokio::test]
async fn moving_a_document_never_exposes_what_it_was() {
    let w = moved().await;
    let doc = &w.doc;
    let leaks = w.leaks();
    // The index drops the old published text: it lived where the new place's readers may not read.
    w.admin.search_until("BRAVOSECRET", doc, false).await;

    // A reader of the new place only: the document does not exist for them until it is approved.
    let missing = w.reader.get(&format!("/api/v1/documents/{NOBODY}")).await;
    let r = w.reader.get(&format!("/api/v1/documents/{doc}")).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.1, missing.1, "hidden answers like nonexistent");
    for path in ["versions", "versions/1", "versions/2", "diff?from=1&to=2"] {
        assert_error(
            &w.reader
                .get(&format!("/api/v1/documents/{doc}/{path}"))
                .await,
            404,
            "not_found",
        );
    }
    assert_error(
        &w.reader
            .put(&format!("/api/v1/documents/{doc}/favourite"), json!({}))
            .await,
        404,
        "not_found",
    );
    w.reads_leak_nothing("reader", &w.reader).await;

    // An editor of the new place who may not read the old one: the head, and only its history
    // from here.
    let e = ok(w.editor.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(e["title"], "公开标题");
    assert_eq!(e["version"], 2);
    let h = ok(w
        .editor
        .get(&format!("/api/v1/documents/{doc}/versions"))
        .await);
    assert_eq!(versions_of(&h), vec![2], "{h}");
    assert_error(
        &w.editor
            .get(&format!("/api/v1/documents/{doc}/versions/1"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &w.editor
            .get(&format!("/api/v1/documents/{doc}/diff?from=1&to=2"))
            .await,
        404,
        "not_found",
    );
    // Restoring (copying) a version it may not read is restoring no version at all.
    let nine = w
        .editor
        .post(
            &format!("/api/v1/documents/{doc}/restore"),
            json!({"version": 9}),
        )
        .await;
    let one = w
        .editor
        .post(
            &format!("/api/v1/documents/{doc}/restore"),
            json!({"version": 1}),
        )
        .await;
    assert_error(&one, 400, "invalid_input");
    assert_eq!(one.1, nine.1);
    // Nor may it submit that version for review.
    let one = w
        .editor
        .post(
            &format!("/api/v1/documents/{doc}/submit"),
            json!({"version": 1}),
        )
        .await;
    assert_error(&one, 400, "invalid_input");
    w.reads_leak_nothing("editor", &w.editor).await;

    // The mover may read version 1, but it was saved in 机要室: it cannot go to review here.
    assert_error(
        &w.mover
            .post(
                &format!("/api/v1/documents/{doc}/submit"),
                json!({"version": 1}),
            )
            .await,
        409,
        "version_elsewhere",
    );

    // The mover submits the moved version; the reviewer, who cannot read 机要室, reviews it
    // against nothing rather than against the secret text.
    let rv = ok(w
        .mover
        .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
        .await);
    let review = s(&rv["id"]);
    let seen = ok(w.reviewer.get(&format!("/api/v1/reviews/{review}")).await);
    no_leak("the reviewer's review", &seen, &leaks);
    assert_eq!(seen["base_version"], Value::Null, "{seen}");
    assert_eq!(seen["diff"]["from"], 0, "{seen}");
    assert_eq!(seen["version"], 2);
    let q = ok(w.reviewer.get("/api/v1/reviews?assigned=me").await);
    assert_eq!(q["total"], 1, "{q}");
    w.reads_leak_nothing("reviewer", &w.reviewer).await;
    w.reads_leak_nothing("reader", &w.reader).await;

    // The mover, who may read both places, still sees everything.
    let m = ok(w.mover.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(m["title"], "公开标题");
    let h = ok(w
        .mover
        .get(&format!("/api/v1/documents/{doc}/versions"))
        .await);
    assert_eq!(versions_of(&h), vec![2, 1], "{h}");
    let v1 = ok(w
        .mover
        .get(&format!("/api/v1/documents/{doc}/versions/1"))
        .await);
    assert_eq!(v1["title"], SECRET_TITLE);
    assert_eq!(v1["body"], SECRET_BODY);
    assert_eq!(v1["category_id"], w.secret_cat.as_str());
    let d = ok(w
        .mover
        .get(&format!("/api/v1/documents/{doc}/diff?from=1&to=2"))
        .await);
    assert_eq!(d["title"], json!([SECRET_TITLE, "公开标题"]), "{d}");
    let mine = ok(w.mover.get(&format!("/api/v1/reviews/{review}")).await);
    assert_eq!(mine["base_version"], 1, "{mine}");
    assert!(mine["diff"].to_string().contains("ALPHASECRET"), "{mine}");
    // A reader of both places sees the published version where it was published.
    let b = ok(w.both.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(b["title"], SECRET_TITLE);
    assert_eq!(b["version"], 1);

    // Approved: the moved version is what readers get, and its past stays where it was.
    ok(w.reviewer
        .post(&format!("/api/v1/reviews/{review}/approve"), json!({}))
        .await);
    let r = ok(w.reader.get(&format!("/api/v1/documents/{doc}")).await);
    assert_eq!(r["title"], "公开标题");
    assert_eq!(r["version"], 2);
    let h = ok(w
        .reader
        .get(&format!("/api/v1/documents/{doc}/versions"))
        .await);
    assert_eq!(versions_of(&h), vec![2], "{h}");
    assert_error(
        &w.reader
            .get(&format!("/api/v1/documents/{doc}/versions/1"))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &w.reader
            .get(&format!("/api/v1/documents/{doc}/diff?from=1&to=2"))
            .await,
        404,
        "not_found",
    );
    let found = w.reader.search_until("部署", doc, true).await;
    no_leak("reader's search after approval", &found, &leaks);
    w.reads_leak_nothing("reader", &w.reader).await;
    let h = ok(w
        .both
        .get(&format!("/api/v1/documents/{doc}/versions"))
        .await);
    assert_eq!(versions_of(&h), vec![2, 1], "{h}");
    drop(w.srv);
}

#[tokio::test]
async fn search_paths_name_only_readable_categories() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let space = admin.new_space("路线库").await;
    let (uid, reader) = srv.user(&admin, "reader", json!({})).await;
    grant(
        &admin,
        format!("/api/v1/spaces/{space}/grants"),
        json!([{"principal": format!("user:{uid}"), "role": "reader"}]),
    )
    .await;
    let parent = admin.new_category(&space, "保密上级", None).await;
    let child = admin.new_category(&space, "公开子类", Some(&parent)).await;
    grant(
        &admin,
        format!("/api/v1/categories/{parent}/grants"),
        json!({"inherit": false, "grants": []}),
    )
    .await;
    grant(
        &admin,
        format!("/api/v1/categories/{child}/grants"),
        json!({"inherit": false, "grants": [{"principal": format!("user:{uid}"), "role": "reader"}]}),
    )
    .await;
    let d = admin
        .new_doc(&space, Some(&child), "路线图", "明年的路线图\n")
        .await;
    let id = s(&d["id"]);
    let all = admin.search_until("路线图", &id, true).await;
    assert_eq!(
        all["hits"][0]["category_path"],
        json!(["保密上级", "公开子类"])
    );
    let r = reader.search_until("路线图", &id, true).await;
    assert_eq!(r["hits"][0]["category_path"], json!(["公开子类"]), "{r}");
    no_leak("reader's search", &r, &["保密上级", parent.as_str()]);
    // The document page's breadcrumbs come with the document, cut the same way.
    let (_, full) = admin.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(
        full["category_path"],
        json!([{"id": parent, "name": "保密上级"}, {"id": child, "name": "公开子类"}])
    );
    let (st, mine) = reader.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{mine}");
    assert_eq!(
        mine["category_path"],
        json!([{"id": child, "name": "公开子类"}]),
        "{mine}"
    );
    no_leak("reader's document", &mine, &["保密上级", parent.as_str()]);
}

/// One request of the "one answer" table.
async fn call(c: &Client, route: &str, id: &str) -> (StatusCode, Value) {
    let doc = format!("/api/v1/documents/{id}");
    match route {
        "GET" => c.get(&doc).await,
        "PUT" => {
            c.put(
                &doc,
                json!({"title": "改", "body": "改\n", "tags": [], "base_version": 1}),
            )
            .await
        }
        "DELETE" => c.delete(&doc).await,
        "restore" => {
            c.post(&format!("{doc}/restore"), json!({"version": 1}))
                .await
        }
        "submit" => c.post(&format!("{doc}/submit"), json!({})).await,
        "review-by" => {
            c.put(&format!("{doc}/review-by"), json!({"date": "2031-01-01"}))
                .await
        }
        "undelete" => c.post(&format!("{doc}/undelete"), json!({})).await,
        _ => unreachable!("{route}"),
    }
}

const ROUTES: [&str; 7] = [
    "GET",
    "PUT",
    "DELETE",
    "restore",
    "submit",
    "review-by",
    "undelete",
];

#[tokio::test]
async fn hidden_answers_exactly_like_nonexistent() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (reader_id, reader) = srv.user(&admin, "reader", json!({})).await;
    let (editor_id, editor) = srv.user(&admin, "editor", json!({})).await;
    let space = admin.new_space("知识库").await;
    grant(
        &admin,
        format!("/api/v1/spaces/{space}/grants"),
        json!([
            {"principal": format!("user:{reader_id}"), "role": "reader"},
            {"principal": format!("user:{editor_id}"), "role": "editor"},
        ]),
    )
    .await;
    let plain = admin.new_category(&space, "普通类", None).await;
    let reviewed = admin.new_category(&space, "审核类", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{reviewed}/review-policy"),
        json!({"stages": [{"name": "终审", "reviewers": [format!("user:{editor_id}")], "quorum": "any"}]}),
    )
    .await;
    let closed = admin.new_category(&space, "禁区", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{closed}/grants"),
        json!({"inherit": false, "grants": []}),
    )
    .await;
    // A never-published draft, a trashed document, and a published one the reader may see.
    let d = editor
        .new_doc(&space, Some(&reviewed), "草稿", "草稿正文\n")
        .await;
    assert_eq!(d["status"], "draft");
    let draft = s(&d["id"]);
    let trashed = s(&editor
        .new_doc(&space, Some(&plain), "回收", "回收正文\n")
        .await["id"]);
    ok(editor.delete(&format!("/api/v1/documents/{trashed}")).await);
    let visible = s(&editor
        .new_doc(&space, Some(&plain), "公开", "公开正文\n")
        .await["id"]);
    // A hidden space; another space whose category 密室 is hidden (the reader and the editor read
    // the rest of it).
    let hidden_space = admin.new_space("机密空间").await;
    let in_hidden_space = s(&admin
        .new_doc(&hidden_space, None, "机密", "机密正文\n")
        .await["id"]);
    let other = admin.new_space("别的空间").await;
    grant(
        &admin,
        format!("/api/v1/spaces/{other}/grants"),
        json!([
            {"principal": format!("user:{reader_id}"), "role": "reader"},
            {"principal": format!("user:{editor_id}"), "role": "reader"},
        ]),
    )
    .await;
    let other_open = admin.new_category(&other, "开放", None).await;
    let other_hidden = admin.new_category(&other, "密室", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{other_hidden}/grants"),
        json!({"inherit": false, "grants": []}),
    )
    .await;
    let in_hidden_category = s(&admin
        .new_doc(&other, Some(&other_hidden), "密室文档", "密室正文\n")
        .await["id"]);

    for route in ROUTES {
        let want = call(&reader, route, NOBODY).await;
        assert_error(&want, 404, "not_found");
        for (what, id) in [
            ("hidden draft", &draft),
            ("trashed document", &trashed),
            ("document in a hidden space", &in_hidden_space),
            (
                "document in a hidden category of another space",
                &in_hidden_category,
            ),
        ] {
            let got = call(&reader, route, id).await;
            assert_eq!(
                (got.0, &got.1),
                (want.0, &want.1),
                "{route} on a {what} must answer like a nonexistent document"
            );
        }
        // Seen but not the reader's to change: 403.
        if route != "GET" {
            assert_error(&call(&reader, route, &visible).await, 403, "forbidden");
        }
    }
    // Nothing was changed by any of it.
    let d = ok(admin.get(&format!("/api/v1/documents/{draft}")).await);
    assert_eq!(
        (d["version"].as_u64(), &d["status"]),
        (Some(1), &json!("draft"))
    );

    // Creating: a space or category that does not exist and one hidden from the caller answer
    // alike; only a category the caller may see says it belongs elsewhere.
    let create = |space: &str, cat: Option<&str>| json!({"space_id": space, "category_id": cat, "title": "新", "body": "新\n"});
    let no_space = editor.post("/api/v1/documents", create(NOBODY, None)).await;
    assert_error(&no_space, 404, "not_found");
    let hid_space = editor
        .post("/api/v1/documents", create(&hidden_space, None))
        .await;
    assert_eq!((hid_space.0, &hid_space.1), (no_space.0, &no_space.1));
    let no_cat = editor
        .post("/api/v1/documents", create(&space, Some(NOBODY)))
        .await;
    assert_error(&no_cat, 404, "not_found");
    for cat in [&other_hidden, &closed] {
        let got = editor
            .post("/api/v1/documents", create(&space, Some(cat)))
            .await;
        assert_eq!((got.0, &got.1), (no_cat.0, &no_cat.1), "{got:?}");
    }
    let elsewhere = editor
        .post("/api/v1/documents", create(&space, Some(&other_open)))
        .await;
    assert_error(&elsewhere, 400, "invalid_input");
    // Moving: the same answers.
    let move_to = |cat: &str| json!({"title": "公开", "body": "公开正文\n", "tags": [], "category_id": cat, "base_version": 1});
    let url = format!("/api/v1/documents/{visible}");
    let no_cat = editor.put(&url, move_to(NOBODY)).await;
    assert_error(&no_cat, 404, "not_found");
    for cat in [&other_hidden, &closed] {
        let got = editor.put(&url, move_to(cat)).await;
        assert_eq!((got.0, &got.1), (no_cat.0, &no_cat.1), "{got:?}");
    }
    assert_error(
        &editor.put(&url, move_to(&other_open)).await,
        400,
        "invalid_input",
    );
    let d = ok(editor.get(&url).await);
    assert_eq!(d["version"], 1, "no move happened: {d}");
    // The reader's ordinary refusals are unchanged: it may see the space but not write there.
    assert_error(
        &reader
            .send(
                Method::POST,
                "/api/v1/documents",
                Some(create(&space, Some(&plain))),
            )
            .await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn a_review_of_a_trashed_document_cannot_be_approved() {
    let srv = Server::start().await;
    let admin = srv.admin().await;
    let (author_id, author) = srv.user(&admin, "author", json!({})).await;
    let (reviewer_id, reviewer) = srv.user(&admin, "reviewer", json!({})).await;
    let space = admin.new_space("制度库").await;
    grant(
        &admin,
        format!("/api/v1/spaces/{space}/grants"),
        json!([
            {"principal": format!("user:{author_id}"), "role": "editor"},
            {"principal": format!("user:{reviewer_id}"), "role": "reviewer"},
        ]),
    )
    .await;
    let cat = admin.new_category(&space, "审核类", None).await;
    grant(
        &admin,
        format!("/api/v1/categories/{cat}/review-policy"),
        json!({"stages": [{"name": "终审", "reviewers": [format!("user:{reviewer_id}")], "quorum": "any"}]}),
    )
    .await;
    let doc = s(&author
        .new_doc(&space, Some(&cat), "待审", "待审正文\n")
        .await["id"]);
    let review = s(&ok(author
        .post(&format!("/api/v1/documents/{doc}/submit"), json!({}))
        .await)["id"]);
    ok(author.delete(&format!("/api/v1/documents/{doc}")).await);
    let r = reviewer
        .post(&format!("/api/v1/reviews/{review}/approve"), json!({}))
        .await;
    assert_error(&r, 409, "doc_deleted");
    let seen = ok(reviewer.get(&format!("/api/v1/reviews/{review}")).await);
    assert_eq!(seen["state"], "pending", "{seen}");
    // Nothing was published: back from the trash it is still the unpublished draft.
    let d = ok(author
        .post(&format!("/api/v1/documents/{doc}/undelete"), json!({}))
        .await);
    assert_eq!(d["published_version"], Value::Null, "{d}");
    let a = ok(reviewer
        .post(&format!("/api/v1/reviews/{review}/approve"), json!({}))
        .await);
    assert_eq!(a["state"], "approved");
}
