//! Diagnostics: index a corpus and show the analyzer output and the top hits for queries.
//!
//! ```text
//! cargo run --release -p hanlin-index --example explain -- <corpus_dir> "query" ["query" ...]
//! ```

use hanlin_index::{Access, SearchIndex, SearchRequest, Sort};

mod common;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((root, queries)) = args.split_first() else {
        eprintln!("usage: explain <corpus_dir> <query>...");
        std::process::exit(2);
    };
    let index = SearchIndex::open_in_ram()?;
    index.upsert(common::load_corpus(std::path::Path::new(root)))?;
    index.commit()?;
    for q in queries {
        println!("\n## {q}\ntokens: {:?}", hanlin_index::analyze(q));
        let res = index.search(&SearchRequest {
            query: q.clone(),
            limit: 10,
            offset: 0,
            sort: Sort::Relevance,
            access: Access::All,
        })?;
        println!("total {}", res.total);
        for (i, h) in res.hits.iter().enumerate() {
            println!("{:>2} {:7.2} {}  | {}", i + 1, h.score, h.id, h.title_html);
            if i < 3 {
                println!("           {}", h.snippet);
            }
        }
    }
    Ok(())
}
