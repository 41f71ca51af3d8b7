//! Durable saves under concurrency: group commit versus flushing after every transaction.
//!
//! `cargo bench --bench concurrent_writes` prints, on this machine:
//! 1. the raw sled side, stand-alone: 1, 8, 12 and 64 tokio tasks on 2 workers, each a 3-tree transaction then
//!    `flush_async().await` (what Hanlin did before group commit), for 10 s with a watchdog: how many
//!    writes completed, and whether they stopped;
//! 2. the same transactions through [`hanlin::store::Store`] (write gate + one flusher) at 1, 8 and
//!    64 writers: durable transactions per second and p50/p99;
//! 3. saves over HTTP (`POST /api/v1/documents`, answered after the covering flush) at 1, 8 and 64
//!    writers with 64 clients logging in at the same time during the 64-writer run: saves per
//!    second, p50 and p99. `HANLIN_BENCH_SECS` sets the total HTTP time (default 300 s, split over
//!    the three levels).
//!
//! The physical limit printed beside them is sled's own: one flushed 3 KB insert at a time.
//! Every loop is bounded by count and time and talks to 127.0.0.1 only.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::json;

/// About 1 KiB of text per tree in the store-level runs.
const KIB_A: &str = include_str!("kib.txt");
const KIB_B: &str = KIB_A;
const KIB_C: &str = KIB_A;

#[path = "common/mod.rs"]
mod common;

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Part 1: the old way, which deadlocks sled 0.34.
fn old_way_stand_alone(tasks: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = sled::Config::new().path(dir.path()).open().unwrap();
    let trees: Vec<sled::Tree> = ["a", "b", "c"]
        .iter()
        .map(|n| db.open_tree(n).unwrap())
        .collect();
    let done = Arc::new(AtomicU64::new(0));
    let last_progress = Arc::new(Mutex::new(Instant::now()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    for t in 0..tasks {
        let (db, trees, done, stop, last) = (
            db.clone(),
            trees.clone(),
            done.clone(),
            stop.clone(),
            last_progress.clone(),
        );
        rt.spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) && i < 1_000_000 {
                use sled::Transactional;
                let key = (t << 40 | i).to_be_bytes();
                let r: sled::transaction::TransactionResult<(), ()> =
                    (&trees[0], &trees[1], &trees[2]).transaction(|(a, b, c)| {
                        a.insert(&key, &[0u8; 1024][..])?;
                        b.insert(&key, &[1u8; 1024][..])?;
                        c.insert(&key, &[2u8; 1024][..])?;
                        Ok(())
                    });
                r.unwrap();
                db.flush_async().await.unwrap();
                done.fetch_add(1, Ordering::Relaxed);
                *last.lock().unwrap() = Instant::now();
                i += 1;
            }
        });
    }
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    let n = done.load(Ordering::Relaxed);
    let stalled_for = last_progress.lock().unwrap().elapsed();
    println!(
        "{tasks:>2} tasks: {:>6.0} durable writes/s ({n} in {:?}); no write completed in the last {:.1} s{}",
        n as f64 / start.elapsed().as_secs_f64(),
        start.elapsed(),
        stalled_for.as_secs_f64(),
        if stalled_for > Duration::from_secs(2) {
            " (stalled: sled's flush and transactions deadlocked)"
        } else {
            ""
        }
    );
    // Hung tasks cannot finish: leave the runtime behind instead of waiting on it.
    rt.shutdown_background();
    std::mem::forget(db);
    use std::io::Write;
    std::io::stdout().flush().unwrap();
}

/// Part 2: the same 3 KB transactions through the store's write gate and group commit.
fn store_levels() {
    println!(
        "## 2. after: Store::transact + Store::flush (write gate, one flusher), 5 s per level"
    );
    // The physical limit: one flushed 3 KB insert at a time.
    let dir = tempfile::tempdir().unwrap();
    let db = sled::open(dir.path()).unwrap();
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(3) {
        db.insert(n.to_be_bytes(), &[7u8; 3072][..]).unwrap();
        db.flush().unwrap();
        n += 1;
    }
    let floor = n as f64 / start.elapsed().as_secs_f64();
    println!("limit: flushed 3 KB sled insert, one at a time: {floor:.0}/s");
    for writers in [1usize, 8, 64] {
        let dir = tempfile::tempdir().unwrap();
        let store = hanlin::store::Store::open(&dir.path().join("db")).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let samples = Arc::new(Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..writers)
            .map(|w| {
                let (store, samples) = (store.clone(), samples.clone());
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    let mut i = 0u64;
                    while Instant::now() < deadline && i < 1_000_000 {
                        let key = format!("{w}-{i}");
                        let t = Instant::now();
                        let seq = store.next_seq().unwrap();
                        store
                            .transact(|tx| {
                                // Three trees, about 1 KiB each, as a document save writes.
                                tx.bodies.put(&key, KIB_A)?;
                                tx.import_paths.put(&key, "p", KIB_B)?;
                                tx.outbox.push(seq, KIB_C)?;
                                Ok(())
                            })
                            .unwrap();
                        store.flush_blocking().unwrap();
                        mine.push(t.elapsed());
                        i += 1;
                    }
                    samples.lock().unwrap().extend(mine);
                })
            })
            .collect();
        let start = Instant::now();
        for t in threads {
            t.join().unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let mut s = samples.lock().unwrap().clone();
        s.sort();
        println!(
            "{writers:>2} writers: {:>6.0} durable transactions/s ({:.2}x the limit), p50 {:?}, p99 {:?}",
            s.len() as f64 / secs,
            s.len() as f64 / secs / floor,
            pct(&s, 0.5),
            pct(&s, 0.99)
        );
    }
}

/// Part 3: saves over HTTP with logins alongside.
async fn http_levels(total: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::serve(dir.path()).await;
    let space = srv.first_space().await;
    let body = "会议纪要：本周完成了集群扩容与权限审核。\n".repeat(60); // ~3 KB
    println!(
        "## 3. saves over HTTP (POST /api/v1/documents, ~3 KB), {:?} per level",
        total / 3
    );
    for writers in [1usize, 8, 64] {
        let per_level = total / 3;
        let deadline = Instant::now() + per_level;
        let samples = Arc::new(Mutex::new(Vec::new()));
        let logins = Arc::new(AtomicU64::new(0));
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..writers {
            let (http, base, token, space, body, samples) = (
                http.clone(),
                srv.base.clone(),
                srv.token.clone(),
                space.clone(),
                body.clone(),
                samples.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline && mine.len() < 1_000_000 {
                    let t = Instant::now();
                    let r = http
                        .post(format!("{base}/api/v1/documents"))
                        .bearer_auth(&token)
                        .json(&json!({"space_id": space, "title": "并发保存", "body": body}))
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                    let _ = r.bytes().await.unwrap();
                    mine.push(t.elapsed());
                }
                samples.lock().unwrap().extend(mine);
            }));
        }
        if writers == 64 {
            for l in 0..64 {
                let (http, base, logins) = (http.clone(), srv.base.clone(), logins.clone());
                tasks.push(tokio::spawn(async move {
                    let mut n = 0;
                    while Instant::now() < deadline && n < 1_000_000 {
                        let r = http
                            .post(format!("{base}/api/v1/session"))
                            .json(&json!({"username": format!("visitor{l}"), "password": "wrong-password"}))
                            .send()
                            .await
                            .unwrap();
                        let _ = r.bytes().await;
                        logins.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                }));
            }
        }
        let start = Instant::now();
        for t in tasks {
            t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let mut s = samples.lock().unwrap().clone();
        s.sort();
        println!(
            "{writers:>2} writers: {:>6.0} saves/s, p50 {:?}, p99 {:?}{}",
            s.len() as f64 / secs,
            pct(&s, 0.5),
            pct(&s, 0.99),
            if writers == 64 {
                format!(
                    ", with {} logins answered alongside",
                    logins.load(Ordering::Relaxed)
                )
            } else {
                String::new()
            }
        );
    }
}

/// Runs part 1 in a child process: sled's IO threads are process-global, and a deadlocked set of
/// them would stall the parts after it. The child is killed if it outlives its 10 s.
fn old_way_in_child(tasks: u64) {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--old-way-child")
        .arg(tasks.to_string())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--old-way-child") {
        old_way_stand_alone(args[i + 1].parse().unwrap());
        // Exit without running destructors: hung sled threads must not keep the child alive.
        std::process::exit(0);
    }
    let total = Duration::from_secs(
        std::env::var("HANLIN_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300),
    );
    println!(
        "## 1. before: a 3-tree transaction + flush_async per write, tokio tasks on 2 workers, 10 s each"
    );
    for tasks in [1, 8, 12, 64] {
        old_way_in_child(tasks);
    }
    store_levels();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(http_levels(total));
}
