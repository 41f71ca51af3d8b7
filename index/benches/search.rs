//! Criterion bench over the real corpus (`../shared/corpus/kb`, or `HANLIN_CORPUS`).
//! Skips with a message when the corpus is absent.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use hanlin_index::{Access, SearchIndex, SearchRequest, Sort};

#[path = "../examples/common/mod.rs"]
mod common;

const QUERIES: &[&str] = &[
    "TiDB Operator 升级",
    "查询特别慢怎么排查",
    "k8s 上怎么给 TiDB 集群扩容",
    "为什么会 OOM 呢",
    "Nacos Docker",
    "依赖注入",
];

fn corpus_dir() -> PathBuf {
    std::env::var_os("HANLIN_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/kb"),
        PathBuf::from,
    )
}

fn bench(c: &mut Criterion) {
    let dir = corpus_dir();
    if !dir.is_dir() {
        println!(
            "note: corpus {} absent, skipping the search bench",
            dir.display()
        );
        return;
    }
    let docs = common::load_corpus(&dir);
    let index = SearchIndex::open_in_ram().expect("index");
    index.upsert(docs).expect("upsert");
    index.commit().expect("commit");
    let mut group = c.benchmark_group("search");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));
    group.bench_function("with_snippets_top10", |b| {
        b.iter(|| {
            for q in QUERIES {
                let r = index
                    .search(&SearchRequest {
                        query: (*q).to_string(),
                        limit: 10,
                        offset: 0,
                        sort: Sort::Relevance,
                        access: Access::All,
                    })
                    .expect("search");
                std::hint::black_box(r);
            }
        })
    });
    group.bench_function("raw_bm25_top10", |b| {
        b.iter(|| {
            for q in QUERIES {
                std::hint::black_box(index.raw_bm25_top10(q).expect("raw"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
