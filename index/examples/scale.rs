//! Scale test: replicate the corpus to N documents, index, and measure query latency and memory.
//!
//! ```text
//! # build (and query) an index of N documents; keep it in DIR
//! cargo run --release -p hanlin-index --example scale -- build <corpus_dir> <N> [--keep DIR]
//! # in a fresh process: open DIR and query only (resident memory of a server-like process)
//! cargo run --release -p hanlin-index --example scale -- open <DIR>
//! ```
//!
//! Copies are made the way the root bench (`benches/http_search.rs`, `corpus_files`) makes them:
//! copy `k` (k ≥ 1) of every file lives under `copyNNN/` and gets the extra line
//! `修订批次 k：本文档的第 k 个副本，用于规模测试。`. As in the bench (one space, folders as
//! categories), every document is in one space and its folders, `copyNNN/` included, are its
//! category path and permission scope.
//!
//! Reports indexing time, query p50/p99 (10 hits with snippets and facets) over the bench's 20
//! queries, for an administrator and for a user who may read 10% of the categories, and the
//! process's resident memory (`VmRSS`, peak `VmHWM`) from `/proc/self/status`.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use hanlin_index::{Access, IndexDoc, SearchIndex, SearchRequest, Sort};

mod common;

/// The root bench's queries (`benches/http_search.rs`).
const QUERIES: &[&str] = &[
    "外键约束",
    "分区表",
    "TiDB Operator 升级",
    "查询特别慢怎么排查",
    "怎么扩容 TiKV",
    "OOM 排查",
    "依赖注入",
    "Nacos Docker",
    "锁冲突怎么办",
    "如何备份数据",
    "k8s 部署 TiDB",
    "窗口函数",
    "聚簇索引",
    "热点问题怎么解决",
    "TTL 过期数据",
    "静态加密",
    "配置中心 动态刷新",
    "组件之间怎么通信",
    "慢日志在哪里看",
    "事务隔离级别",
];

const SPACE: &str = "技术文档";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `VmRSS` and `VmHWM` of this process, in MB.
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn print_rss(label: &str) {
    let (rss, hwm) = rss_mb();
    println!("RSS {label}: {rss:.0} MB (peak {hwm:.0} MB)");
}

/// One space, folders as categories (as `hanlin import` into one space does).
fn as_bench_doc(mut d: IndexDoc, copy: usize) -> IndexDoc {
    let mut folders: Vec<String> = d.id.split('/').map(str::to_string).collect();
    folders.pop();
    if copy > 0 {
        d.id = format!("copy{copy:03}/{}", d.id);
        d.body.push_str(&format!(
            "\n修订批次 {copy}：本文档的第 {copy} 个副本，用于规模测试。\n"
        ));
        folders.insert(0, format!("copy{copy:03}"));
    }
    d.space_id = SPACE.into();
    d.space_name = SPACE.into();
    d.category_id = (!folders.is_empty()).then(|| folders.join("/"));
    d.scope = d
        .category_id
        .clone()
        .unwrap_or_else(|| format!("space:{SPACE}"));
    d.category_path = folders;
    d
}

fn replicate(base: &[IndexDoc], n: usize) -> Vec<IndexDoc> {
    let mut out = Vec::with_capacity(n);
    let mut copy = 0;
    while out.len() < n.max(base.len()) {
        for d in base {
            if out.len() >= n.max(base.len()) {
                break;
            }
            out.push(as_bench_doc(d.clone(), copy));
        }
        copy += 1;
    }
    out
}

fn measure(index: &SearchIndex, label: &str, access: &Access) -> hanlin_index::Result<()> {
    let req = |q: &str| SearchRequest {
        query: q.to_string(),
        limit: 10,
        offset: 0,
        sort: Sort::Relevance,
        access: access.clone(),
    };
    // Warm-up round, showing totals.
    println!("\n== {label}");
    for q in QUERIES {
        let t = Instant::now();
        let r = index.search(&req(q))?;
        println!(
            "  {:<22} total {:>6}{}  hits {:>2}  first {:.2} ms  top {}",
            q,
            r.total,
            if r.total_is_lower_bound { "+" } else { " " },
            r.hits.len(),
            t.elapsed().as_secs_f64() * 1e3,
            r.hits.first().map_or("", |h| h.id.as_str())
        );
    }
    let rounds = 25;
    let mut all = Vec::new();
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); QUERIES.len()];
    for _ in 0..rounds {
        for (qi, q) in QUERIES.iter().enumerate() {
            let t = Instant::now();
            let r = index.search(&req(q))?;
            let e = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(r);
            all.push(e);
            per_query[qi].push(e);
        }
    }
    all.sort_by(f64::total_cmp);
    println!(
        "{label}: p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  ({} samples, 10 hits + snippets + facets)",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        all.len()
    );
    let mut slow: Vec<(f64, &str)> = per_query
        .iter_mut()
        .zip(QUERIES)
        .map(|(v, q)| {
            v.sort_by(f64::total_cmp);
            (percentile(v, 0.5), *q)
        })
        .collect();
    slow.sort_by(|a, b| b.0.total_cmp(&a.0));
    let top: Vec<String> = slow
        .iter()
        .take(4)
        .map(|(m, q)| format!("{q} {m:.2}"))
        .collect();
    println!("  slowest medians (ms): {}", top.join(", "));
    Ok(())
}

/// A user who may read every 10th category (by sorted category id), nothing at the space root.
fn tenth_access(index: &SearchIndex) -> hanlin_index::Result<Access> {
    let searcher = index.tantivy_index().reader()?.searcher();
    let mut scopes = BTreeSet::new();
    for seg in searcher.segment_readers() {
        if let Some(col) = seg.fast_fields().str("category_id")? {
            let mut buf = String::new();
            for ord in 0..col.num_terms() as u64 {
                if col.ord_to_str(ord, &mut buf)? {
                    scopes.insert(buf.clone());
                }
            }
        }
    }
    let set: HashSet<String> = scopes.into_iter().step_by(10).collect();
    println!("\n{} readable categories for the 10% user", set.len());
    Ok(Access::Scopes(set.into()))
}

fn query_all(index: &SearchIndex) -> hanlin_index::Result<()> {
    measure(index, "admin (Access::All)", &Access::All)?;
    print_rss("after admin queries");
    let tenth = tenth_access(index)?;
    measure(index, "10% user (Access::Scopes)", &tenth)?;
    print_rss("after 10% user queries");
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("build") if args.len() >= 3 => {
            let root = PathBuf::from(&args[1]);
            let n: usize = args[2].parse()?;
            let keep = args
                .iter()
                .position(|a| a == "--keep")
                .and_then(|i| args.get(i + 1))
                .map(PathBuf::from);
            let base = common::load_corpus(&root);
            let docs = replicate(&base, n);
            let bytes: usize = docs.iter().map(|d| d.body.len() + d.title.len()).sum();
            println!(
                "{} base docs replicated to {} docs ({:.0} MB text)",
                base.len(),
                docs.len(),
                bytes as f64 / 1e6
            );
            drop(base);
            let tmp = tempfile::tempdir()?;
            let dir = keep.unwrap_or_else(|| tmp.path().to_path_buf());
            if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
                return Err(format!("{} is not empty", dir.display()).into());
            }
            let _ = hanlin_index::analyze("预热");
            print_rss("before indexing");
            let t = Instant::now();
            let index = SearchIndex::open(&dir)?;
            let count = docs.len();
            for chunk in docs.chunks(5_000) {
                index.upsert(chunk.to_vec())?;
            }
            drop(docs);
            index.commit()?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "indexed {count} docs in {secs:.1} s including commit ({:.0} docs/s, {:.1} MB/s)",
                count as f64 / secs,
                bytes as f64 / 1e6 / secs
            );
            print_rss("after indexing");
            println!("index size: {:.0} MB", dir_size(&dir) as f64 / 1e6);
            query_all(&index)?;
        }
        Some("open") if args.len() >= 2 => {
            let dir = PathBuf::from(&args[1]);
            let _ = hanlin_index::analyze("预热");
            print_rss("with dictionary loaded, before open");
            let t = Instant::now();
            let index = SearchIndex::open(&dir)?;
            println!(
                "opened {} docs in {:.0} ms",
                index.num_docs(),
                t.elapsed().as_secs_f64() * 1e3
            );
            print_rss("after open");
            query_all(&index)?;
        }
        _ => {
            eprintln!("usage: scale build <corpus_dir> <N> [--keep DIR] | scale open <DIR>");
            std::process::exit(2);
        }
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
