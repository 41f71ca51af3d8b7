//! Quick open (type-ahead by title, full pinyin or pinyin initials) and related documents
//! (相关推荐), both permission-filtered inside the query like search.
//!
//! # Quick open
//!
//! Every title is indexed under a few raw keys in `title_keys`: from the start of the title and
//! from each of its first [`MAX_STARTS`] word starts, the rest of the title lower-cased with
//! spaces and punctuation dropped, its full pinyin and its pinyin initials (ASCII stays as it is),
//! each cut to [`MAX_KEY_CHARS`]. A query (squashed the same way) matches by prefix, so `kr`,
//! `kuorong`, `扩容` and `tidb扩` all find 「TiDB 集群扩容」. Candidates are ranked by how they
//! match: the title itself starts with the query, then its pinyin does, then a later word does;
//! shorter titles first within each.
//!
//! # Related documents
//!
//! tantivy's `MoreLikeThisQuery` over the document's stored title (counted twice), body and
//! lower-cased tags, with thresholds for a small knowledge base: a term must occur at least twice
//! in the document and in at least two documents, and in at most a fifth of them (or 20, in a
//! small one); filler words never count; at most
//! [`RELATED_TERMS`] terms. Answers are cached per searcher generation (a commit, so a new
//! version, clears them), document and scope set.

use std::collections::BTreeSet;

use pinyin::ToPinyin;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, RegexQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue, Value};
use tantivy::{TantivyDocument, Term};

use crate::search::SearchIndex;
use crate::{Access, Result, tokenizer};

/// Word starts of a title that get keys (besides the start of the title).
pub const MAX_STARTS: usize = 8;
/// Longest key, in characters: longer queries are cut to this too.
pub const MAX_KEY_CHARS: usize = 32;
/// Candidates ranked per quick-open query.
const CANDIDATES: usize = 200;
/// Most terms of a related-documents query.
pub const RELATED_TERMS: usize = 25;
/// A term in more than a fifth of the documents says little about any of them; in a small
/// knowledge base a fifth is too few, so up to this many documents always count.
const MIN_MAX_DOC_FREQUENCY: u64 = 20;
/// Cached related-document answers.
const RELATED_CACHE_ENTRIES: usize = 512;

/// A document found by quick open or as related.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    /// Document id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Space id.
    pub space_id: String,
}

/// Lower-cased letters and digits (any script) only.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Full pinyin and pinyin initials of squashed text; characters without pinyin stay as they are.
fn pinyin_forms(squashed: &str) -> (String, String) {
    let (mut full, mut initials) = (String::new(), String::new());
    for c in squashed.chars() {
        match c.to_pinyin() {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None => {
                full.push(c);
                initials.push(c);
            }
        }
    }
    (full, initials)
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_KEY_CHARS).collect()
}

/// The keys a title is found under (see the module documentation).
pub fn title_keys(title: &str) -> Vec<String> {
    let lower = title.to_lowercase();
    // Every word's start, sub-words included: a lexicon compound (集群扩容) must not hide the
    // start of the word inside it (扩容 of TiDB 集群扩容).
    let mut starts: Vec<usize> = tokenizer::analyze_tokens(&lower)
        .iter()
        .map(|t| t.word.0)
        .collect();
    starts.push(0);
    starts.sort_unstable();
    starts.dedup();
    starts.truncate(MAX_STARTS + 1);
    let mut keys = BTreeSet::new();
    for s in starts {
        let Some(rest) = lower.get(s..) else { continue };
        let plain = squash(rest);
        if plain.is_empty() {
            continue;
        }
        let (full, initials) = pinyin_forms(&plain);
        keys.insert(cut(&plain));
        keys.insert(cut(&full));
        keys.insert(cut(&initials));
    }
    keys.into_iter().collect()
}

/// The query as keys are written, or None when it is too short to be worth a lookup: one
/// character suffices for Chinese, ASCII needs two.
fn query_key(q: &str) -> Option<String> {
    let key = cut(&squash(q));
    let enough = !key.is_ascii() || key.chars().count() >= 2;
    (enough && !key.is_empty()).then_some(key)
}

/// A regular expression matching exactly the keys that start with `key`.
fn prefix_pattern(key: &str) -> String {
    let mut p = String::with_capacity(key.len() + 3);
    for c in key.chars() {
        if c.is_ascii_alphanumeric() || !c.is_ascii() {
            p.push(c);
        } else {
            p.push('\\');
            p.push(c);
        }
    }
    p.push_str(".*");
    p
}

/// How a title matches a query key: 0 the title starts with it, 1 its pinyin does, 2 otherwise
/// (a later word).
fn match_rank(title: &str, key: &str) -> u8 {
    let plain = squash(title);
    if plain.starts_with(key) {
        return 0;
    }
    let (full, initials) = pinyin_forms(&plain);
    if full.starts_with(key) || initials.starts_with(key) {
        1
    } else {
        2
    }
}

impl SearchIndex {
    /// Documents whose title matches what was typed so far (title, full pinyin or initials), best
    /// first, at most `limit`, only those `access` may see.
    pub fn suggest(&self, q: &str, access: &Access, limit: usize) -> Result<Vec<Suggestion>> {
        let Some(key) = query_key(q) else {
            return Ok(Vec::new());
        };
        let f = self.fields();
        let searcher = self.reader().searcher();
        let regex: Box<dyn Query> = Box::new(RegexQuery::from_pattern(
            &prefix_pattern(&key),
            f.title_keys,
        )?);
        let mut clauses = vec![(Occur::Must, regex)];
        if let Some(visible) = self.visible_query(&searcher, access) {
            clauses.push((Occur::Must, visible));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())?;
        let mut found = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let s = self.suggestion_of(&doc);
            found.push((match_rank(&s.title, &key), s.title.chars().count(), s));
        }
        found.sort_by(|a, b| (a.0, a.1, &a.2.title).cmp(&(b.0, b.1, &b.2.title)));
        Ok(found.into_iter().take(limit).map(|(_, _, s)| s).collect())
    }

    /// Up to `limit` documents like the one with this id, only those `access` may see, best first;
    /// none when the document is not in the index (never published, or hidden from search).
    pub fn related(&self, id: &str, access: &Access, limit: usize) -> Result<Vec<Suggestion>> {
        let searcher = self.reader().searcher();
        let generation = searcher.generation().generation_id();
        let scope_key = match access {
            Access::All => None,
            Access::Scopes(s) => {
                let mut k: Vec<String> = s.iter().cloned().collect();
                k.sort_unstable();
                Some(k)
            }
        };
        let cache_key = (generation, id.to_owned(), scope_key, limit);
        if let Some(hit) = self.related_cache_get(&cache_key) {
            return Ok(hit);
        }
        let f = self.fields();
        let id_term = Term::from_field_text(f.id, id);
        let own = searcher.search(
            &TermQuery::new(id_term.clone(), IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, addr)) = own.first() else {
            return Ok(Vec::new());
        };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        let text = |field| -> Vec<OwnedValue> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(|s| OwnedValue::Str(s.to_owned())))
                .collect()
        };
        let title = text(f.title);
        let tags: Vec<OwnedValue> = doc
            .get_all(f.tags)
            .filter_map(|v| v.as_str().map(|s| OwnedValue::Str(s.to_lowercase())))
            .collect();
        let mut fields = vec![
            (f.title, title.iter().chain(&title).cloned().collect()),
            (f.body, text(f.body)),
        ];
        if !tags.is_empty() {
            fields.push((f.tag_key, tags.iter().chain(&tags).cloned().collect()));
        }
        let n = searcher.num_docs().max(1);
        let mlt = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(2)
            .with_max_doc_frequency((n / 5).max(MIN_MAX_DOC_FREQUENCY))
            .with_stop_words(
                crate::search::STOP_WORDS
                    .iter()
                    .map(|w| (*w).to_owned())
                    .collect(),
            )
            .with_min_term_frequency(2)
            .with_min_word_length(2)
            .with_max_query_terms(RELATED_TERMS)
            .with_document_fields(fields);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(mlt)),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(id_term, IndexRecordOption::Basic)),
            ),
        ];
        if let Some(visible) = self.visible_query(&searcher, access) {
            clauses.push((Occur::Must, visible));
        }
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut out = Vec::with_capacity(top.len());
        for (_, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            out.push(self.suggestion_of(&d));
        }
        self.related_cache_put(cache_key, out.clone());
        Ok(out)
    }

    fn suggestion_of(&self, doc: &TantivyDocument) -> Suggestion {
        let f = self.fields();
        let get = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        Suggestion {
            id: get(f.id),
            title: get(f.title),
            space_id: get(f.space_id),
        }
    }
}

/// The related-documents cache: (generation, document id, sorted scopes or None for all, limit)
/// -> answer.
pub(crate) type RelatedKey = (u64, String, Option<Vec<String>>, usize);

/// Bounded, oldest dropped first; entries of older generations go at the next insert.
#[derive(Default)]
pub(crate) struct RelatedCache(Vec<(RelatedKey, Vec<Suggestion>)>);

impl RelatedCache {
    pub(crate) fn get(&self, key: &RelatedKey) -> Option<Vec<Suggestion>> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    pub(crate) fn put(&mut self, key: RelatedKey, value: Vec<Suggestion>) {
        let generation = key.0;
        self.0.retain(|(k, _)| k.0 == generation);
        if self.0.len() >= RELATED_CACHE_ENTRIES {
            self.0.remove(0);
        }
        self.0.push((key, value));
    }
}
