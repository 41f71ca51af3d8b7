//! Version storage and durable saves, measured on a real 20 KB Chinese document of the corpus.
//!
//! `cargo bench --bench storage` prints:
//! - 1,000 versions, each editing one paragraph: bytes stored in the versions tree versus 1,000 whole
//!   copies, and the time to read the oldest version and the slowest-to-rebuild version;
//! - durable saves over HTTP (sequential PUTs, each acknowledged after the flush): p50 and p99,
//!   with a bare flushed sled insert of the same size measured in the same run for the ratio.

use std::time::{Duration, Instant};

use hanlin::{
    model::DocKind,
    service::documents::{self as docs, Actor, DocContent, NewDoc, Update},
    store::Store,
};
use serde_json::json;

#[path = "common/mod.rs"]
mod common;

const CORPUS_DOC: &str = "../shared/corpus/kb/tidb/privilege-management.md";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split_inclusive("\n\n").map(str::to_owned).collect()
}

/// The paragraph with about 8 characters in its middle replaced by a revision note.
fn reword(p: &str, v: u64) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mid = chars.len() / 2;
    let end = (mid + 8).min(chars.len());
    let head: String = chars[..mid].iter().collect();
    let tail: String = chars[end..].iter().collect();
    format!("{head}（修订{v}）{tail}")
}

fn versions_bench() {
    let text = std::fs::read_to_string(CORPUS_DOC)
        .expect("corpus document (run from the repo root, corpus in ../shared)");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let actor = Actor {
        id: "bench".into(),
        name: "bench".into(),
        ip: None,
    };
    let content = docs::validate("权限管理", &text, &[], usize::MAX).unwrap();
    let doc = docs::create(
        &store,
        &actor,
        NewDoc {
            space_id: "s".into(),
            category_id: None,
            content,
            kind: DocKind::Doc,
            record_type: None,
            needs_review: false,
            message: String::new(),
            import_key: None,
        },
    )
    .unwrap();
    let original = paragraphs(&text);
    let mut paras = original.clone();
    let n_paras = paras.len();
    let started = Instant::now();
    let mut total_whole = text.len() as u64;
    for v in 1..1000u64 {
        // Edit one paragraph as a person would: reword a phrase in its middle (the size stays about
        // the same), cycling through the document.
        let i = (v as usize * 7) % n_paras;
        paras[i] = reword(&original[i], v);
        let body: String = paras.concat();
        total_whole += body.len() as u64;
        let content = DocContent {
            title: "权限管理".into(),
            body,
            tags: vec![],
        };
        docs::update(
            &store,
            &actor,
            &doc.id,
            Update {
                content,
                category_id: None,
                base_version: v,
                message: String::new(),
                needs_review: false,
                action: "document.update",
                reconfirm: false,
            },
        )
        .unwrap();
    }
    let save_time = started.elapsed();
    store.flush_blocking().unwrap();
    let sizes = store.versions.stored_sizes(&doc.id).unwrap();
    let stored: u64 = sizes.iter().map(|(bytes, _)| bytes).sum();
    let snapshots = sizes.iter().filter(|(_, full)| *full).count();
    let head = docs::load(&store, &doc.id).unwrap();
    // Read every version once to find the slowest to rebuild, then time the oldest and that one.
    let mut worst = (0u64, Duration::ZERO);
    for n in 1..=head.version {
        let t = Instant::now();
        let v = docs::version(&store, &head, n).unwrap();
        let e = t.elapsed();
        assert_eq!(
            v.hash,
            hanlin::domain::versions::content_hash(&v.title, &v.tags, &v.body)
        );
        if e > worst.1 {
            worst = (n, e);
        }
    }
    let time_read = |n: u64| {
        let mut samples: Vec<Duration> = (0..200)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(docs::version(&store, &head, n).unwrap());
                t.elapsed()
            })
            .collect();
        samples.sort();
        (percentile(&samples, 0.5), percentile(&samples, 0.99))
    };
    let (oldest_p50, oldest_p99) = time_read(1);
    let (worst_p50, worst_p99) = time_read(worst.0);
    println!(
        "## versions: 1,000 versions of {} ({} bytes, {} paragraphs), one paragraph edited per save",
        CORPUS_DOC,
        text.len(),
        n_paras
    );
    println!(
        "stored version bytes: {stored} vs 1,000 whole copies {total_whole}: {:.2}%",
        100.0 * stored as f64 / total_whole as f64
    );
    println!(
        "full snapshots: {snapshots} of 1,000; sled size on disk (whole database): {} bytes",
        store.size_on_disk().unwrap()
    );
    println!(
        "read oldest version (v1): p50 {:?}, p99 {:?}",
        oldest_p50, oldest_p99
    );
    println!(
        "read slowest version to rebuild (v{}): p50 {:?}, p99 {:?}",
        worst.0, worst_p50, worst_p99
    );
    println!(
        "1,000 saves through the document service (diff + transaction, no flush): {:?} total",
        save_time
    );
}

async fn http_saves_bench() {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::serve(dir.path()).await;
    let space = srv.first_space().await;
    let common::Running {
        base, http, token, ..
    } = srv;
    let text = std::fs::read_to_string(CORPUS_DOC).unwrap();
    let doc: serde_json::Value = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&token)
        .json(&json!({"space_id": space, "title": "权限管理", "body": text}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = doc["id"].as_str().unwrap();
    let original = paragraphs(&text);
    let mut paras = original.clone();
    let mut samples = Vec::new();
    for v in 1..=1000u64 {
        let i = (v as usize * 7) % paras.len();
        paras[i] = reword(&original[i], v);
        let body: String = paras.concat();
        let t = Instant::now();
        let r = http
            .put(format!("{base}/api/v1/documents/{id}"))
            .bearer_auth(&token)
            .json(&json!({"title": "权限管理", "body": body, "base_version": v}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let _ = r.bytes().await.unwrap();
        samples.push(t.elapsed());
    }
    samples.sort();
    // The physical floor on this machine: a flushed sled insert of the same size.
    let floor_dir = tempfile::tempdir().unwrap();
    let db = sled::open(floor_dir.path()).unwrap();
    let mut floor = Vec::new();
    for i in 0..1000u32 {
        let t = Instant::now();
        db.insert(i.to_be_bytes(), text.as_bytes()).unwrap();
        db.flush().unwrap();
        floor.push(t.elapsed());
    }
    floor.sort();
    println!(
        "## durable save over HTTP: 1,000 sequential PUTs of a {} byte document",
        text.len()
    );
    println!(
        "HTTP save: p50 {:?}, p99 {:?}, max {:?}",
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
    println!(
        "flushed sled insert of the same size: p50 {:?}, p99 {:?}",
        percentile(&floor, 0.5),
        percentile(&floor, 0.99)
    );
    println!(
        "ratio p50: {:.1}x",
        percentile(&samples, 0.5).as_secs_f64() / percentile(&floor, 0.5).as_secs_f64()
    );
}

fn main() {
    if !std::path::Path::new(CORPUS_DOC).exists() {
        eprintln!(
            "corpus not found at {CORPUS_DOC}; run from the repository root with ../shared beside it"
        );
        return;
    }
    versions_bench();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(http_saves_bench());
}
