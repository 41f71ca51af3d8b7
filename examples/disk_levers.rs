//! The issue-14 disk pattern on bare sled, one lever at a time: a 43 KB head rewritten and a
//! 300-byte delta added per save, flushed each time, 1,000 saves. Prints the directory's growth
//! as a share of 1,000 whole copies for each variant.
//!
//! `cargo run --release --example disk_levers [DIR]` (DIR defaults to a temporary directory).

use std::time::{Duration, Instant};

const DOC: &str = "../shared/corpus/kb/tidb/identify-slow-queries.md";

fn dir_bytes(p: &std::path::Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        n += if m.is_dir() {
            dir_bytes(&e.path())
        } else {
            m.len()
        };
    }
    n
}

fn run(base: &std::path::Path, label: &str, segment: usize, compress_head: bool, text: &str) {
    let dir = base.join(label);
    let _ = std::fs::remove_dir_all(&dir);
    let db = sled::Config::new()
        .path(&dir)
        .cache_capacity(64 << 20)
        .mode(sled::Mode::HighThroughput)
        .segment_size(segment)
        .flush_every_ms(None)
        .open()
        .unwrap();
    let (heads, versions) = (
        db.open_tree("bodies").unwrap(),
        db.open_tree("versions").unwrap(),
    );
    let encode = |s: &str| -> Vec<u8> {
        if compress_head {
            zstd::bulk::compress(s.as_bytes(), 3).unwrap()
        } else {
            s.as_bytes().to_vec()
        }
    };
    heads.insert("doc", encode(text)).unwrap();
    db.flush().unwrap();
    let start = dir_bytes(&dir);
    let (mut whole, mut lat) = (0u64, Vec::new());
    for v in 1..=1000u64 {
        let at = (v as usize * 997) % (text.len() - 64);
        let at = (at..).find(|i| text.is_char_boundary(*i)).unwrap();
        let body = format!("{}（修订{v}）{}", &text[..at], &text[at..]);
        whole += body.len() as u64;
        let t = Instant::now();
        heads.insert("doc", encode(&body)).unwrap();
        versions.insert(v.to_be_bytes(), vec![b'd'; 300]).unwrap();
        db.flush().unwrap();
        lat.push(t.elapsed());
    }
    lat.sort();
    let p = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize];
    let grown = dir_bytes(&dir) - start;
    let on_disk = db.size_on_disk().unwrap();
    drop((heads, versions, db));
    std::thread::sleep(Duration::from_millis(300));
    println!(
        "{label:<28} growth {grown:>10} B = {:>5.1}% of {whole} B whole copies; size_on_disk {on_disk}; save p50 {:?} p99 {:?}",
        100.0 * grown as f64 / whole as f64,
        p(0.5),
        p(0.99)
    );
}

fn main() {
    let text = std::fs::read_to_string(DOC).expect("run from the repository root");
    let tmp = tempfile::tempdir().unwrap();
    let base = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    println!(
        "{} ({} bytes; zstd level 3: {} bytes)",
        DOC,
        text.len(),
        zstd::bulk::compress(text.as_bytes(), 3).unwrap().len()
    );
    for (label, seg, c) in [
        ("plain, 512 KiB segments", 512 << 10, false),
        ("plain, 128 KiB segments", 128 << 10, false),
        ("plain, 64 KiB segments", 64 << 10, false),
        ("zstd head, 512 KiB segments", 512 << 10, true),
        ("zstd head, 128 KiB segments", 128 << 10, true),
        ("zstd head, 64 KiB segments", 64 << 10, true),
        ("plain, 32 KiB segments", 32 << 10, false),
        ("zstd head, 32 KiB segments", 32 << 10, true),
    ] {
        run(&base, label, seg, c, &text);
    }
}
