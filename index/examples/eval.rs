//! Search-quality and latency evaluation over a Markdown corpus.
//!
//! ```text
//! cargo run --release -p hanlin-index --example eval -- <corpus_dir> <queries.tsv> [more.tsv ...]
//! ```
//!
//! Loads every `.md` under `corpus_dir` (front matter `title`, `keywords`/`tags`; else the first
//! `# ` heading without its `{#anchor}`; else the file name), indexes into a temporary directory,
//! runs each query and prints the rank of the first right answer, hit@5, recall@5, MRR@10, the
//! indexing rate and query latency (with snippets, and raw tantivy BM25 top-10).

use std::path::PathBuf;
use std::time::Instant;

use hanlin_index::{Access, SearchIndex, SearchRequest, Sort};

mod common;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: eval <corpus_dir> <queries.tsv> [more.tsv ...]");
        std::process::exit(2);
    }
    let root = PathBuf::from(&args[0]);
    let t0 = Instant::now();
    let docs = common::load_corpus(&root);
    let bytes: usize = docs.iter().map(|d| d.body.len() + d.title.len()).sum();
    println!(
        "loaded {} docs ({:.1} MB text) in {:.2} s",
        docs.len(),
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    // Analyzer throughput, one thread (the indexing cost floor).
    let ta = Instant::now();
    let mut ntok = 0usize;
    for d in &docs {
        ntok += hanlin_index::analyze(&d.body).len() + hanlin_index::analyze(&d.title).len();
    }
    let asecs = ta.elapsed().as_secs_f64();
    println!(
        "analyzer, one thread: {ntok} tokens in {asecs:.2} s ({:.1} MB/s)",
        bytes as f64 / 1e6 / asecs
    );
    let jieba = hanlin_index::tokenizer::jieba();
    let tj = Instant::now();
    let mut nraw = 0usize;
    for d in &docs {
        nraw += jieba.cut_for_search(&d.body, false).len()
            + jieba.cut_for_search(&d.title, false).len();
    }
    let jsecs = tj.elapsed().as_secs_f64();
    println!(
        "raw jieba cut_for_search, one thread: {nraw} tokens in {jsecs:.2} s ({:.1} MB/s)",
        bytes as f64 / 1e6 / jsecs
    );
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open(dir.path())?;
    // Warm the dictionary outside the timing (it is loaded once per process).
    let _ = hanlin_index::analyze("预热");
    let n = docs.len();
    let t1 = Instant::now();
    index.upsert(docs)?;
    index.commit()?;
    let secs = t1.elapsed().as_secs_f64();
    println!(
        "indexed {n} docs in {secs:.2} s including commit: {:.0} docs/s, {:.1} MB/s",
        n as f64 / secs,
        bytes as f64 / 1e6 / secs
    );

    let mut all_queries: Vec<(String, Vec<String>)> = Vec::new();
    for qfile in &args[1..] {
        let mut queries = Vec::new();
        for line in std::fs::read_to_string(qfile)?.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((q, answers)) = line.split_once('\t') else {
                continue;
            };
            queries.push((
                q.to_string(),
                answers
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>(),
            ));
        }
        println!("\n== {qfile}: {} queries", queries.len());
        let (mut hit5, mut recall5, mut mrr) = (0.0, 0.0, 0.0);
        for (q, answers) in &queries {
            let res = index.search(&SearchRequest {
                query: q.clone(),
                limit: 10,
                offset: 0,
                sort: Sort::Relevance,
                access: Access::All,
            })?;
            let ids: Vec<&str> = res.hits.iter().map(|h| h.id.as_str()).collect();
            let rank = ids.iter().position(|id| answers.iter().any(|a| a == id));
            let found5 = answers
                .iter()
                .filter(|a| ids.iter().take(5).any(|id| id == a))
                .count();
            if rank.is_some_and(|r| r < 5) {
                hit5 += 1.0;
            }
            recall5 += found5 as f64 / answers.len() as f64;
            if let Some(r) = rank {
                mrr += 1.0 / (r as f64 + 1.0);
            }
            let shown = rank.map_or("-".to_string(), |r| (r + 1).to_string());
            println!(
                "{:>3}  {:<28} total {:>4}  top: {}",
                shown,
                q,
                res.total,
                ids.first().copied().unwrap_or("")
            );
        }
        let nq = queries.len().max(1) as f64;
        println!(
            "hit@5 {:.3}  recall@5 {:.3}  MRR@10 {:.3}",
            hit5 / nq,
            recall5 / nq,
            mrr / nq
        );
        all_queries.extend(queries);
    }

    // Latency: every query, several rounds, warm.
    let rounds = 20;
    let mut with_snippets = Vec::new();
    let mut raw = Vec::new();
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); all_queries.len()];
    for round in 0..=rounds {
        for (qi, (q, _)) in all_queries.iter().enumerate() {
            let t = Instant::now();
            let res = index.search(&SearchRequest {
                query: q.clone(),
                limit: 10,
                offset: 0,
                sort: Sort::Relevance,
                access: Access::All,
            })?;
            let e = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(res);
            let t = Instant::now();
            let r = index.raw_bm25_top10(q)?;
            let e2 = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(r);
            if round > 0 {
                per_query[qi].push(e);
                with_snippets.push(e);
                raw.push(e2);
            }
        }
    }
    // Query + count + facets only (no hits fetched): where the time goes.
    let mut no_hits = Vec::new();
    for _ in 0..5 {
        for (q, _) in &all_queries {
            let t = Instant::now();
            let r = index.search(&SearchRequest {
                query: q.clone(),
                limit: 0,
                offset: 0,
                sort: Sort::Relevance,
                access: Access::All,
            })?;
            no_hits.push(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(r);
        }
    }
    no_hits.sort_by(f64::total_cmp);
    println!(
        "\nquery + count + facets, no hits:        p50 {:.3} ms  p99 {:.3} ms",
        percentile(&no_hits, 0.5),
        percentile(&no_hits, 0.99)
    );
    let mut slowest: Vec<(f64, f64, &str)> = per_query
        .iter_mut()
        .zip(&all_queries)
        .map(|(v, (q, _))| {
            v.sort_by(f64::total_cmp);
            (percentile(v, 0.5), percentile(v, 1.0), q.as_str())
        })
        .collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("\nslowest queries (median, max ms):");
    for (m, mx, q) in slowest.iter().take(5) {
        println!("  {m:7.3} {mx:7.3}  {q}");
    }
    with_snippets.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    let (p50, p99) = (
        percentile(&with_snippets, 0.5),
        percentile(&with_snippets, 0.99),
    );
    let (r50, r99) = (percentile(&raw, 0.5), percentile(&raw, 0.99));
    println!(
        "\nquery with snippets (10 hits, facets): p50 {p50:.3} ms  p99 {p99:.3} ms  ({} samples)",
        with_snippets.len()
    );
    println!("raw tantivy BM25 top-10:               p50 {r50:.3} ms  p99 {r99:.3} ms");
    println!(
        "ratio: p50 {:.1}x  p99 {:.1}x",
        p50 / r50.max(1e-9),
        p99 / r99.max(1e-9)
    );
    Ok(())
}
