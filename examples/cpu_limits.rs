//! Times the CPU-heavy paths on hostile input: a body of 50,000 nested `<div>`s, a diff of two
//! 5 MB bodies, and front matter with 100,000 nested brackets. Prints figures; asserts nothing.
//!
//! `cargo run --example cpu_limits` (add `--release` for production figures).

use std::time::Instant;

fn time<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    println!("{what:<48} {:>9.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    r
}

fn main() {
    let n = 50_000;
    let divs = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
    let r = time("render: 50,000 nested <div>", || {
        hanlin::markdown::render(&divs)
    });
    println!("  html {} bytes", r.html.len());
    let quotes = format!("{}x\n", "> ".repeat(n));
    time("render: 50,000 nested block quotes", || {
        hanlin::markdown::render(&quotes)
    });
    let lists = format!("{}x\n", "- ".repeat(n));
    time("render: 50,000 nested list items", || {
        hanlin::markdown::render(&lists)
    });
    let stars = format!("{}x{}", "*".repeat(n), "*".repeat(n));
    time("render: 50,000 stars each side", || {
        hanlin::markdown::render(&stars)
    });

    // Two 5 MB bodies, every line changed, the kind of diff a bulk rewrite produces.
    let line = |i: usize, v: &str| {
        format!("第{i}行 集群扩容与备份恢复的步骤说明 {v} some English words here\n")
    };
    let mut old = String::new();
    let mut new = String::new();
    let mut i = 0;
    while old.len() < 5 * 1024 * 1024 {
        old.push_str(&line(i, "旧"));
        new.push_str(&line(i, if i % 2 == 0 { "新" } else { "旧" }));
        i += 1;
    }
    let d = time("diff: two 5 MB bodies, every other line changed", || {
        hanlin::domain::diff::diff(&old, &new, "v1", "v2", &hanlin::text::words)
    });
    println!(
        "  {} hunks, +{} -{}",
        d.hunks.len(),
        d.insertions,
        d.deletions
    );
    let other: String = old.lines().rev().map(|l| format!("{l}\n")).collect();
    time("diff: 5 MB body against itself reversed", || {
        hanlin::domain::diff::diff(&old, &other, "v1", "v2", &hanlin::text::words)
    });

    let fm = format!(
        "---\ntitle: {}{}\n---\n# 标题\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    time("front matter: 100,000 nested brackets", || {
        hanlin::service::import::parse_markdown(&fm, "f")
    });
}
