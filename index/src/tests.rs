//! Behaviour tests of the whole index.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};

use crate::{Access, Error, IndexDoc, SearchIndex, SearchRequest, SearchResults, Sort};

fn doc(id: &str, title: &str, body: &str) -> IndexDoc {
    IndexDoc {
        id: id.into(),
        kind: "doc".into(),
        space_id: "sp1".into(),
        space_name: "研发".into(),
        scope: "cat1".into(),
        category_id: Some("cat1".into()),
        category_path: vec!["数据库".into(), "运维手册".into()],
        tags: vec!["TiDB".into()],
        title: title.into(),
        body: body.into(),
        author: "alice".into(),
        updated_at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        status: "published".into(),
        sections: vec![],
    }
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        query: q.into(),
        limit: 10,
        offset: 0,
        sort: Sort::Relevance,
        access: Access::All,
    }
}

fn ids(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn index_with(docs: Vec<IndexDoc>) -> SearchIndex {
    let idx = SearchIndex::open_in_ram().unwrap();
    idx.upsert(docs).unwrap();
    idx.commit().unwrap();
    idx
}

fn sample() -> SearchIndex {
    let mut d2 = doc(
        "d2",
        "Kubernetes 上部署 Nacos",
        "使用 Helm 在 Kubernetes 集群中部署 Nacos 注册中心。",
    );
    d2.space_id = "sp2".into();
    d2.space_name = "中间件".into();
    d2.scope = "cat2".into();
    d2.category_id = Some("cat2".into());
    d2.category_path = vec!["中间件".into()];
    d2.tags = vec!["Nacos".into(), "K8s".into()];
    d2.author = "bob".into();
    d2.updated_at = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut d3 = doc(
        "d3",
        "会议纪要：数据库选型",
        "讨论了 TiDB 与 MySQL 的选型。",
    );
    d3.kind = "record".into();
    d3.scope = "space:sp1".into();
    d3.category_id = None;
    d3.category_path = vec![];
    d3.tags = vec![];
    d3.updated_at = Utc.with_ymd_and_hms(2023, 3, 1, 0, 0, 0).unwrap();
    index_with(vec![
        doc(
            "d1",
            "TiDB 集群扩容",
            "使用 TiUP scale-out 为 TiDB 集群增加 TiKV 节点，扩容后检查 Region 分布。",
        ),
        d2,
        d3,
    ])
}

#[test]
fn colloquial_question_ranks_covering_doc_above_keyword_stuffing() {
    let idx = index_with(vec![
        doc("noise", "查询语句", &"查询 ".repeat(200)),
        doc("noise2", "排查清单", &"排查 排查 排查 ".repeat(50)),
        doc(
            "good",
            "慢查询的诊断",
            "当查询很慢时，可以先查看慢日志，然后逐步排查执行计划和统计信息。",
        ),
    ]);
    let r = idx.search(&req("查询特别慢怎么排查")).unwrap();
    assert_eq!(ids(&r)[0], "good", "{:?}", ids(&r));
    assert_eq!(r.total, 3);
}

#[test]
fn filler_words_do_not_empty_results_and_title_match_first() {
    let idx = sample();
    let r = idx.search(&req("TiDB 怎么扩容")).unwrap();
    assert_eq!(ids(&r)[0], "d1");
    assert!(r.hits[0].title_html.contains("<mark>扩容</mark>"));
    // Only stop words: fall back to using them.
    let r = idx.search(&req("怎么")).unwrap();
    assert_eq!(r.total, 0);
    let idx2 = index_with(vec![doc("q", "常见问题", "这个工具怎么用？")]);
    assert_eq!(idx2.search(&req("怎么")).unwrap().total, 1);
    let r = idx.search(&req("的")).unwrap();
    assert!(r.total <= 3);
}

#[test]
fn exact_title_comes_first() {
    let idx = index_with(vec![
        doc(
            "body",
            "运维手册",
            &"TiDB 集群扩容 需要 注意 TiDB 集群 扩容 步骤。".repeat(20),
        ),
        doc("exact", "TiDB 集群扩容", "参见操作步骤。"),
        doc("partial", "TiDB 集群扩容与缩容的注意事项汇总", "扩容 集群"),
    ]);
    let r = idx.search(&req("TiDB 集群扩容")).unwrap();
    assert_eq!(ids(&r)[0], "exact", "{:?}", ids(&r));
}

#[test]
fn synonyms_builtin_and_extra() {
    let idx = sample();
    let r = idx.search(&req("k8s 部署")).unwrap();
    assert_eq!(ids(&r)[0], "d2");
    let r = idx.search(&req("scale out")).unwrap();
    assert_eq!(ids(&r)[0], "d1", "扩容 is a synonym of scale out");
    let r = idx.search(&req("翰林")).unwrap();
    assert_eq!(r.total, 0);
    idx.set_extra_synonyms(vec![vec!["翰林".into(), "nacos".into()]]);
    let r = idx.search(&req("翰林")).unwrap();
    assert_eq!(ids(&r), vec!["d2"]);
}

#[test]
fn operators_filter() {
    let idx = sample();
    let total = |q: &str| idx.search(&req(q)).unwrap().total;
    assert_eq!(total("#tidb"), 1);
    assert_eq!(total("tag:K8S"), 1);
    assert_eq!(total("space:中间件"), 1);
    assert_eq!(total("space:sp1"), 2);
    assert_eq!(total("category:运维手册"), 1);
    assert_eq!(total("category:数据库"), 1);
    assert_eq!(total("author:BOB"), 1);
    assert_eq!(total("type:record"), 1);
    assert_eq!(total("type:doc"), 2);
    assert_eq!(total("before:2024-01-01"), 1);
    assert_eq!(total("after:2024-01-01"), 2);
    assert_eq!(total("after:2024-01-02"), 1);
    assert_eq!(total("TiDB -MySQL"), 1);
    assert_eq!(total("TiDB -\"TiKV 节点\""), 1);
    assert_eq!(total("\"注册中心\""), 1);
    assert_eq!(total("\"TiKV 节点\""), 1);
    assert_eq!(total("TiDB type:record"), 1);
    assert!(matches!(
        idx.search(&req("before:2024-02-30")),
        Err(Error::Query(_))
    ));
}

#[test]
fn empty_and_filter_only_queries() {
    let idx = sample();
    let r = idx.search(&req("")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0));
    let r = idx.search(&req("   ")).unwrap();
    assert_eq!(r.total, 0);
    let r = idx.search(&req("😀😀")).unwrap();
    assert_eq!(r.total, 0);
    // Filters only: everything matching, most recent first.
    let r = idx.search(&req("space:sp1")).unwrap();
    assert_eq!(ids(&r), vec!["d1", "d3"]);
    let r = idx.search(&req("-nothing")).unwrap();
    assert_eq!(ids(&r), vec!["d2", "d1", "d3"]);
}

#[test]
fn hostile_queries_never_panic() {
    let idx = sample();
    let long = "数据库 扩容 \"".repeat(2000);
    for q in [
        long.as_str(),
        "\"",
        "\"\"",
        "-",
        "#",
        "tag:",
        "a\u{0}\u{1}b",
        "😀 TiDB 🚀",
        "-\"未闭合",
        "\"未闭合 的 短语",
        "<script>",
        "((()))",
        "TiDB AND OR NOT *?~^",
    ] {
        let _ = idx.search(&req(q)).unwrap();
    }
}

#[test]
fn facets_count_all_matches_not_page() {
    let idx = sample();
    let mut r = req("TiDB OR Nacos 部署 数据库");
    r.limit = 1;
    let res = idx.search(&r).unwrap();
    assert_eq!(res.hits.len(), 1);
    assert_eq!(res.total, 3);
    assert_eq!(res.facets.tags.get("TiDB"), Some(&1));
    assert_eq!(res.facets.tags.get("Nacos"), Some(&1));
    assert_eq!(res.facets.tags.get("K8s"), Some(&1));
    assert_eq!(res.facets.spaces.get("sp1"), Some(&2));
    assert_eq!(res.facets.spaces.get("sp2"), Some(&1));
    assert_eq!(res.facets.categories.get("cat1"), Some(&1));
    assert_eq!(res.facets.categories.get("cat2"), Some(&1));
}

#[test]
fn pagination() {
    let docs: Vec<IndexDoc> = (0..150)
        .map(|i| {
            let mut d = doc(&format!("p{i:03}"), &format!("文档 {i}"), "分页 测试");
            d.updated_at = Utc.timestamp_opt(1_700_000_000 + i64::from(i), 0).unwrap();
            d
        })
        .collect();
    let idx = index_with(docs);
    let mut r = req("分页");
    r.sort = Sort::Recent;
    r.limit = 20;
    r.offset = 40;
    let res = idx.search(&r).unwrap();
    assert_eq!(res.total, 150);
    assert_eq!(res.hits.len(), 20);
    assert_eq!(res.hits[0].id, "p109");
    r.limit = 1000;
    r.offset = 0;
    assert_eq!(idx.search(&r).unwrap().hits.len(), 100);
    r.offset = 140;
    assert_eq!(idx.search(&r).unwrap().hits.len(), 10);
    r.offset = 1000;
    assert_eq!(idx.search(&r).unwrap().hits.len(), 0);
    r.limit = 0;
    r.offset = 0;
    let res = idx.search(&r).unwrap();
    assert_eq!((res.total, res.hits.len()), (150, 0));
}

#[test]
fn access_filter_hides_docs_everywhere() {
    let idx = sample();
    let mut r = req("TiDB 部署 数据库 nacos");
    r.access = Access::Scopes(HashSet::from(["cat2".to_string()]).into());
    let res = idx.search(&r).unwrap();
    assert_eq!(ids(&res), vec!["d2"]);
    assert_eq!(res.total, 1);
    assert!(!res.facets.tags.contains_key("TiDB"));
    assert!(!res.facets.spaces.contains_key("sp1"));
    assert!(!res.facets.categories.contains_key("cat1"));
    // Filter-only queries too.
    r.query = "space:sp1".into();
    let res = idx.search(&r).unwrap();
    assert_eq!((res.total, res.hits.len()), (0, 0));
    assert!(res.facets.spaces.is_empty());
    r.access = Access::Scopes(HashSet::new().into());
    r.query = "TiDB".into();
    assert_eq!(idx.search(&r).unwrap().total, 0);
    r.access = Access::Scopes(HashSet::from(["space:sp1".to_string(), "cat1".to_string()]).into());
    assert_eq!(idx.search(&r).unwrap().total, 2);
}

#[test]
fn sort_recent() {
    let idx = sample();
    let mut r = req("数据库 OR 部署 OR TiDB OR nacos");
    r.sort = Sort::Recent;
    let res = idx.search(&r).unwrap();
    let dates: Vec<_> = res.hits.iter().map(|h| h.updated_at).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert_eq!(res.hits[0].id, "d2");
}

#[test]
fn upsert_replaces_delete_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let idx = SearchIndex::open(dir.path()).unwrap();
        idx.upsert(vec![doc("a", "苹果", "正文")]).unwrap();
        idx.commit().unwrap();
        idx.upsert(vec![doc("a", "香蕉", "正文")]).unwrap();
        idx.upsert(vec![doc("b", "另一篇", "正文")]).unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.num_docs(), 2);
        assert_eq!(idx.search(&req("苹果")).unwrap().total, 0);
        idx.delete("b").unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.num_docs(), 1);
    }
    let idx = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(idx.num_docs(), 1);
    let r = idx.search(&req("香蕉")).unwrap();
    assert_eq!(ids(&r), vec!["a"]);
    idx.delete_all().unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.num_docs(), 0);
}

#[test]
fn an_index_built_with_another_analyzer_is_known_until_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("hanlin-analyzer");
    let named = || std::fs::read_to_string(&mark).unwrap();
    {
        // A new index is this analyzer's from the start.
        let idx = SearchIndex::open(dir.path()).unwrap();
        assert!(idx.analyzer_is_current());
        assert_eq!(named(), crate::tokenizer::fingerprint());
        idx.upsert(vec![doc("a", "死锁排查", "死锁了怎么办")])
            .unwrap();
        idx.commit().unwrap();
    }
    // As if an earlier release (another dictionary) had built it.
    std::fs::write(&mark, "jieba-1-0000000000000000").unwrap();
    {
        let idx = SearchIndex::open(dir.path()).unwrap();
        assert!(!idx.analyzer_is_current());
        // Ordinary writes do not make it current: older pages are still cut the old way.
        idx.upsert(vec![doc("b", "另一篇", "正文")]).unwrap();
        idx.commit().unwrap();
        assert!(!idx.analyzer_is_current());
        assert_eq!(named(), "jieba-1-0000000000000000");
        // A rebuild does.
        idx.delete_all().unwrap();
        idx.upsert(vec![doc("a", "死锁排查", "死锁了怎么办")])
            .unwrap();
        idx.commit().unwrap();
        assert!(idx.analyzer_is_current());
        assert_eq!(named(), crate::tokenizer::fingerprint());
        assert_eq!(ids(&idx.search(&req("死锁了")).unwrap()), vec!["a"]);
    }
    assert!(SearchIndex::open(dir.path()).unwrap().analyzer_is_current());
    // A rebuild that fails half-way is rolled back: the next commit keeps every page and does
    // not call a stale index current.
    std::fs::write(&mark, "jieba-1-0000000000000000").unwrap();
    {
        let idx = SearchIndex::open(dir.path()).unwrap();
        let before = idx.num_docs();
        idx.delete_all().unwrap();
        idx.upsert(vec![doc("c", "半途", "正文")]).unwrap();
        idx.rollback().unwrap();
        idx.upsert(vec![doc("d", "之后", "正文")]).unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.num_docs(), before + 1);
        assert_eq!(ids(&idx.search(&req("死锁")).unwrap()), vec!["a"]);
        assert!(!idx.analyzer_is_current());
        idx.delete_all().unwrap();
        idx.upsert(vec![doc("a", "死锁排查", "死锁了怎么办")])
            .unwrap();
        idx.commit().unwrap();
    }
    // An index with pages and no mark predates the mark: not current.
    std::fs::remove_file(&mark).unwrap();
    assert!(!SearchIndex::open(dir.path()).unwrap().analyzer_is_current());
    assert!(!mark.exists());
    assert!(SearchIndex::open_in_ram().unwrap().analyzer_is_current());
}

#[test]
fn hits_carry_fields_and_escaped_html() {
    let idx = index_with(vec![doc(
        "x",
        "<b>TiDB</b> & 扩容",
        "说明 <img src=x onerror=alert(1)> TiDB 扩容",
    )]);
    let h = &idx.search(&req("tidb 扩容")).unwrap().hits[0];
    assert_eq!(
        h.title_html,
        "&lt;b&gt;<mark>TiDB</mark>&lt;/b&gt; &amp; <mark>扩容</mark>"
    );
    assert!(
        !h.snippet
            .replace("<mark>", "")
            .replace("</mark>", "")
            .contains('<')
    );
    assert_eq!(h.category_path, vec!["数据库", "运维手册"]);
    assert_eq!(h.tags, vec!["TiDB"]);
    assert_eq!(h.author, "alice");
    assert_eq!(h.kind, "doc");
    assert!(h.score > 0.0);
    let json = serde_json::to_value(h).unwrap();
    assert!(json.get("title_html").is_some());
}

#[test]
fn snippets_over_corpus_never_panic_and_are_escaped() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/kb");
    if !dir.is_dir() {
        println!("note: corpus {} absent, skipping", dir.display());
        return;
    }
    let idx = SearchIndex::open_in_ram().unwrap();
    let mut bodies = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md") {
                bodies.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    assert!(bodies.len() > 1000);
    for q in [
        "TiDB 怎么扩容",
        "k8s 部署",
        "<script> & \"引号\"",
        "慢查询 OOM",
        "组件 props",
        "a",
    ] {
        let hl = idx.highlighter_for(q).unwrap();
        for body in &bodies {
            for s in [
                hl.snippet(body),
                hl.highlight_all(
                    &body[..body.len().min(300).min(
                        (0..=body.len().min(300))
                            .rev()
                            .find(|&i| body.is_char_boundary(i))
                            .unwrap_or(0),
                    )],
                ),
            ] {
                let stripped = s.replace("<mark>", "").replace("</mark>", "");
                assert!(!stripped.contains('<') && !stripped.contains('>'), "{s}");
            }
        }
    }
}

#[test]
fn other_schema_on_disk_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = tantivy::schema::Schema::builder();
    b.add_text_field("something_else", tantivy::schema::TEXT);
    tantivy::Index::create_in_dir(dir.path(), b.build()).unwrap();
    assert!(matches!(
        SearchIndex::open(dir.path()),
        Err(Error::SchemaMismatch)
    ));
}

#[test]
fn search_index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
    assert_send_sync::<std::sync::Arc<SearchIndex>>();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn search_never_panics(q in "\\PC{0,80}") {
        thread_local! {
            static IDX: SearchIndex = sample();
        }
        IDX.with(|idx| {
            if let Ok(r) = idx.search(&req(&q)) {
                for h in &r.hits {
                    let plain = h.snippet.replace("<mark>", "").replace("</mark>", "");
                    assert!(!plain.contains('<'));
                }
            }
        });
    }
}

#[test]
fn recency_within_one_second() {
    let base = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
    let mut a = doc("a", "早", "同一秒");
    a.updated_at = base + chrono::Duration::milliseconds(100);
    let mut b = doc("b", "晚", "同一秒");
    b.updated_at = base + chrono::Duration::milliseconds(900);
    let idx = index_with(vec![a, b]);
    let mut r = req("同一秒");
    r.sort = Sort::Recent;
    assert_eq!(ids(&idx.search(&r).unwrap()), vec!["b", "a"]);
    let h = &idx.search(&r).unwrap().hits[0];
    assert_eq!(h.updated_at, base + chrono::Duration::milliseconds(900));
}

fn scoped(q: &str, scopes: &[&str]) -> SearchRequest {
    SearchRequest {
        access: Access::Scopes(std::sync::Arc::new(
            scopes.iter().map(|s| s.to_string()).collect(),
        )),
        ..req(q)
    }
}

/// `n` documents about 扩容 in `scope` (category `scope`, tag `tag`).
fn scoped_docs(prefix: &str, n: usize, scope: &str, tag: &str) -> Vec<IndexDoc> {
    (0..n)
        .map(|i| {
            let mut d = doc(
                &format!("{prefix}{i:03}"),
                &format!("集群扩容 {i}"),
                "为集群扩容增加节点。",
            );
            d.scope = scope.into();
            d.category_id = Some(scope.into());
            d.tags = vec![tag.into()];
            d
        })
        .collect()
}

#[test]
fn count_cap_makes_total_a_lower_bound() {
    let idx = index_with(scoped_docs("d", 10, "cat1", "TiDB"));
    let full = idx.search_capped(&req("扩容"), 100).unwrap();
    assert_eq!((full.total, full.total_is_lower_bound), (10, false));
    assert_eq!(full.facets.tags["TiDB"], 10);
    // Exactly the cap: exact.
    let exact = idx.search_capped(&req("扩容"), 10).unwrap();
    assert_eq!((exact.total, exact.total_is_lower_bound), (10, false));
    let one = SearchRequest {
        limit: 1,
        ..req("扩容")
    };
    let capped = idx.search_capped(&one, 3).unwrap();
    assert_eq!((capped.total, capped.total_is_lower_bound), (3, true));
    assert_eq!(capped.facets.tags["TiDB"], 3);
    // The page is still ranked over every match.
    assert_eq!(ids(&capped), ids(&full)[..1]);
    // The total never falls below the hits shown.
    let page = idx.search_capped(&req("扩容"), 3).unwrap();
    assert_eq!((page.total, page.total_is_lower_bound), (10, true));
    // A page past the counted matches: the total covers it.
    let deep = idx
        .search_capped(
            &SearchRequest {
                offset: 5,
                limit: 2,
                ..req("扩容")
            },
            3,
        )
        .unwrap();
    assert_eq!(deep.hits.len(), 2);
    assert!(deep.total >= 7 && deep.total_is_lower_bound);
    let json = serde_json::to_value(&capped).unwrap();
    assert_eq!(json["total_is_lower_bound"], true);
    assert_eq!(json["total"], 3);
}

#[test]
fn capped_counts_never_include_hidden_docs() {
    // Hidden documents come first in document order, so a cap reached by them would show.
    let mut docs = scoped_docs("h", 20, "secret", "Hidden");
    docs.extend(scoped_docs("v", 2, "cat1", "TiDB"));
    let idx = index_with(docs);
    for cap in [1, 2, 3, 100] {
        let one = SearchRequest {
            limit: 1,
            ..scoped("扩容", &["cat1"])
        };
        let r = idx.search_capped(&one, cap).unwrap();
        assert_eq!(r.total, cap.min(2), "cap {cap}");
        assert_eq!(r.total_is_lower_bound, cap < 2, "cap {cap}");
        assert!(!r.facets.tags.contains_key("Hidden"), "cap {cap}");
        assert!(!r.facets.categories.contains_key("secret"), "cap {cap}");
        assert!(r.hits.iter().all(|h| h.id.starts_with('v')), "cap {cap}");
    }
    let admin = idx
        .search_capped(
            &SearchRequest {
                limit: 1,
                ..req("扩容")
            },
            5,
        )
        .unwrap();
    assert_eq!((admin.total, admin.total_is_lower_bound), (5, true));
}

#[test]
fn scope_filter_cache_follows_commits() {
    let idx = index_with(scoped_docs("a", 2, "cat1", "TiDB"));
    let r = idx.search(&scoped("扩容", &["cat1"])).unwrap();
    assert_eq!(r.total, 2);
    idx.upsert(scoped_docs("b", 3, "cat1", "TiDB")).unwrap();
    idx.upsert(scoped_docs("c", 3, "cat2", "TiDB")).unwrap();
    idx.delete("a000").unwrap();
    idx.commit().unwrap();
    let r = idx.search(&scoped("扩容", &["cat1"])).unwrap();
    assert_eq!(r.total, 4);
    assert!(!ids(&r).contains(&"a000"));
    // Same scopes, other order; and another scope set.
    let r = idx.search(&scoped("扩容", &["cat2", "cat1"])).unwrap();
    assert_eq!(r.total, 7);
    let r = idx.search(&scoped("扩容", &["cat2"])).unwrap();
    assert_eq!(r.total, 3);
}

#[test]
fn counting_query_matches_exactly_what_the_scoring_query_matches() {
    let idx = sample();
    idx.set_extra_synonyms(vec![vec!["扩容".into(), "scale out".into()]]);
    let queries = [
        "TiDB 怎么扩容",
        "查询特别慢怎么排查",
        "数据库",
        "怎么",
        "scale out",
        "keep-alive",
        "Nacos -Kubernetes",
        "\"注册中心\" 部署",
        "#tidb 扩容",
        "部署 type:doc",
        "慢",
        "不存在的词汇",
    ];
    for q in queries {
        for access in [
            Access::All,
            Access::Scopes(HashSet::from(["cat1".to_string()]).into()),
        ] {
            let (scoring, counting) = idx.match_counts(q, &access).unwrap();
            assert_eq!(scoring, counting, "{q} {access:?}");
        }
    }
}

/// Every group of the built-in lexicon works through the real search path: a query holding one
/// of its terms finds a document that holds only another term it expands to (segmentation,
/// phrases of multi-word terms and the unmatched-word rule included).
#[test]
fn every_lexicon_group_finds_its_other_terms() {
    let entries = crate::synonyms::parse_lexicon(crate::synonyms::LEXICON);
    assert!(entries.len() >= 640, "{} groups", entries.len());
    let mut docs = Vec::new();
    let mut probes = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        for (k, from) in e.from.iter().enumerate() {
            // A target other than the query term itself (for a symmetric group, the next term).
            let target = if e.from == e.to {
                &e.to[(k + 1) % e.to.len()]
            } else {
                &e.to[0]
            };
            if target == from {
                continue;
            }
            let id = format!("g{i}-{k}");
            docs.push(doc(&id, "词表", target));
            probes.push((id, from.clone(), target.clone()));
        }
    }
    let idx = index_with(docs);
    let mut failures = Vec::new();
    for (id, from, target) in &probes {
        let mut r = req(from);
        r.limit = 100;
        let res = idx.search(&r).unwrap();
        if !res.hits.iter().any(|h| &h.id == id) {
            failures.push(format!("{from} -> {target}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}: {failures:?}",
        failures.len(),
        probes.len()
    );
}

/// Someone who names a product wants that product: the lexicon takes a kind to its products,
/// never a product to its siblings.
#[test]
fn a_product_finds_neither_its_kind_alone_nor_its_siblings() {
    let idx = index_with(vec![
        doc("s3", "备份到 S3", "使用 BR 把备份写到 Amazon S3。"),
        doc("az", "备份到 Azure Blob", "使用 BR 把备份写到 Azure Blob。"),
        doc("kafka", "同步到 Kafka", "下游是 Kafka 集群。"),
        doc("pulsar", "同步到 Pulsar", "下游是 Pulsar 集群。"),
    ]);
    assert_eq!(ids(&idx.search(&req("S3")).unwrap()), vec!["s3"]);
    assert_eq!(ids(&idx.search(&req("azure blob")).unwrap()), vec!["az"]);
    assert_eq!(ids(&idx.search(&req("kafka")).unwrap()), vec!["kafka"]);
    let sorted = |q: &str| {
        let mut v: Vec<String> = ids(&idx.search(&req(q)).unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted("对象存储"),
        ["az", "s3"],
        "the kind finds its products"
    );
    assert_eq!(sorted("消息队列"), ["kafka", "pulsar"]);
}

#[test]
fn unmatched_words_empty_the_answer_unless_two_others_match() {
    let idx = index_with(vec![
        doc("q", "查询优化", "慢查询的排查与优化。"),
        doc("m", "菜单组件", "导航菜单和员工名册的示例。"),
        doc("e", "员工表", "员工 数据。"),
    ]);
    // 工资条 matches nothing and only one other word is left: nothing.
    let r = idx.search(&req("工资条查询")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0));
    assert!(r.partial);
    assert_eq!(r.unmatched, vec!["工资条"]);
    // Two other words match: only documents holding both answer.
    let r = idx.search(&req("导出员工菜单")).unwrap();
    assert_eq!(ids(&r), vec!["m"]);
    assert_eq!(r.total, 1);
    assert_eq!(r.unmatched, vec!["导出"]);
    // Unless the word that matches nothing is a thing: the pages holding the others are about
    // something else (the canteen's menu is not the navigation menu's example).
    let r = idx.search(&req("员工食堂菜单")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0), "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["食堂"]);
    // Everything matches: not partial.
    let r = idx.search(&req("慢查询排查")).unwrap();
    assert!(!r.partial && r.unmatched.is_empty());
    // Words only hidden documents hold match nothing for the caller.
    let mut hidden = req("员工 菜单");
    hidden.access = Access::Scopes(HashSet::from(["other".to_string()]).into());
    let r = idx.search(&hidden).unwrap();
    assert_eq!(r.total, 0);
}

/// Beside a word that matches nothing, a long question needs most of its other words, not all;
/// a word found only through a sub-word does not count towards the two; and a Latin-letter name
/// no page holds empties the answer.
#[test]
fn unmatched_words_need_most_others_and_a_missing_name_answers_nothing() {
    let mut docs = vec![
        doc(
            "flame",
            "持续性能分析",
            "在 Dashboard 上查看 TiKV 的 CPU 火焰图。",
        ),
        doc("cpu", "CPU 使用率", "TiKV 的 CPU 指标。"),
        doc("shard", "分片集群", "TiDB 分片 集群 的部署。"),
        doc("trial", "试用说明", "欢迎试用 新版本，多久 都可以。"),
        doc("t1", "TiKV 简介", "TiKV 是分布式存储。"),
        doc("t2", "TiKV 参数", "TiKV 的参数。"),
        doc("t3", "TiKV 面板", "TiKV 的监控面板。"),
        doc(
            "cache",
            "缓存",
            "热点数据可以放在 Redis 里。分片 集群 另说。",
        ),
    ];
    docs.extend((4..10).map(|i| doc(&format!("t{i}"), "TiKV 日志", "TiKV 的日志。")));
    let idx = index_with(docs);
    // 导出 matches nothing. Three of the four other words are enough: neither
    // page holds all four (one lacks 指标, the other 火焰图), and both answer.
    let r = idx.search(&req("导出 TiKV 的 CPU 火焰图 指标")).unwrap();
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec!["cpu", "flame"]);
    assert!(r.partial);
    assert_eq!(r.unmatched, vec!["导出"]);
    // A time, quantity or place word that matches nothing (凌晨, 半天, 那边) is dropped like a
    // filler: the question is fully answered without it.
    let r = idx.search(&req("凌晨 TiKV 火焰图")).unwrap();
    assert_eq!(ids(&r)[0], "flame");
    assert!(!r.partial && r.unmatched.is_empty());
    // A quantity the dictionary calls a noun (一长串) is no thing the question is about.
    let r = idx.search(&req("一长串 TiKV 火焰图")).unwrap();
    assert!(r.total > 0, "{:?}", r.unmatched);
    // A thing no page holds, beside words pages do hold: nothing.
    let r = idx.search(&req("门禁卡 火焰图 指标")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0), "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["门禁卡"]);
    // Beside a product the pages hold, partly answered.
    let r = idx.search(&req("门禁卡 TiKV 火焰图")).unwrap();
    assert!(r.partial && r.total > 0, "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["门禁卡"]);
    // Not beside a product that one page mentions in passing (fewer than five pages).
    let r = idx.search(&req("哨兵 Redis 分片 集群")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0), "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["哨兵"]);
    // Two of three other words are not enough when one of the two is only a sub-word match.
    let r = idx.search(&req("试用期多久转正")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0), "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["转正"]);
    // A product nobody wrote about: its kind's words alone do not answer.
    let r = idx.search(&req("MongoDB 分片集群怎么搭")).unwrap();
    assert_eq!((r.total, r.hits.len()), (0, 0), "{:?}", ids(&r));
    assert_eq!(r.unmatched, vec!["mongodb"]);
    // Beside a name the pages do hold, the question is partly answered.
    let r = idx.search(&req("MongoDB TiKV 分片集群")).unwrap();
    assert!(r.partial && r.total > 0, "{:?}", ids(&r));
}

#[test]
fn best_section_is_named_and_gives_the_snippet() {
    let filler = "无关的说明文字。".repeat(30);
    let body = format!(
        "计算属性\n{filler}\n基础示例\n{filler}\n获取上一个值\n在 getter 中可以获取上一个值。\n可写计算属性\n{filler}\n"
    );
    let mut d = doc("c", "计算属性", &body);
    let at = |h: &str| body.find(&format!("{h}\n")).unwrap();
    d.sections = ["计算属性", "基础示例", "获取上一个值", "可写计算属性"]
        .iter()
        .enumerate()
        .map(|(i, h)| crate::Section {
            heading: h.to_string(),
            anchor: format!("a{i}"),
            level: if i == 0 { 1 } else { 2 },
            start: if i == 0 { 0 } else { at(h) },
        })
        .collect();
    let other = doc("o", "其他", &format!("getter {filler} 上一个值"));
    let idx = index_with(vec![other, d]);
    let r = idx.search(&req("getter 获取上一个值")).unwrap();
    assert_eq!(ids(&r)[0], "c", "{:?}", ids(&r));
    let s = r.hits[0].section.as_ref().unwrap();
    assert_eq!(
        (s.heading.as_str(), s.anchor.as_str()),
        ("获取上一个值", "a2")
    );
    assert!(
        r.hits[0].snippet.contains("<mark>"),
        "{}",
        r.hits[0].snippet
    );
    assert!(!r.hits[0].snippet.contains("无关"), "{}", r.hits[0].snippet);
    // A match at the top of the page (the title section) names no section.
    let r = idx.search(&req("计算属性")).unwrap();
    assert!(r.hits[0].section.is_none(), "{:?}", r.hits[0].section);
}

/// Documents that cannot reach the page are not re-ranked by section, and that changes nothing:
/// every page, from one hit to ten, is the prefix of the fully re-ranked window (30 hits).
#[test]
fn pages_skip_documents_that_cannot_reach_them_and_stay_exact() {
    let mut docs = Vec::new();
    for i in 0..45 {
        // The same words in every document, a little more filler in each (scores fall slowly):
        // every third holds both words in one section (a large bonus), the others apart.
        let filler = "说明".repeat(i);
        let body = if i % 3 == 2 {
            format!("概述\n第一节\n扩容 监控 {filler}\n第二节\n其他\n")
        } else {
            format!("概述\n第一节\n扩容 {filler}\n第二节\n监控\n")
        };
        let mut d = doc(&format!("d{i}"), &format!("运维手册 {i}"), &body);
        d.sections = ["第一节", "第二节"]
            .iter()
            .enumerate()
            .map(|(k, h)| crate::Section {
                heading: h.to_string(),
                anchor: format!("s{k}"),
                level: 2,
                start: body.find(&format!("{h}\n")).unwrap(),
            })
            .collect();
        docs.push(d);
    }
    let idx = index_with(docs);
    for q in ["扩容 监控", "扩容", "监控 扩容 概述"] {
        let all = SearchRequest {
            limit: 30,
            ..req(q)
        };
        let full = idx.search(&all).unwrap();
        assert!(full.hits.len() >= 20, "{q}: {}", full.hits.len());
        let full: Vec<(String, f32)> = full.hits.iter().map(|h| (h.id.clone(), h.score)).collect();
        for limit in 1..=10 {
            for offset in [0, 3] {
                let r = idx
                    .search(&SearchRequest {
                        limit,
                        offset,
                        ..req(q)
                    })
                    .unwrap();
                let got: Vec<(String, f32)> =
                    r.hits.iter().map(|h| (h.id.clone(), h.score)).collect();
                assert_eq!(
                    got,
                    full[offset..offset + limit],
                    "{q} limit {limit} offset {offset}"
                );
            }
        }
    }
}

/// Re-ranking keeps parsed documents between searches; a new version is a new document of a
/// new segment, so the old text is never what a search shows.
#[test]
fn an_updated_document_is_never_answered_from_its_old_text() {
    let idx = index_with(vec![doc("a", "扩容手册", "第一版：扩容前先备份。")]);
    let r = idx.search(&req("扩容")).unwrap();
    assert!(
        r.hits[0].snippet.contains("第一版"),
        "{}",
        r.hits[0].snippet
    );
    idx.upsert(vec![doc("a", "扩容手册", "第二版：扩容前先检查磁盘。")])
        .unwrap();
    idx.commit().unwrap();
    let r = idx.search(&req("扩容")).unwrap();
    assert_eq!(ids(&r), vec!["a"]);
    assert!(
        r.hits[0].snippet.contains("第二版"),
        "{}",
        r.hits[0].snippet
    );
    assert!(idx.search(&req("备份")).unwrap().hits.is_empty());
}

#[test]
fn a_match_deep_in_a_long_attachment_still_names_its_page() {
    // 600 pages of 2 KB: the word is on the last one, past the first scan of 512 KB.
    let page = "无关的说明文字。".repeat(85);
    let mut body = String::from("合同附件\n");
    let mut sections = Vec::new();
    for n in 1..=600 {
        let heading = format!("附件 合同.pdf 第 {n} 页");
        sections.push(crate::Section {
            heading: heading.clone(),
            anchor: format!("attachment-x-p{n}"),
            level: 2,
            start: body.len(),
        });
        body.push_str(&heading);
        body.push('\n');
        body.push_str(&page);
        if n == 600 {
            body.push_str("违约金为合同总额的百分之二十。");
        }
        body.push('\n');
    }
    assert!(body.len() > 1024 * 1024);
    let mut d = doc("c", "采购合同", &body);
    d.sections = sections;
    let idx = index_with(vec![d]);
    let r = idx.search(&req("违约金")).unwrap();
    assert_eq!(ids(&r), vec!["c"]);
    let s = r.hits[0].section.as_ref().expect("a section");
    assert_eq!(s.anchor, "attachment-x-p600");
    assert!(
        r.hits[0].snippet.contains("<mark>违约金</mark>"),
        "{}",
        r.hits[0].snippet
    );
}

#[test]
fn quick_open_by_title_pinyin_and_initials() {
    let mut hidden = doc("h1", "扩容审批流程", "只给管理层看的扩容审批。");
    hidden.scope = "secret".into();
    let idx = index_with(vec![
        doc(
            "d1",
            "TiDB 集群扩容",
            "使用 TiUP 为 TiDB 集群增加 TiKV 节点。",
        ),
        doc("d2", "扩容", "扩容的总览。"),
        doc("d3", "备份与恢复", "BR 工具的备份与恢复。"),
        hidden,
    ]);
    let ids = |q: &str, access: &Access| -> Vec<String> {
        idx.suggest(q, access, 10)
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    let all = Access::All;
    // Title prefix first, then a later word; shorter titles first within a rank.
    assert_eq!(ids("扩容", &all), ["d2", "h1", "d1"]);
    assert_eq!(ids("kr", &all), ["d2", "h1", "d1"]);
    assert_eq!(ids("kuorong", &all), ["d2", "h1", "d1"]);
    assert_eq!(ids("kuo rong", &all), ["d2", "h1", "d1"]);
    assert_eq!(ids("tidb集", &all), ["d1"]);
    assert_eq!(ids("集群扩", &all), ["d1"]);
    assert!(
        ids("tidb扩", &all).is_empty(),
        "a prefix, not any two words"
    );
    assert_eq!(ids("TiDB 集", &all), ["d1"]);
    assert_eq!(ids("bfyhf", &all), ["d3"]);
    assert_eq!(ids("beifen", &all), ["d3"]);
    // Nothing matches the middle of a word, one ASCII letter is too little, and nothing hidden.
    assert!(ids("rong", &all).is_empty());
    assert!(ids("k", &all).is_empty());
    assert!(ids("", &all).is_empty());
    let scoped = Access::Scopes(std::sync::Arc::new(HashSet::from(["cat1".to_owned()])));
    assert_eq!(ids("kr", &scoped), ["d2", "d1"]);
    // Regex metacharacters are literal.
    assert!(ids(".*", &all).is_empty());
    assert!(ids("k(r", &all).len() <= 3);
    let s = &idx.suggest("备份", &all, 10).unwrap()[0];
    assert_eq!(
        (s.title.as_str(), s.space_id.as_str()),
        ("备份与恢复", "sp1")
    );
}

#[test]
fn related_documents_share_words_and_respect_access() {
    let body = |extra: &str| {
        format!(
            "TiDB 集群扩容时先用 TiUP 检查 TiKV 节点，扩容后观察 Region 调度。TiKV 扩容。{extra}"
        )
    };
    let mut hidden = doc("h1", "TiKV 扩容注意事项", &body("内部。"));
    hidden.scope = "secret".into();
    let other = |id: &str, title: &str, text: &str| {
        let mut d = doc(id, title, text);
        d.tags = vec!["行政".into()];
        d
    };
    let idx = index_with(vec![
        doc("d1", "TiDB 集群扩容", &body("")),
        doc("d2", "TiKV 节点扩容", &body("另见调度。")),
        other("d3", "年度团建安排", "团建安排在春天，地点待定。团建报名。"),
        other("d4", "食堂菜单", "本周食堂菜单：米饭。食堂开放时间。"),
        other("d5", "报销流程", "报销需要发票。报销审批。"),
        other("d6", "请假流程", "请假需要审批。请假天数。"),
        hidden,
    ]);
    let all = Access::All;
    let got: Vec<String> = idx
        .related("d1", &all, 5)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(got.contains(&"d2".to_owned()), "{got:?}");
    assert!(got.contains(&"h1".to_owned()), "{got:?}");
    assert!(!got.contains(&"d1".to_owned()), "never itself: {got:?}");
    assert!(
        !got.contains(&"d4".to_owned()),
        "nothing in common: {got:?}"
    );
    let scoped = Access::Scopes(std::sync::Arc::new(HashSet::from(["cat1".to_owned()])));
    let got: Vec<String> = idx
        .related("d1", &scoped, 5)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(
        got.contains(&"d2".to_owned()) && !got.contains(&"h1".to_owned()),
        "{got:?}"
    );
    // Cached per generation: a second call answers the same; a document not indexed has none.
    assert_eq!(idx.related("d1", &scoped, 5).unwrap().len(), got.len());
    assert!(idx.related("nope", &all, 5).unwrap().is_empty());
}

#[test]
fn tag_facets_ignore_case() {
    let tagged = |id: &str, tag: &str| {
        let mut d = doc(id, "Nacos 配置", "配置中心。");
        d.tags = vec![tag.into()];
        d
    };
    let idx = index_with(vec![
        tagged("a", "Nacos"),
        tagged("b", "Nacos"),
        tagged("c", "nacos"),
        tagged("d", "NACOS"),
    ]);
    let r = idx.search(&req("配置")).unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(
        r.facets.tags,
        std::collections::BTreeMap::from([("Nacos".to_owned(), 4)])
    );
    // And the filter takes any spelling.
    assert_eq!(idx.search(&req("#NaCoS")).unwrap().total, 4);
}

/// MaxScore pruning returns the plain query's top k: the same documents with the same scores
/// (up to float summation order), over several segments, deleted documents, a permission
/// scope, phrases, exclusions and synonyms, and many word frequencies.
#[test]
fn pruned_top_documents_are_the_plain_querys() {
    // Words of falling frequency, and synonyms of two of them.
    const WORDS: &[&str] = &[
        "数据", "集群", "配置", "扩容", "备份", "监控", "删除", "节点", "副本", "日志", "索引",
        "事务", "缓存", "告警", "迁移", "升级", "回滚", "权限",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let idx = SearchIndex::open_in_ram().unwrap();
    for batch in 0..4 {
        let mut docs = Vec::new();
        for i in 0..150 {
            let mut body = String::new();
            for _ in 0..(3 + next(40)) {
                // Zipf-like: low indexes far more often.
                let w = WORDS
                    [(next(WORDS.len() as u64) * next(WORDS.len() as u64)) as usize / WORDS.len()];
                body.push_str(w);
                body.push_str(if next(4) == 0 { "。" } else { " " });
            }
            let title = format!(
                "{} {}",
                WORDS[next(WORDS.len() as u64) as usize],
                WORDS[next(WORDS.len() as u64) as usize]
            );
            let mut d = doc(&format!("d{}", i + 100 * batch), &title, &body);
            d.scope = format!("cat{}", next(3));
            docs.push(d);
        }
        idx.upsert(docs).unwrap();
        idx.commit().unwrap();
    }
    let scopes = Access::Scopes(std::sync::Arc::new(
        ["cat0".to_string(), "cat2".to_string()].into(),
    ));
    let mut queries: Vec<String> = Vec::new();
    for _ in 0..120 {
        let n = 1 + next(4) as usize;
        let words: Vec<&str> = (0..n)
            .map(|_| WORDS[next(WORDS.len() as u64) as usize])
            .collect();
        queries.push(words.join(" "));
    }
    queries.extend(
        [
            "删掉 数据 怎么弄",
            "\"数据 集群\" 扩容",
            "扩容 -备份",
            "监控 告警 \"副本\"",
            "数据",
            "数据 集群 配置",
        ]
        .map(String::from),
    );
    for q in &queries {
        for access in [&Access::All, &scopes] {
            for k in [1, 5, 30] {
                let [pruned, plain, every] = idx.top_pruned_and_plain(q, access, k).unwrap();
                let Some(kth) = plain.last().map(|p| p.0) else {
                    assert!(pruned.is_empty() && every.is_empty(), "{q} k={k}");
                    continue;
                };
                let eps = 1e-3 * kth.abs().max(1.0);
                // Documents clearly above the k-th score are the same; only near-ties may differ.
                let clear = |v: &[(f32, tantivy::DocAddress)]| -> HashSet<tantivy::DocAddress> {
                    v.iter().filter(|p| p.0 > kth + eps).map(|p| p.1).collect()
                };
                for other in [&pruned, &every] {
                    assert_eq!(other.len(), plain.len(), "{q} k={k}");
                    for (i, (a, b)) in other.iter().zip(&plain).enumerate() {
                        assert!(
                            (a.0 - b.0).abs() <= eps,
                            "{q} k={k} rank {i}: {a:?} vs {b:?}"
                        );
                    }
                    assert_eq!(clear(other), clear(&plain), "{q} k={k}");
                }
            }
        }
    }
    // Not vacuous: the pruned path skips documents. The rarest word beside the most common one,
    // top 1: only documents holding the rare word are scored once the bar passes the common
    // word's bound (about a third of the matches here).
    let (matches, _) = idx.match_counts("数据 权限", &Access::All).unwrap();
    crate::prune::SCORED.with(|c| c.set(0));
    idx.top_pruned_and_plain("数据 权限", &Access::All, 1)
        .unwrap();
    let scored = crate::prune::SCORED.with(|c| c.get());
    assert!(
        scored > 0 && scored * 2 < matches,
        "scored {scored} of {matches}"
    );
}

/// Excluding a phrase finds the pages before its first document and after its last one
/// (tantivy probes the phrase scorer behind its position there; debug builds assert it must not).
#[test]
fn excluding_a_phrase_finds_the_pages_after_its_last_one() {
    let docs: Vec<IndexDoc> = (0..60)
        .map(|i| {
            let body = if (10..40).contains(&i) && i % 2 == 0 {
                "TiDB 集群增加 TiKV 节点。"
            } else {
                "TiDB 集群的监控。"
            };
            doc(&format!("d{i}"), "运维", body)
        })
        .collect();
    let idx = index_with(docs);
    let r = idx
        .search(&SearchRequest {
            limit: 100,
            ..req("TiDB -\"TiKV 节点\"")
        })
        .unwrap();
    assert_eq!(r.total, 45);
    assert!(r.hits.iter().all(|h| {
        let n: usize = h.id[1..].parse().unwrap();
        !(10..40).contains(&n) || n % 2 == 1
    }));
}
