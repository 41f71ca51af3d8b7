//! Search as users get it: import of the real corpus, warm search over HTTP with snippets, the same
//! query in-process for the ratio, throughput with wrk (when installed), and optionally the corpus
//! replicated to 100,000 documents (`HANLIN_BENCH_SCALE=100000`).
//!
//! `cargo bench --bench http_search` (run from the repository root, `../shared/corpus` beside it).

use std::{
    path::Path,
    time::{Duration, Instant},
};

use hanlin::{
    service::documents::Actor,
    service::import::{self, SourceFile},
};
use hanlin_index::{Access, SearchRequest, Sort};
use serde_json::json;

#[path = "common/mod.rs"]
mod common;

const CORPUS: &str = "../shared/corpus/kb";

/// Queries people type: keywords, colloquial questions, mixed Chinese and English.
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

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn fmt(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn corpus_files(scale: usize) -> Vec<SourceFile> {
    let dir = Path::new(CORPUS);
    let paths = import::folder_files(dir).unwrap();
    let (base, problems) = import::read_folder(dir, &paths, 5 * 1024 * 1024);
    assert!(problems.is_empty(), "{problems:?}");
    if scale <= base.len() {
        return base;
    }
    // Replicate with variations: each copy lives in its own folder and has a varied title and an
    // extra line, so documents differ and category trees grow.
    let mut out = Vec::with_capacity(scale);
    let mut copy = 0;
    while out.len() < scale {
        for f in &base {
            if out.len() >= scale {
                break;
            }
            let text = if copy == 0 {
                f.text.clone()
            } else {
                format!(
                    "{}\n\n修订批次 {copy}：本文档的第 {copy} 个副本，用于规模测试。\n",
                    f.text
                )
            };
            out.push(SourceFile {
                rel_path: if copy == 0 {
                    f.rel_path.clone()
                } else {
                    format!("copy{copy:03}/{}", f.rel_path)
                },
                text,
            });
        }
        copy += 1;
    }
    out
}

async fn run(scale: usize) {
    // HANLIN_BENCH_DIR keeps the data (for measuring a separately started server on it).
    let dir = match std::env::var("HANLIN_BENCH_DIR") {
        Ok(d) => tempfile::TempDir::new_in(d).unwrap().keep().into(),
        Err(_) => BenchDir::Temp(tempfile::tempdir().unwrap()),
    };
    println!("data directory: {}", dir.path().display());
    let files = corpus_files(scale);
    let n_files = files.len();
    // Import exactly as `hanlin import` does: store, then index, timed together.
    let started = Instant::now();
    {
        let store = hanlin::store::Store::open(&dir.path().join("db")).unwrap();
        hanlin::bootstrap::first_start(&store, Some(common::PASSWORD)).unwrap();
        let users: Vec<hanlin::model::User> = store.users.all().unwrap();
        let actor = Actor {
            id: users[0].id.clone(),
            name: "bench".into(),
            ip: None,
        };
        let space = import::find_or_create_space(&store, &actor, "技术文档").unwrap();
        let report = import::import_files(&store, &actor, &space, files, 5 * 1024 * 1024).unwrap();
        store.flush_blocking().unwrap();
        let stored = started.elapsed();
        let index = hanlin::open_index(dir.path()).unwrap();
        hanlin::indexer::drain(&store, &index).unwrap();
        store.flush_blocking().unwrap();
        println!(
            "## import of {n_files} files ({} created, {} skipped)",
            report.created,
            report.skipped.len()
        );
        println!(
            "store {:.2} s + index {:.2} s = {:.2} s",
            stored.as_secs_f64(),
            (started.elapsed() - stored).as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
    let common::Running {
        state,
        addr,
        base,
        http,
        token,
        opened_in,
    } = common::serve(dir.path()).await;
    println!(
        "start-up (open store and index, ready to serve): {:.0} ms",
        opened_in.as_secs_f64() * 1000.0
    );
    // Warm up.
    for q in QUERIES {
        http.get(format!("{base}/api/v1/search"))
            .query(&[("q", q)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let rounds = 25;
    let mut over_http = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            let r = http
                .get(format!("{base}/api/v1/search"))
                .query(&[("q", q)])
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
            let _ = r.bytes().await.unwrap();
            over_http.push(t.elapsed());
        }
    }
    over_http.sort();
    let mut in_process = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            let req = SearchRequest {
                query: q.to_string(),
                limit: 10,
                offset: 0,
                sort: Sort::Relevance,
                access: Access::All,
            };
            let t = Instant::now();
            std::hint::black_box(state.index.search(&req).unwrap());
            in_process.push(t.elapsed());
        }
    }
    in_process.sort();
    // A user who may read 10% of the categories (granted per category, nothing at the space root):
    // the permission filter runs inside the index query.
    let spaces: serde_json::Value = http
        .get(format!("{base}/api/v1/spaces"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let space_id = spaces
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "技术文档")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cats: serde_json::Value = http
        .get(format!("{base}/api/v1/spaces/{space_id}/categories"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cats = cats.as_array().unwrap();
    let user: serde_json::Value = http
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"username": "tenth", "password": common::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = user["id"].as_str().unwrap();
    let granted: Vec<&serde_json::Value> = cats.iter().step_by(10).collect();
    for c in &granted {
        let r = http.put(format!("{base}/api/v1/categories/{}/grants", c["id"].as_str().unwrap())).bearer_auth(&token).json(&json!({"inherit": false, "grants": [{"principal": format!("user:{uid}"), "role": "reader"}]})).send().await.unwrap();
        assert!(r.status().is_success(), "{:?}", r.text().await);
    }
    let user_token = common::login(&http, &base, "tenth").await;
    let mut as_user = Vec::new();
    let mut as_admin = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            for (tok, out) in [(&user_token, &mut as_user), (&token, &mut as_admin)] {
                let t = Instant::now();
                let r = http
                    .get(format!("{base}/api/v1/search"))
                    .query(&[("q", q)])
                    .bearer_auth(tok)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
                out.push(t.elapsed());
            }
        }
    }
    as_user.sort();
    as_admin.sort();
    println!(
        "## warm search, {} sequential queries ({} distinct), 10 hits with snippets and facets",
        over_http.len(),
        QUERIES.len()
    );
    println!(
        "over HTTP:   p50 {}, p99 {}",
        fmt(pct(&over_http, 0.5)),
        fmt(pct(&over_http, 0.99))
    );
    println!(
        "in-process:  p50 {}, p99 {}",
        fmt(pct(&in_process, 0.5)),
        fmt(pct(&in_process, 0.99))
    );
    println!(
        "ratio HTTP / in-process: p50 {:.2}x, p99 {:.2}x",
        pct(&over_http, 0.5).as_secs_f64() / pct(&in_process, 0.5).as_secs_f64(),
        pct(&over_http, 0.99).as_secs_f64() / pct(&in_process, 0.99).as_secs_f64()
    );
    println!(
        "## search as a user who may read {} of {} categories (10%), interleaved with admin",
        granted.len(),
        cats.len()
    );
    println!(
        "user:  p50 {}, p99 {}",
        fmt(pct(&as_user, 0.5)),
        fmt(pct(&as_user, 0.99))
    );
    println!(
        "admin: p50 {}, p99 {}",
        fmt(pct(&as_admin, 0.5)),
        fmt(pct(&as_admin, 0.99))
    );
    println!(
        "ratio user / admin: p50 {:.2}x, p99 {:.2}x",
        pct(&as_user, 0.5).as_secs_f64() / pct(&as_admin, 0.5).as_secs_f64(),
        pct(&as_user, 0.99).as_secs_f64() / pct(&as_admin, 0.99).as_secs_f64()
    );
    println!(
        "resident memory of this process (server + client): {:.0} MB",
        rss_mb()
    );
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok()
    {
        let script = dir.path().join("queries.lua");
        let paths: Vec<String> = QUERIES
            .iter()
            .map(|q| format!("\"/api/v1/search?q={}\"", urlenc(q)))
            .collect();
        std::fs::write(&script, format!("local paths = {{{}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1], {{['Authorization'] = 'Bearer {token}'}})\nend\n", paths.join(","))).unwrap();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("wrk")
                .args(["-t2", "-c32", "-d10s", "-s"])
                .arg(&script)
                .arg(format!("http://{addr}/"))
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        println!(
            "## throughput: wrk -t2 -c32 -d10s, {} queries in rotation",
            QUERIES.len()
        );
        for l in text.lines().filter(|l| {
            l.contains("Requests/sec")
                || l.contains("Latency")
                || l.contains("requests in")
                || l.contains("Non-2xx")
        }) {
            println!("{}", l.trim());
        }
    } else {
        println!("(wrk not installed: `apt-get install wrk` for the throughput figure)");
    }
}

/// A data directory that is removed afterwards, or kept.
enum BenchDir {
    Temp(tempfile::TempDir),
    Kept(std::path::PathBuf),
}

impl From<std::path::PathBuf> for BenchDir {
    fn from(p: std::path::PathBuf) -> Self {
        BenchDir::Kept(p)
    }
}

impl BenchDir {
    fn path(&self) -> &Path {
        match self {
            BenchDir::Temp(t) => t.path(),
            BenchDir::Kept(p) => p,
        }
    }
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn main() {
    if !Path::new(CORPUS).exists() {
        eprintln!("corpus not found at {CORPUS}; run from the repository root");
        return;
    }
    let scale: usize = std::env::var("HANLIN_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(scale));
}
