//! Disk use of the real store (issue 14), in two parts:
//!
//! - `disk_use saves`: 1,000 durable saves (the document service's update, then the group
//!   commit's flush) of a 45 KB corpus document, one small edit each, in each [`Layout`]: growth
//!   of the data directory against 1,000 whole copies, per file and per tree, and the save latency.
//! - `disk_use scale N DIR`: the corpus (`../shared/corpus/kb`, 1,652 files) imported again and
//!   again, each round into a new space with the titles varied, until N documents (or
//!   `HANLIN_BENCH_SECS`, default 240 s, have passed); then the directory's size, a backup (timed)
//!   and its verify (timed). `HANLIN_LAYOUT=plain` uses the pre-issue-14 layout.
//!
//! Run from the repository root: `cargo run --release --example disk_use -- saves`.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use hanlin::{
    model::DocKind,
    service::{
        documents::{self as docs, Actor, DocContent, NewDoc, Update},
        import,
    },
    store::{Layout, Store, backup},
};

const DOC: &str = "../shared/corpus/kb/tidb/identify-slow-queries.md";
const CORPUS: &str = "../shared/corpus/kb";

fn files_under(p: &Path) -> (u64, u64) {
    let (mut n, mut bytes) = (0, 0);
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            // sled deletes blob files while we list them.
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                let (a, b) = files_under(&e.path());
                n += a;
                bytes += b;
            } else {
                n += 1;
                bytes += m.len();
            }
        }
    }
    (n, bytes)
}

/// Each file of the sled directory (sub-directories summed), sorted by name.
fn files(p: &Path) -> Vec<(String, u64, u64)> {
    let mut out: Vec<_> = std::fs::read_dir(p)
        .unwrap()
        .flatten()
        .filter_map(|e| Some((e.metadata().ok()?, e)))
        .map(|(m, e)| {
            let name = e.file_name().to_string_lossy().into_owned();
            if m.is_dir() {
                let (n, b) = files_under(&e.path());
                (name + "/", n, b)
            } else {
                (name, 1, m.len())
            }
        })
        .collect();
    out.sort();
    out
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn actor() -> Actor {
    Actor {
        id: "bench".into(),
        name: "bench".into(),
        ip: None,
    }
}

fn saves(layout: Layout, text: &str) {
    let tmp = tempfile::tempdir_in("/tmp").unwrap();
    let dir = tmp.path().join("db");
    let store = Store::open_layout(&dir, layout).unwrap();
    let content = docs::validate("慢查询", text, &[], usize::MAX).unwrap();
    let doc = docs::create(
        &store,
        &actor(),
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
    store.flush_blocking().unwrap();
    let start = files_under(&dir).1;
    let start_trees = store.tree_sizes().unwrap();
    let (mut whole, mut lat) = (0u64, Vec::new());
    let paras: Vec<&str> = text.split_inclusive("\n\n").collect();
    for v in 1..1000u64 {
        let i = (v as usize * 7) % paras.len();
        let body: String = paras
            .iter()
            .enumerate()
            .map(|(j, p)| {
                if j == i {
                    format!("{}（修订{v}）", p.trim_end()) + &p[p.trim_end().len()..]
                } else {
                    (*p).to_owned()
                }
            })
            .collect();
        whole += body.len() as u64;
        let t = Instant::now();
        docs::update(
            &store,
            &actor(),
            &doc.id,
            Update {
                content: DocContent {
                    title: "慢查询".into(),
                    body,
                    tags: vec![],
                },
                category_id: None,
                base_version: v,
                message: String::new(),
                needs_review: false,
                action: "document.update",
                reconfirm: false,
            },
        )
        .unwrap();
        store.flush_blocking().unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    let grown = files_under(&dir).1 - start;
    println!(
        "### layout {}: 999 durable saves of {DOC} ({} bytes)",
        layout.name(),
        text.len()
    );
    println!(
        "directory growth {grown} B = {:.1}% of {whole} B of whole copies; sled size_on_disk {} B",
        100.0 * grown as f64 / whole as f64,
        store.size_on_disk().unwrap()
    );
    println!(
        "durable save (update + flush): p50 {:?}, p99 {:?}, max {:?}",
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        lat[lat.len() - 1]
    );
    for (name, n, bytes) in files(&dir) {
        println!("  file {name:<12} {n:>5} file(s) {bytes:>10} B");
    }
    let mut logical = 0;
    for (name, n, bytes) in store.tree_sizes().unwrap() {
        let before = start_trees.iter().find(|t| t.0 == name).map_or(0, |t| t.2);
        logical += bytes;
        if n > 0 {
            println!(
                "  tree {name:<14} {n:>5} records {bytes:>9} B (+{} B)",
                bytes - before
            );
        }
    }
    println!("  logical bytes in all trees: {logical} B");
}

fn scale(target: usize, dir: &Path, layout: Layout) {
    let limit = Duration::from_secs(
        std::env::var("HANLIN_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(240),
    );
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("db");
    let store = Store::open_layout(&db, layout).unwrap();
    let root = PathBuf::from(CORPUS);
    let paths = import::folder_files(&root).unwrap();
    let (sources, problems) = import::read_folder(&root, &paths, 5 << 20);
    assert!(problems.is_empty());
    let (checked, problems) = import::check(sources, 5 << 20);
    assert!(problems.is_empty(), "{problems:?}");
    let markdown: u64 = checked.iter().map(|c| c.content.body.len() as u64).sum();
    let started = Instant::now();
    let (mut n, mut round, mut text) = (0usize, 0usize, 0u64);
    while n < target && started.elapsed() < limit {
        let take = (target - n).min(checked.len());
        let files: Vec<_> = checked[..take]
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if round > 0 {
                    c.content.title = format!("{}（第 {} 版）", c.content.title, round + 1);
                }
                c
            })
            .collect();
        let space =
            import::find_or_create_space(&store, &actor(), &format!("语料 {}", round + 1)).unwrap();
        import::write(&store, &actor(), &space, &files).unwrap();
        store.flush_blocking().unwrap();
        n += take;
        text += files
            .iter()
            .map(|c| c.content.body.len() as u64)
            .sum::<u64>();
        round += 1;
    }
    let took = started.elapsed();
    let (nfiles, bytes) = files_under(&db);
    println!(
        "### layout {}: {n} documents ({round} rounds of the corpus, {markdown} B of Markdown per round) in {:.1} s",
        layout.name(),
        took.as_secs_f64()
    );
    println!(
        "data directory (sled): {bytes} B in {nfiles} files = {:.2}x the {text} B of Markdown; size_on_disk {} B",
        bytes as f64 / text as f64,
        store.size_on_disk().unwrap()
    );
    for (name, n, bytes) in files(&db) {
        println!("  file {name:<12} {n:>6} file(s) {bytes:>11} B");
    }
    let t = Instant::now();
    let b = store.backup(&dir.join("backups")).unwrap();
    let backup_s = t.elapsed().as_secs_f64();
    println!(
        "backup (dump, write, fsync, read back and verify): {:.2} s, {} B = {:.1} MB/s of backup file",
        backup_s,
        b.size,
        b.size as f64 / 1e6 / backup_s
    );
    let t = Instant::now();
    let m = backup::verify(&dir.join("backups").join(&b.file)).unwrap();
    let verify_s = t.elapsed().as_secs_f64();
    println!(
        "verify: {:.2} s ({} records, {:.1} MB/s of backup file)",
        verify_s,
        m.records(),
        b.size as f64 / 1e6 / verify_s
    );
}

fn layout_from_env() -> Layout {
    match std::env::var("HANLIN_LAYOUT").as_deref() {
        Ok("plain") => Layout::Plain,
        _ => Layout::CURRENT,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("saves") => {
            let text = std::fs::read_to_string(DOC).expect("run from the repository root");
            saves(Layout::Plain, &text);
            saves(Layout::CURRENT, &text);
        }
        Some("scale") => {
            let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1652);
            let dir = args.get(3).map(PathBuf::from).expect("scale N DIR");
            scale(n, &dir, layout_from_env());
        }
        _ => eprintln!("usage: disk_use saves | disk_use scale N DIR"),
    }
}
