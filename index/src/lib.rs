//! `hanlin-index`: Chinese-aware full-text search for Hanlin.
//!
//! * [`JiebaTokenizer`]: jieba search-mode segmentation for tantivy with monotonic offsets,
//!   punctuation dropped, ASCII lower-cased and English-stemmed ([`analyze`] shows its output).
//! * A hand-written query language ([`query::parse`]): words, `"phrases"`, `-exclude`, `#tag`,
//!   `space:`, `category:`, `author:`, `type:`, `before:`, `after:`.
//! * Ranking by query coverage: filler words of colloquial questions (怎么, 如何, 吗 ...) are
//!   dropped, every remaining word (with its synonyms and sub-words) is a *concept*, and a
//!   document covering more concepts ranks higher; title matches count strongly.
//! * Built-in synonyms ([`synonyms`]), extendable at run time.
//! * HTML snippets of about 120 characters and highlighted titles, facet counts for tags,
//!   categories and spaces over all matches (the first [`COUNT_CAP`] of them for very broad
//!   queries, flagged by [`SearchResults::total_is_lower_bound`]), and a permission filter inside
//!   the query.
//!
//! ```
//! use hanlin_index::{Access, IndexDoc, SearchIndex, SearchRequest, Sort};
//!
//! let index = SearchIndex::open_in_ram()?;
//! index.upsert(vec![IndexDoc {
//!     id: "d1".into(),
//!     kind: "doc".into(),
//!     space_id: "s1".into(),
//!     space_name: "运维".into(),
//!     scope: "c1".into(),
//!     category_id: Some("c1".into()),
//!     category_path: vec!["数据库".into()],
//!     tags: vec!["TiDB".into()],
//!     title: "TiDB 集群扩容".into(),
//!     body: "使用 TiUP 为 TiDB 集群增加 TiKV 节点。".into(),
//!     author: "alice".into(),
//!     updated_at: chrono::Utc::now(),
//!     status: "published".into(),
//!     sections: vec![],
//! }])?;
//! index.commit()?;
//!
//! let res = index.search(&SearchRequest {
//!     query: "TiDB 怎么扩容".into(),
//!     limit: 10,
//!     offset: 0,
//!     sort: Sort::Relevance,
//!     access: Access::All,
//! })?;
//! assert_eq!(res.total, 1);
//! assert!(res.hits[0].title_html.contains("<mark>扩容</mark>"));
//! assert_eq!(res.facets.tags["TiDB"], 1);
//! # Ok::<(), hanlin_index::Error>(())
//! ```
#![warn(missing_docs)]

mod concept;
mod prune;
pub mod query;
pub mod quick;
mod schema;
mod search;
pub mod snippet;
pub mod synonyms;
pub mod tokenizer;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};

pub use quick::Suggestion;
pub use schema::{IndexDoc, Section};
pub use search::SearchIndex;
pub use tokenizer::{JiebaTokenizer, TOKENIZER_NAME, analyze};

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's query is invalid (answer 400 `invalid_query` with this message).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index directory could not be opened.
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    /// I/O failed.
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The index on disk was built with another schema (an older version of this crate):
    /// move it aside and reindex.
    #[error("search index schema differs from this version; reindex needed")]
    SchemaMismatch,
    /// A lock was poisoned by a panic in another thread.
    #[error("search index lock poisoned")]
    Poisoned,
}

/// A bad user query: a filter with a value it cannot take. The server answers 400 with code
/// `invalid_query`, this message, and the filter, value and expectation as parameters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// Human-readable explanation.
    pub message: String,
    /// The filter at fault: `before`, `after` or `type`.
    pub filter: String,
    /// The value given, as written.
    pub value: String,
    /// What the filter takes: `YYYY-MM-DD`, or `doc, record`.
    pub expected: String,
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Most recently updated first.
    Recent,
}

/// Which documents the searching user may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Everything (administrators).
    All,
    /// Only documents whose `scope` is in the set (shared: callers keep one per subject and hand
    /// it over without copying).
    Scopes(std::sync::Arc<HashSet<String>>),
}

/// A search request.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    /// The user's query text (see [`query`] for the language).
    pub query: String,
    /// Page size (capped at [`MAX_LIMIT`]).
    pub limit: usize,
    /// Number of hits to skip.
    pub offset: usize,
    /// Result order. A query with filters but no words is always sorted by recency.
    pub sort: Sort,
    /// Permission filter, applied inside the query.
    pub access: Access,
}

/// Largest page size.
pub const MAX_LIMIT: usize = 100;

/// Sections whose anchor starts with this hold an attachment's text (`attachment-<id>`, with
/// `-p<N>` for page N): their documents also answer `type:attachment`.
pub const ATTACHMENT_ANCHOR: &str = "attachment-";

/// Matching documents counted exactly (total and facets); beyond this the total is a lower bound.
pub const COUNT_CAP: usize = 10_000;

/// Search results: one page of hits, the total and facet counts over all matches (over the
/// first [`COUNT_CAP`] matches when `total_is_lower_bound`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SearchResults {
    /// Number of matching (visible) documents; a lower bound when
    /// [`total_is_lower_bound`](Self::total_is_lower_bound) is set.
    pub total: usize,
    /// True when counting stopped early (very broad queries): `total` and the facet counts
    /// cover only the first [`COUNT_CAP`] matching documents, so the real numbers are higher.
    pub total_is_lower_bound: bool,
    /// The requested page.
    pub hits: Vec<Hit>,
    /// Counts over all matching documents (the counted ones when `total_is_lower_bound`).
    pub facets: Facets,
    /// True when some words of the query match nothing the caller may read ([`unmatched`](Self::unmatched)).
    pub partial: bool,
    /// The query's words that match no visible document. Unless at least two other words match,
    /// there are no hits at all (a question about something the knowledge base does not hold);
    /// otherwise the hits hold every other word.
    pub unmatched: Vec<String>,
}

/// One search hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    /// Document id.
    pub id: String,
    /// Title (plain).
    pub title: String,
    /// Title, HTML-escaped, matches in `<mark>`.
    pub title_html: String,
    /// About 120 characters of body, HTML-escaped, matches in `<mark>`.
    pub snippet: String,
    /// `"doc"` or `"record"`.
    pub kind: String,
    /// Space id.
    pub space_id: String,
    /// Category id.
    pub category_id: Option<String>,
    /// Category names root..leaf.
    pub category_path: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Author username.
    pub author: String,
    /// Last update.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Relevance score (0 for filter-only queries).
    pub score: f32,
    /// The section that matches best, when it is not the top of the document: the snippet
    /// comes from it and the page opens at its anchor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<HitSection>,
}

/// The best-matching section of a hit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HitSection {
    /// Heading text.
    pub heading: String,
    /// Anchor of the heading on the rendered page.
    pub anchor: String,
}

/// Facet counts over all matching documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Facets {
    /// Tag → count.
    pub tags: BTreeMap<String, u64>,
    /// Category id → count.
    pub categories: BTreeMap<String, u64>,
    /// Space id → count.
    pub spaces: BTreeMap<String, u64>,
}
