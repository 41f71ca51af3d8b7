//! Diagnostics: for each query of TSV query files, the rank of its first answer, the hit count,
//! the words that matched nothing and the jieba part-of-speech tags of the query.
//!
//! ```text
//! cargo run --release -p hanlin-index --example unmatched -- <corpus_dir> <queries.tsv>...
//! ```

use hanlin_index::{Access, SearchIndex, SearchRequest, Sort};

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((root, files)) = args.split_first() else {
        eprintln!("usage: unmatched <corpus_dir> <queries.tsv>...");
        std::process::exit(2);
    };
    let index = SearchIndex::open_in_ram()?;
    index.upsert(common::load_corpus(std::path::Path::new(root)))?;
    index.commit()?;
    let jieba = hanlin_index::tokenizer::jieba();
    for file in files {
        let set = std::path::Path::new(file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for line in std::fs::read_to_string(file)?.lines() {
            let Some((q, answers)) = line.split_once('\t') else {
                continue;
            };
            if line.starts_with('#') {
                continue;
            }
            let res = index.search(&SearchRequest {
                query: q.to_string(),
                limit: 10,
                offset: 0,
                sort: Sort::Relevance,
                access: Access::All,
            })?;
            let answers: Vec<&str> = answers.split(',').collect();
            let rank = res
                .hits
                .iter()
                .position(|h| answers.contains(&h.id.as_str()))
                .map_or("-".to_string(), |r| (r + 1).to_string());
            let kind = if answers == ["-"] { "absent" } else { "answer" };
            let tags: Vec<String> = jieba
                .tag(q, true)
                .into_iter()
                .filter(|t| !t.word.trim().is_empty())
                .map(|t| format!("{}/{}", t.word, t.tag))
                .collect();
            println!(
                "{set}\t{kind}\t{rank}\t{}\t{q}\tunmatched={:?}\t{}",
                res.total,
                res.unmatched,
                tags.join(" ")
            );
        }
    }
    Ok(())
}
