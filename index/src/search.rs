//! The index: writing, query building, ranking, facets, hits.
//!
//! # Ranking
//!
//! The free text is segmented with the index analyzer. Every enclosing word becomes a *concept*
//! (`keep-alive` and multi-word synonyms such as `scale out` are one concept): the word itself,
//! its synonyms (weight [`SYNONYM_WEIGHT`]) and its search-mode sub-words (weight
//! [`SUBWORD_WEIGHT`]). Question and filler words ([`STOP_WORDS`]) are dropped unless nothing
//! else is left. A concept scores
//!
//! * BM25 over title (boost [`TITLE_BOOST`]) and body, scaled by [`BM25_SCALE`];
//! * a constant coverage bonus when the document holds the word or a synonym anywhere
//!   ([`COVER_BONUS`], or [`COVER_SUB_BONUS`] through sub-words only), plus
//!   [`TITLE_COVER_BONUS`] when it is in the title;
//!
//! all multiplied by the concept's weight (from its document frequency; single Chinese
//! characters count half). Concepts are SHOULD clauses, so a document covering 3 of 3 concepts
//! beats one repeating 1 concept (BM25 saturates, bonuses do not repeat). A title equal to the
//! query (letters and digits, lower-cased) gets [`EXACT_TITLE_BONUS`]. Phrases are MUST,
//! exclusions MUST_NOT, filters and the permission scope are zero-score MUST clauses.
//!
//! # Execution
//!
//! A search runs two passes over the same filters (permission scope included). The page comes
//! from a top-K pass with the scoring query alone: each concept is one pass over its terms and
//! phrases ([`crate::concept`]), and the sum of concepts is collected with MaxScore pruning
//! ([`crate::prune`]), so a common word's documents are only looked up, not visited. The total
//! and the facets come from a non-scoring pass over an equivalent match-only query (each distinct
//! term or phrase once, no bonus structure) that stops after [`COUNT_CAP`](crate::COUNT_CAP)
//! visible documents and then sets `total_is_lower_bound`. A scope set's visible documents are
//! kept as per-segment bitsets for the current searcher generation ([`SCOPE_CACHE_ENTRIES`]
//! sets), so a user's searches do not redo the union of their scopes' posting lists.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use tantivy::BitSet;
use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::directory::MmapDirectory;
use tantivy::index::SegmentId;
use tantivy::query::{
    AllQuery, BitSetDocSet, BooleanQuery, BoostQuery, ConstScoreQuery, ConstScorer, EmptyScorer,
    EnableScoring, Explanation, Occur, PhraseQuery, Query, RangeQuery, Scorer, TermQuery,
    TermSetQuery, Weight,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocId, DocSet, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Score,
    SegmentOrdinal, SegmentReader, TERMINATED, TantivyDocument, Term,
};

use crate::ATTACHMENT_ANCHOR;
use crate::prune::MaxScoreQuery;
use crate::query::{self, ParsedQuery};
use crate::schema::Section;
use crate::schema::{Fields, IndexDoc, build_schema, exact_key};
use crate::snippet::Highlighter;
use crate::synonyms::SynonymMap;
use crate::tokenizer::{self, AnalyzedToken};
use crate::{
    Access, COUNT_CAP, Error, Facets, Hit, HitSection, MAX_LIMIT, Result, SearchRequest,
    SearchResults, Sort,
};

/// Boost of title matches relative to body matches.
const TITLE_BOOST: f32 = 3.0;
/// Boost of section-heading matches relative to body matches.
const HEADING_BOOST: f32 = 1.5;
/// Weight of a synonym relative to the word the user typed.
const SYNONYM_WEIGHT: f32 = 0.7;
/// Weight of a search-mode sub-word (数据 of 数据库).
const SUBWORD_WEIGHT: f32 = 0.3;
/// Weight of a concept that is a single Chinese character.
const SINGLE_CHAR_WEIGHT: f32 = 0.5;
/// Scale of the BM25 part relative to the coverage bonuses.
const BM25_SCALE: f32 = 0.35;
/// Bonus for covering a concept (the word or a synonym) anywhere.
const COVER_BONUS: f32 = 4.0;
/// Bonus for covering a concept only through its sub-words.
const COVER_SUB_BONUS: f32 = 1.2;
/// Extra bonus for covering a concept in the title.
const TITLE_COVER_BONUS: f32 = 2.5;
/// Bonus for a title that is exactly the query.
const EXACT_TITLE_BONUS: f32 = 40.0;
/// A query with words that match nothing answers only if at least this many other words match.
const MIN_MATCHED_BESIDE_UNMATCHED: usize = 2;
/// Pages that must name a product (in Latin letters) for it to stand for the question when a
/// noun of the question matches nothing: fewer mention it in passing.
const MIN_PAGES_OF_A_NAME: usize = 5;
/// Beside a word that matches nothing, a hit holds at least this share of the other words (and
/// at least [`MIN_MATCHED_BESIDE_UNMATCHED`] of them): both of two, two of three, three of five.
const REQUIRED_SHARE_BESIDE_UNMATCHED: f32 = 0.6;
/// Documents re-ranked by their best-matching section (besides the page and what precedes it).
const RERANK_WINDOW: usize = 30;
/// Bonus for a section that covers the whole query (scaled by the share it covers).
const SECTION_BONUS: f32 = 4.0;
/// The share a section covers is capped at 1.5 (a concept in its heading counts half again).
const MAX_SECTION_COVERAGE: f32 = 1.5;
/// The largest section bonus a document can get.
const MAX_SECTION_BONUS: f32 = SECTION_BONUS * MAX_SECTION_COVERAGE;
/// Bytes of a body scanned for section matching.
const SECTION_SCAN_BYTES: usize = 512 * 1024;
/// Bytes scanned when nothing matched in the first [`SECTION_SCAN_BYTES`]: a long attachment's
/// text (a 500-page PDF) whose match lies on a late page still names that page.
const SECTION_DEEP_SCAN_BYTES: usize = 16 * 1024 * 1024;
/// Matches considered for section matching.
const SECTION_MAX_MATCHES: usize = 4000;
/// Writer heap.
const WRITER_HEAP: usize = 50_000_000;
/// Scope sets whose visible documents are cached (a bit per document each).
const SCOPE_CACHE_ENTRIES: usize = 32;
/// Bytes of stored text kept parsed by [`DocCache`].
const DOC_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Question and filler words dropped from the scoring query (unless nothing else is left).
pub(crate) const STOP_WORDS: &[&str] = &[
    "怎么",
    "怎么样",
    "怎样",
    "怎么办",
    "如何",
    "为什么",
    "为何",
    "什么",
    "啥",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "的",
    "了",
    "地",
    "得",
    "着",
    "过",
    "一下",
    "一台",
    "一个",
    "一些",
    "一种",
    "请问",
    "请",
    "我",
    "我们",
    "你",
    "你们",
    "他",
    "它",
    "想",
    "要",
    "需要",
    "能",
    "能否",
    "能不能",
    "可以",
    "可",
    "是",
    "是否",
    "有",
    "有没有",
    "没有",
    "在",
    "哪些",
    "哪里",
    "哪个",
    "哪",
    "方法",
    "问题",
    "办法",
    "如果",
    "和",
    "与",
    "及",
    "或",
    "或者",
    "还是",
    "就",
    "都",
    "也",
    "还",
    "很",
    "非常",
    "特别",
    "比较",
    "太",
    "最",
    "会",
    "应该",
    "该",
    "把",
    "被",
    "让",
    "给",
    "对",
    "从",
    "到",
    "用",
    "这",
    "那",
    "这个",
    "那个",
    "这些",
    "那些",
    "时候",
    "时",
    "里",
    "上",
    "中",
    "下",
    "后",
    "前",
    "之",
    "其",
    "等",
    "做",
    "进行",
    "实现",
    "如何",
    "为啥",
    "咋",
    "咋办",
    "不",
    "没",
    // Time said relative to now, and "ever" / "always": a page is not written in them.
    "昨天",
    "今天",
    "前天",
    "刚才",
    "刚刚",
    "那会儿",
    "这会儿",
    "从来",
    "从没",
    "一直",
    "老是",
    "总是",
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "the",
    "a",
    "an",
    "to",
    "of",
    "in",
    "on",
    "for",
    "is",
    "are",
    "was",
    "be",
    "do",
    "does",
    "can",
    "i",
    "you",
    "it",
    "and",
    "or",
    "with",
    "by",
    "at",
    "from",
    "my",
    "me",
    "this",
    "that",
    "should",
    "would",
    "could",
    "please",
    "vs",
];

/// A word of Latin letters (digits and `-_.` allowed, at least two letters): a product, protocol
/// or API name in a Chinese question.
fn is_latin_name(w: &str) -> bool {
    w.bytes().filter(u8::is_ascii_alphabetic).count() >= 2
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b' '))
}

/// What a word that matches nothing says about the question, from its part of speech in the
/// segmenter's dictionary (out of context: the word's usual part of speech).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordRole {
    /// A quantity, time, pronoun, place word, measure word or particle (几条, 半天, 白天, 那边,
    /// 后面): it qualifies the question, and a page need not hold it.
    Filler,
    /// A noun (门禁卡, 哨兵, 病假), not a quantity: the thing the question is about.
    Thing,
    /// Anything else (verbs such as 截掉, words the dictionary does not tag).
    Other,
}

fn word_role(w: &str) -> WordRole {
    if !w.chars().any(tokenizer::is_cjk) {
        return WordRole::Other;
    }
    let jieba = tokenizer::jieba();
    let tags = jieba.tag(w, false);
    let [tag] = tags.as_slice() else {
        return WordRole::Other;
    };
    if tag.word != w {
        return WordRole::Other;
    }
    match tag.tag {
        "m" | "mq" | "t" | "tg" | "r" | "rr" | "rz" | "ry" | "q" | "f" | "y" | "e" | "o" | "p"
        | "c" | "u" | "uj" | "ul" | "uz" | "ud" | "ug" | "uv" => WordRole::Filler,
        // Not a quantity the dictionary calls a noun (一长串, 几行, 两台).
        "n" | "ng" | "nz" | "nt" | "ns" | "nrt" | "j"
            if !w.starts_with([
                '一', '二', '两', '三', '几', '半', '多', '每', '这', '那', '某',
            ]) =>
        {
            WordRole::Thing
        }
        _ => WordRole::Other,
    }
}

/// The first sentence of a body that is written in Chinese (the page's own description of
/// itself), cut at [`LEAD_CHARS`] characters; empty when the body's start has none.
fn lead(body: &str) -> &str {
    let start: &str = match body.char_indices().nth(LEAD_CHARS * 2) {
        Some((i, _)) => &body[..i],
        None => body,
    };
    start
        .split_inclusive(['。', '\n'])
        .find(|s| s.chars().any(tokenizer::is_cjk))
        .map_or("", |s| match s.char_indices().nth(LEAD_CHARS) {
            Some((i, _)) => &s[..i],
            None => s,
        })
}

const LEAD_CHARS: usize = 200;

fn is_stop_word(w: &str) -> bool {
    let lw = w.to_lowercase();
    STOP_WORDS.contains(&lw.as_str())
}

/// A built query: the scoring query, the same match set for counting, the highlighter.
struct Built {
    /// Scoring query (ranking).
    query: Box<dyn Query>,
    /// Matches exactly the documents `query` matches, without the scoring structure (each
    /// distinct term or phrase once): the cheap non-scoring count and facet pass.
    matcher: Box<dyn Query>,
    highlighter: Highlighter,
    has_scoring: bool,
    /// Words of the query that match no visible document.
    unmatched: Vec<String>,
    /// The words that carry the question match nothing: the answer is no hit.
    nothing: bool,
    /// Weight of each highlighter concept (query concepts, then phrases).
    weights: Vec<f32>,
}

/// Where a document matches best: its section and how much of the query that section covers.
struct SectionPick {
    /// Weighted share of the query's concepts found in the best section (0 to 1).
    coverage: f32,
    /// Byte range of the best section in the body.
    range: (usize, usize),
    /// The section, unless it is the top of the document.
    section: Option<HitSection>,
}

/// The search index. `Send + Sync`; share it through an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    synonyms: RwLock<Arc<SynonymMap>>,
    /// Visible documents of recently used scope sets: (searcher generation, sorted scopes, docs).
    scope_cache: Mutex<Vec<(u64, Vec<String>, VisibleDocs)>>,
    /// Related-document answers ([`crate::quick`]).
    related_cache: Mutex<crate::quick::RelatedCache>,
    /// Stored documents read for re-ranking, parsed once ([`DocCache`]).
    doc_cache: Mutex<DocCache>,
    /// Which analyzer built the documents on disk ([`AnalyzerMark`]); `None` in memory.
    analyzer: Option<AnalyzerMark>,
}

/// The analyzer an on-disk index was built with, kept in a file beside it: the segmenter's
/// dictionary grows with the lexicon, and a page indexed under another dictionary is cut into
/// other words than a query now is (`死锁了` was `死 | 锁了` while `锁了` was a dictionary word
/// of high frequency), so such an index must be rebuilt.
#[derive(Debug)]
struct AnalyzerMark {
    path: std::path::PathBuf,
    /// The file names [`tokenizer::fingerprint`].
    current: std::sync::atomic::AtomicBool,
    /// Every document was deleted since the last commit: the next commit holds only documents
    /// indexed with this analyzer.
    emptied: std::sync::atomic::AtomicBool,
}

impl AnalyzerMark {
    /// Names the current analyzer in the file (written aside and renamed: never half-written).
    fn write(&self) -> Result<()> {
        let aside = self.path.with_extension("tmp");
        std::fs::write(&aside, tokenizer::fingerprint())?;
        std::fs::File::open(&aside)?.sync_all()?;
        std::fs::rename(&aside, &self.path)?;
        self.current
            .store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// File in the index directory naming the analyzer of its documents.
const ANALYZER_FILE: &str = "hanlin-analyzer";

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("num_docs", &self.num_docs())
            .finish_non_exhaustive()
    }
}

/// One query alternative: a term or a phrase (index terms with their positions).
#[derive(Debug, Clone, PartialEq)]
enum Alt {
    Term(String),
    Phrase(Vec<(usize, String)>),
}

/// A query concept: what the user typed, its synonyms and its sub-words.
#[derive(Debug, Clone)]
struct Concept {
    /// (alternative, weight): the typed word first, then synonyms.
    alts: Vec<(Alt, f32)>,
    /// Search-mode sub-words (index terms).
    subs: Vec<String>,
    /// Surface strings for highlighting (the first is the concept's word).
    surfaces: Vec<String>,
    /// Relative importance (single Chinese characters count less).
    weight: f32,
}

impl Concept {
    /// The alternatives, then the sub-words as alternatives.
    fn with_subs(&self) -> Vec<Alt> {
        let subs = self.subs.iter().map(|s| Alt::Term(s.clone()));
        self.alts
            .iter()
            .map(|(a, _)| a.clone())
            .chain(subs)
            .collect()
    }
}

fn alt_from_text(text: &str) -> Option<Alt> {
    let toks = tokenizer::analyze_tokens(text);
    let mains: Vec<&AnalyzedToken> = toks.iter().filter(|t| t.is_main).collect();
    match mains.len() {
        0 => None,
        1 => Some(Alt::Term(mains[0].text.clone())),
        _ => {
            let base = mains[0].group;
            Some(Alt::Phrase(
                mains
                    .iter()
                    .map(|t| (t.group - base, t.text.clone()))
                    .collect(),
            ))
        }
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if needed.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (schema, _) = build_schema();
        let directory = MmapDirectory::open(dir)?;
        let exists = Index::exists(&directory).map_err(tantivy::TantivyError::from)?;
        let index = if exists {
            Index::open(directory)?
        } else {
            Index::create(directory, schema, tantivy::IndexSettings::default())?
        };
        let mut this = Self::from_index(index)?;
        let path = dir.join(ANALYZER_FILE);
        let named = std::fs::read_to_string(&path).ok();
        let current = named.as_deref().map(str::trim) == Some(tokenizer::fingerprint());
        let mark = AnalyzerMark {
            path,
            current: current.into(),
            emptied: false.into(),
        };
        if !current && this.num_docs() == 0 {
            // Nothing indexed yet: whatever is indexed from now on is this analyzer's.
            mark.write()?;
        }
        this.analyzer = Some(mark);
        Ok(this)
    }

    /// Were the documents on disk indexed with the analyzer of this build? When not, the index
    /// must be rebuilt (delete everything, index again, commit) for searches to find them.
    pub fn analyzer_is_current(&self) -> bool {
        self.analyzer
            .as_ref()
            .is_none_or(|m| m.current.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// An in-memory index (tests).
    pub fn open_in_ram() -> Result<Self> {
        let (schema, _) = build_schema();
        Self::from_index(Index::create_in_ram(schema))
    }

    fn from_index(index: Index) -> Result<Self> {
        let (expected, _) = build_schema();
        if index.schema() != expected {
            return Err(Error::SchemaMismatch);
        }
        // Custom tokenizers are not persisted: register on every open.
        tokenizer::register(&index);
        let (_, fields) = build_schema();
        let writer = index.writer::<TantivyDocument>(WRITER_HEAP)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            synonyms: RwLock::new(Arc::new(SynonymMap::with_extra(&[]))),
            scope_cache: Mutex::new(Vec::new()),
            related_cache: Mutex::new(Default::default()),
            doc_cache: Mutex::new(DocCache::new(DOC_CACHE_BYTES)),
            analyzer: None,
        })
    }

    /// The underlying tantivy index.
    pub fn tantivy_index(&self) -> &Index {
        &self.index
    }

    fn to_document(&self, d: IndexDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &d.id);
        doc.add_text(f.kind, &d.kind);
        // A document whose attachments' text is indexed (as sections `attachment-<id>…`) also
        // answers `type:attachment`.
        if d.sections
            .iter()
            .any(|s| s.anchor.starts_with(ATTACHMENT_ANCHOR))
        {
            doc.add_text(f.kind, "attachment");
        }
        doc.add_text(f.space_id, &d.space_id);
        doc.add_text(f.space_name, &d.space_name);
        doc.add_text(f.space_key, d.space_id.to_lowercase());
        doc.add_text(f.space_key, d.space_name.to_lowercase());
        doc.add_text(f.scope, &d.scope);
        if let Some(c) = &d.category_id {
            doc.add_text(f.category_id, c);
            doc.add_text(f.category_key, c.to_lowercase());
        }
        for name in &d.category_path {
            doc.add_text(f.category_path, name);
            doc.add_text(f.category_key, name.to_lowercase());
        }
        for t in &d.tags {
            doc.add_text(f.tags, t);
            doc.add_text(f.tag_key, t.to_lowercase());
        }
        doc.add_text(f.title_exact, exact_key(&d.title));
        for k in crate::quick::title_keys(&d.title) {
            doc.add_text(f.title_keys, k);
        }
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        for s in &d.sections {
            doc.add_text(f.headings, &s.heading);
        }
        // A page titled by an identifier (`TIDB_TRX`, `FLUSH PRIVILEGES`) describes itself in its
        // first Chinese sentence: that sentence weighs as a heading, so that a question in
        // Chinese finds it as it finds a page whose title is Chinese.
        if !d.title.chars().any(tokenizer::is_cjk) {
            doc.add_text(f.headings, lead(&d.body));
        }
        if !d.sections.is_empty()
            && let Ok(json) = serde_json::to_string(&d.sections)
        {
            doc.add_text(f.sections, json);
        }
        doc.add_text(f.author, d.author.to_lowercase());
        doc.add_date(
            f.updated_at,
            tantivy::DateTime::from_timestamp_micros(d.updated_at.timestamp_micros()),
        );
        doc.add_text(f.status, &d.status);
        doc
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        self.writer.lock().map_err(|_| Error::Poisoned)
    }

    /// Adds or replaces documents (by id). Not visible until [`commit`](Self::commit).
    pub fn upsert(&self, docs: Vec<IndexDoc>) -> Result<()> {
        let writer = self.writer()?;
        for d in docs {
            writer.delete_term(Term::from_field_text(self.fields.id, &d.id));
            let doc = self.to_document(d);
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Deletes a document by id. Not visible until [`commit`](Self::commit).
    pub fn delete(&self, id: &str) -> Result<()> {
        self.writer()?
            .delete_term(Term::from_field_text(self.fields.id, id));
        Ok(())
    }

    /// Deletes everything (full reindex). Not visible until [`commit`](Self::commit).
    pub fn delete_all(&self) -> Result<()> {
        let writer = self.writer()?;
        writer.delete_all_documents()?;
        if let Some(m) = &self.analyzer {
            m.emptied.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    /// Drops every change since the last commit (a rebuild that failed half-way must not leave
    /// its `delete_all` for the next commit to make permanent).
    pub fn rollback(&self) -> Result<()> {
        let mut writer = self.writer()?;
        writer.rollback()?;
        if let Some(m) = &self.analyzer {
            m.emptied.store(false, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(())
    }

    /// Commits pending changes and makes them visible to searches immediately.
    pub fn commit(&self) -> Result<()> {
        let mut writer = self.writer()?;
        writer.commit()?;
        if let Some(m) = &self.analyzer
            && m.emptied.swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            // Rebuilt (under the writer's lock, so no other commit interleaves).
            m.write()?;
        }
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Number of searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Replaces the admin-edited synonym groups (merged with the built-in list).
    pub fn set_extra_synonyms(&self, groups: Vec<Vec<String>>) {
        let map = Arc::new(SynonymMap::with_extra(&groups));
        match self.synonyms.write() {
            Ok(mut g) => *g = map,
            Err(poisoned) => *poisoned.into_inner() = map,
        }
    }

    fn synonym_map(&self) -> Arc<SynonymMap> {
        match self.synonyms.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Builds concepts from the free text.
    fn concepts(&self, text: &str) -> Vec<Concept> {
        fn main_of<'a>(g: &[&'a AnalyzedToken]) -> Option<&'a AnalyzedToken> {
            g.iter().find(|t| t.is_main).copied()
        }
        let syn = self.synonym_map();
        let toks = tokenizer::analyze_tokens(text);
        // Group tokens by enclosing word.
        let mut groups: Vec<Vec<&AnalyzedToken>> = Vec::new();
        for t in &toks {
            match groups.last_mut() {
                Some(g) if g[0].group == t.group => g.push(t),
                _ => groups.push(vec![t]),
            }
        }
        let surface = |g: &[&AnalyzedToken]| -> String {
            main_of(g)
                .map(|t| t.surface(text).to_lowercase())
                .unwrap_or_default()
        };
        let mut concepts: Vec<Concept> = Vec::new();
        let mut stop_concepts = Vec::new();
        let mut i = 0;
        while i < groups.len() {
            let mut taken = 1;
            let mut word = surface(&groups[i]);
            let mut alts: Vec<(Alt, f32)> = Vec::new();
            let mut subs: Vec<String> = Vec::new();
            let mut surfaces: Vec<String> = Vec::new();
            // `keep-alive`: one concept, as the joined form or the phrase of its parts.
            let joined = (2..=6.min(groups.len() - i)).rev().find_map(|n| {
                groups[i + n - 1]
                    .iter()
                    .find(|t| t.joined == n)
                    .map(|t| (n, *t))
            });
            if let Some((n, jt)) = joined {
                taken = n;
                word = jt.surface(text).to_lowercase();
                alts.push((Alt::Term(jt.text.clone()), 1.0));
                let parts: Vec<(usize, String)> = (0..n)
                    .filter_map(|k| main_of(&groups[i + k]).map(|t| (k, t.text.clone())))
                    .collect();
                surfaces.extend((0..n).map(|k| surface(&groups[k + i])));
                surfaces.push(word.chars().filter(char::is_ascii_alphanumeric).collect());
                alts.push((Alt::Phrase(parts), 1.0));
            } else {
                // Greedy longest multi-word synonym (e.g. "scale out", "慢 sql").
                let max = syn.max_words().max(1) + 2;
                for n in (2..=max.min(groups.len() - i)).rev() {
                    let parts: Vec<String> = (i..i + n).map(|k| surface(&groups[k])).collect();
                    let spaced = parts.join(" ");
                    let concat = parts.concat();
                    if syn.contains(&spaced) {
                        word = spaced;
                        taken = n;
                        break;
                    }
                    if syn.contains(&concat) {
                        word = concat;
                        taken = n;
                        break;
                    }
                }
                if taken == 1 {
                    for t in &groups[i] {
                        if t.is_main {
                            alts.push((Alt::Term(t.text.clone()), 1.0));
                        } else if t.joined == 0 {
                            subs.push(t.text.clone());
                            surfaces.push(t.surface(text).to_lowercase());
                        }
                        surfaces.push(t.text.clone());
                    }
                } else if let Some(a) = alt_from_text(&word) {
                    alts.push((a, 1.0));
                }
            }
            surfaces.insert(0, word.clone());
            if let Some(others) = syn.get(&word) {
                for o in others {
                    if let Some(a) = alt_from_text(o) {
                        alts.push((a, SYNONYM_WEIGHT));
                        surfaces.push(o.clone());
                    }
                }
            }
            // Highlight `scale-out` and `scaleout` for `scale out`.
            let spaced: Vec<String> = surfaces
                .iter()
                .filter(|s| s.contains(' '))
                .flat_map(|s| [s.replace(' ', "-"), s.replace(' ', "_"), s.replace(' ', "")])
                .collect();
            surfaces.extend(spaced);
            i += taken;
            if alts.is_empty() || concepts.iter().any(|c| c.surfaces[0] == word) {
                continue;
            }
            let single_han = word.chars().count() == 1 && word.chars().all(tokenizer::is_cjk);
            let c = Concept {
                alts,
                subs,
                surfaces,
                weight: if single_han { SINGLE_CHAR_WEIGHT } else { 1.0 },
            };
            if is_stop_word(&word) {
                stop_concepts.push(c);
            } else {
                concepts.push(c);
            }
        }
        if concepts.is_empty() {
            return stop_concepts;
        }
        // A single character next to another concept may be part of a compound the other way
        // round (查询慢 → 慢查询): the dictionary word counts for the character's concept.
        let jieba = tokenizer::jieba();
        for i in 0..concepts.len() {
            if concepts[i].weight >= 1.0 {
                continue;
            }
            let c = concepts[i].surfaces[0].clone();
            let neighbours = [i.checked_sub(1), Some(i + 1)];
            for j in neighbours.into_iter().flatten() {
                let Some(n) = concepts.get(j).map(|n| n.surfaces[0].clone()) else {
                    continue;
                };
                for word in [format!("{c}{n}"), format!("{n}{c}")] {
                    if jieba.has_word(&word)
                        && let Some(norm) = tokenizer::normalize(&word)
                    {
                        concepts[i].alts.push((Alt::Term(norm), 1.0));
                        concepts[i].surfaces.push(word);
                    }
                }
            }
        }
        // Two synonym groups may give the same alternative (`partition table` for 分区表):
        // scoring it twice would only cost time and count it double.
        // The first place is kept, with the larger weight.
        for c in &mut concepts {
            let mut alts: Vec<(Alt, f32)> = Vec::with_capacity(c.alts.len());
            for (a, w) in c.alts.drain(..) {
                match alts.iter_mut().find(|(b, _)| *b == a) {
                    Some(kept) => kept.1 = kept.1.max(w),
                    None => alts.push((a, w)),
                }
            }
            c.alts = alts;
        }
        concepts
    }

    fn alt_query(&self, alt: &Alt, field: tantivy::schema::Field) -> Box<dyn Query> {
        match alt {
            Alt::Term(t) => Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            )),
            Alt::Phrase(terms) => Box::new(PhraseQuery::new_with_offset(
                terms
                    .iter()
                    .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                    .collect(),
            )),
        }
    }

    /// Matches documents holding any of `alts` in any of `fields` (no scoring needed).
    fn presence(&self, alts: &[&Alt], fields: &[tantivy::schema::Field]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for alt in alts {
            for &field in fields {
                let q: Box<dyn Query> = match alt {
                    Alt::Term(t) => Box::new(TermQuery::new(
                        Term::from_field_text(field, t),
                        IndexRecordOption::Basic,
                    )),
                    Alt::Phrase(_) => self.alt_query(alt, field),
                };
                clauses.push((Occur::Should, q));
            }
        }
        if clauses.len() == 1 {
            return clauses.pop().expect("one clause").1;
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Scoring query for one concept: BM25 over title and body plus coverage bonuses, and an
    /// upper bound of its score (for [`MaxScoreQuery`]).
    fn concept_query(
        &self,
        searcher: &tantivy::Searcher,
        c: &Concept,
        weight: f32,
    ) -> (Box<dyn Query>, f32) {
        use crate::concept::{ALT, SUB, TITLE_ALT};
        let f = &self.fields;
        let scale = BM25_SCALE * weight.sqrt();
        let mut children: Vec<(Box<dyn Query>, f32, u8)> = Vec::new();
        let mut bm25_bound = 0.0f32;
        for (alt, w) in &c.alts {
            for (field, boost, flags) in [
                (f.title, TITLE_BOOST, ALT | TITLE_ALT),
                (f.headings, HEADING_BOOST, ALT),
                (f.body, 1.0, ALT),
            ] {
                bm25_bound += boost * w * alt_bound(searcher, alt, field);
                children.push((self.alt_query(alt, field), scale * boost * w, flags));
            }
        }
        for t in c.subs.iter().map(|s| Alt::Term(s.clone())) {
            for (field, boost) in [(f.title, TITLE_BOOST), (f.body, 1.0)] {
                bm25_bound += boost * SUBWORD_WEIGHT * alt_bound(searcher, &t, field);
                children.push((
                    self.alt_query(&t, field),
                    scale * boost * SUBWORD_WEIGHT,
                    SUB,
                ));
            }
        }
        let bonuses = crate::concept::Bonuses {
            cover: COVER_BONUS * weight,
            cover_sub: if c.subs.is_empty() {
                0.0
            } else {
                COVER_SUB_BONUS * weight
            },
            title_cover: TITLE_COVER_BONUS * weight,
        };
        let bound = scale * bm25_bound + bonuses.cover.max(bonuses.cover_sub) + bonuses.title_cover;
        (
            Box::new(crate::concept::ConceptQuery { children, bonuses }),
            bound,
        )
    }

    /// Does any document `visible` holds (any at all when `None`) contain one of `alts` (a
    /// concept's word, synonyms and perhaps sub-words)? Document frequencies answer most cases
    /// without a search.
    /// How many documents the caller may read hold one of `alts`.
    fn count_visible(
        &self,
        searcher: &tantivy::Searcher,
        alts: &[Alt],
        visible: Option<&dyn Query>,
    ) -> usize {
        let f = &self.fields;
        let alts: Vec<&Alt> = alts.iter().collect();
        let presence = self.presence(&alts, &[f.title, f.body]);
        let query: Box<dyn Query> = match visible {
            Some(v) => Box::new(BooleanQuery::intersection(vec![presence, v.box_clone()])),
            None => presence,
        };
        query.count(searcher).unwrap_or(0)
    }

    fn matches_anything(
        &self,
        searcher: &tantivy::Searcher,
        alts: &[Alt],
        visible: Option<&dyn Query>,
    ) -> bool {
        let f = &self.fields;
        let alts: Vec<&Alt> = alts.iter().collect();
        let mut some_term = false;
        let mut some_phrase = false;
        for alt in &alts {
            match alt {
                Alt::Term(t) => {
                    some_term |= [f.title, f.body].iter().any(|&field| {
                        searcher
                            .doc_freq(&Term::from_field_text(field, t))
                            .is_ok_and(|n| n > 0)
                    });
                }
                Alt::Phrase(_) => some_phrase = true,
            }
        }
        if !some_term && !some_phrase {
            return false;
        }
        if some_term && visible.is_none() {
            return true;
        }
        let presence = self.presence(&alts, &[f.title, f.body]);
        let query: Box<dyn Query> = match visible {
            Some(v) => Box::new(BooleanQuery::intersection(vec![presence, v.box_clone()])),
            None => presence,
        };
        first_match(searcher, &*query).unwrap_or(true)
    }

    /// Importance of a concept from its document frequency: common words cover less.
    fn concept_weight(&self, searcher: &tantivy::Searcher, c: &Concept) -> f32 {
        let n = searcher.num_docs().max(1) as f32;
        let mut df = 0u64;
        for (alt, _) in &c.alts {
            if let Alt::Term(t) = alt {
                let d = searcher
                    .doc_freq(&Term::from_field_text(self.fields.body, t))
                    .unwrap_or(0);
                df = df.max(d);
            }
        }
        if df == 0 {
            return 1.0;
        }
        let idf = (1.0 + (n - df as f32 + 0.5) / (df as f32 + 0.5)).ln();
        (idf / 3.0).clamp(0.3, 1.0)
    }

    /// A quoted phrase in title or body, and an upper bound of its score.
    fn phrase_query(
        &self,
        searcher: &tantivy::Searcher,
        text: &str,
    ) -> Option<(Box<dyn Query>, f32)> {
        let alt = alt_from_text(text)?;
        let f = &self.fields;
        let bound =
            TITLE_BOOST * alt_bound(searcher, &alt, f.title) + alt_bound(searcher, &alt, f.body);
        let query = Box::new(BooleanQuery::new(vec![
            (
                Occur::Should,
                Box::new(BoostQuery::new(self.alt_query(&alt, f.title), TITLE_BOOST)),
            ),
            (Occur::Should, self.alt_query(&alt, f.body)),
        ]));
        Some((query, bound))
    }

    /// Any of `values` in a raw field. A few terms: a disjunction of term queries (building a
    /// `TermSetQuery` costs more than it saves for so few terms).
    fn raw_terms(&self, field: tantivy::schema::Field, values: &[String]) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = values
            .iter()
            .map(|v| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        if clauses.len() == 1 {
            return clauses.pop().expect("one clause").1;
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The zero-score filter of what `access` may see, or None for everything.
    pub(crate) fn visible_query(
        &self,
        searcher: &tantivy::Searcher,
        access: &Access,
    ) -> Option<Box<dyn Query>> {
        match access {
            Access::All => None,
            Access::Scopes(scopes) => Some(match self.visible_docs(searcher, scopes) {
                Ok(v) => Box::new(v),
                Err(e) => {
                    tracing::warn!("scope filter cache: {e}");
                    let terms: Vec<Term> = scopes
                        .iter()
                        .map(|s| Term::from_field_text(self.fields.scope, s))
                        .collect();
                    Box::new(TermSetQuery::new(terms))
                }
            }),
        }
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    pub(crate) fn reader(&self) -> &IndexReader {
        &self.reader
    }

    pub(crate) fn related_cache_get(
        &self,
        key: &crate::quick::RelatedKey,
    ) -> Option<Vec<crate::quick::Suggestion>> {
        self.related_cache.lock().ok()?.get(key)
    }

    pub(crate) fn related_cache_put(
        &self,
        key: crate::quick::RelatedKey,
        value: Vec<crate::quick::Suggestion>,
    ) {
        if let Ok(mut c) = self.related_cache.lock() {
            c.put(key, value);
        }
    }

    /// The documents a scope set may see, as per-segment bitsets, cached per searcher
    /// generation (a user's repeated searches skip the posting-list union of their scopes).
    fn visible_docs(
        &self,
        searcher: &tantivy::Searcher,
        scopes: &std::collections::HashSet<String>,
    ) -> Result<VisibleDocs> {
        let generation = searcher.generation().generation_id();
        let mut key: Vec<String> = scopes.iter().cloned().collect();
        key.sort_unstable();
        if let Ok(cache) = self.scope_cache.lock()
            && let Some((_, _, v)) = cache.iter().find(|(g, k, _)| *g == generation && *k == key)
        {
            return Ok(v.clone());
        }
        let terms: Vec<Term> = key
            .iter()
            .map(|s| Term::from_field_text(self.fields.scope, s))
            .collect();
        let weight =
            TermSetQuery::new(terms).weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut per_segment = HashMap::new();
        for reader in searcher.segment_readers() {
            let mut bits = BitSet::with_max_value(reader.max_doc());
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                bits.insert(doc);
                doc = scorer.advance();
            }
            per_segment.insert(reader.segment_id(), bits);
        }
        let visible = VisibleDocs(Arc::new(per_segment));
        let mut cache = self.scope_cache.lock().map_err(|_| Error::Poisoned)?;
        cache.retain(|(g, _, _)| *g == generation);
        if cache.len() >= SCOPE_CACHE_ENTRIES {
            cache.remove(0);
        }
        cache.push((generation, key, visible.clone()));
        Ok(visible)
    }

    /// Builds the tantivy query and the highlighter; `None` when nothing searchable is left.
    fn build(
        &self,
        searcher: &tantivy::Searcher,
        q: &ParsedQuery,
        access: &Access,
    ) -> Option<Built> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // The same match set without the scoring structure: each distinct term or phrase once.
        let mut matcher: Option<Box<dyn Query>> = None;
        let mut patterns: Vec<(String, usize)> = Vec::new();
        let mut has_scoring = false;
        let mut weights: Vec<f32> = Vec::new();
        // The concept parts with their score bounds, and the bound of the scored MUST clauses.
        let mut parts: Vec<(Box<dyn Query>, f32)> = Vec::new();
        let mut required_bound = 0.0f32;

        let visible = self.visible_query(searcher, access);
        let mut concepts = self.concepts(&q.text);
        // Words that match no document the caller may read (`工资条` of 工资条查询): unless at
        // least two other words match, nothing is found; otherwise documents holding most of the
        // other words answer, and the answer says which words found nothing. Single characters
        // and filler words are not judged.
        let mut unmatched = Vec::new();
        let mut nothing = false;
        let mut required: Vec<Box<dyn Query>> = Vec::new();
        if !concepts.iter().all(|c| is_stop_word(&c.surfaces[0])) {
            let judged: Vec<usize> = (0..concepts.len())
                .filter(|&i| concepts[i].weight >= 1.0)
                .collect();
            // A filler (几条, 白天) that matches nothing is dropped like a stop word: the
            // question is no less answered without it.
            let unmatched_roles: Vec<(usize, WordRole)> = judged
                .iter()
                .copied()
                .filter(|&i| {
                    !self.matches_anything(searcher, &concepts[i].with_subs(), visible.as_deref())
                })
                .map(|i| (i, word_role(&concepts[i].surfaces[0])))
                .collect();
            let of_role = |keep: fn(WordRole) -> bool| -> Vec<usize> {
                unmatched_roles
                    .iter()
                    .filter(|&&(_, role)| keep(role))
                    .map(|&(i, _)| i)
                    .collect()
            };
            let fillers = of_role(|r| r == WordRole::Filler);
            let missing = of_role(|r| r != WordRole::Filler);
            let thing_missing = unmatched_roles
                .iter()
                .any(|&(_, role)| role == WordRole::Thing);
            if !missing.is_empty() {
                unmatched = missing
                    .iter()
                    .map(|&i| concepts[i].surfaces[0].clone())
                    .collect();
                let matched: Vec<usize> = judged
                    .iter()
                    .copied()
                    .filter(|i| !missing.contains(i) && !fillers.contains(i))
                    .collect();
                // A word found only through a sub-word (试用 of 试用期) does not count towards
                // the two: it says little of what the question is about.
                let strong = matched
                    .iter()
                    .filter(|&&i| {
                        let alts: Vec<Alt> =
                            concepts[i].alts.iter().map(|(a, _)| a.clone()).collect();
                        self.matches_anything(searcher, &alts, visible.as_deref())
                    })
                    .count();
                // A name in Latin letters (MongoDB, WiFi) that no page holds is what the question
                // is about: the other words alone would answer another question. Unless the
                // question names something else that pages do hold (`TiDB … nacos`).
                let is_name = |i: &usize| is_latin_name(&concepts[*i].surfaces[0]);
                let names_missing = missing.iter().any(is_name) && !matched.iter().any(is_name);
                // So is a thing (门禁卡 of 机房门禁卡怎么申请) that no page names: the pages
                // holding the other words are about something else. Unless, again, the question
                // names a product that pages do hold (`TiDB 部署 数据库 nacos`, where one
                // reader sees no page with 数据库).
                // A name that few pages mention (Redis of Redis 哨兵模式, Excel) is mentioned in
                // passing: it does not make up for the missing thing. Few is fewer than
                // `MIN_PAGES_OF_A_NAME` and under a tenth of the pages the caller may read.
                let thing_missing = thing_missing
                    && !matched.iter().any(|i| {
                        if !is_name(i) {
                            return false;
                        }
                        let alts = concepts[*i].with_subs();
                        let pages = self.count_visible(searcher, &alts, visible.as_deref());
                        pages >= MIN_PAGES_OF_A_NAME || {
                            let all = match visible.as_deref() {
                                Some(v) => v.count(searcher).unwrap_or(0),
                                None => searcher.num_docs() as usize,
                            };
                            pages * 10 >= all
                        }
                    });
                if strong < MIN_MATCHED_BESIDE_UNMATCHED || names_missing || thing_missing {
                    nothing = true;
                }
                // Most of the other words, not all: a long question holds everyday words
                // (凌晨, 那会儿) that the page need not.
                let presences: Vec<(Occur, Box<dyn Query>)> = matched
                    .iter()
                    .map(|&i| {
                        let alts = concepts[i].with_subs();
                        let alts: Vec<&Alt> = alts.iter().collect();
                        (Occur::Should, self.presence(&alts, &[f.title, f.body]))
                    })
                    .collect();
                let need = ((presences.len() as f32 * REQUIRED_SHARE_BESIDE_UNMATCHED).ceil()
                    as usize)
                    .max(MIN_MATCHED_BESIDE_UNMATCHED)
                    .min(presences.len());
                if need > 0 {
                    required.push(Box::new(BooleanQuery::with_minimum_required_clauses(
                        presences, need,
                    )));
                }
            }
            let mut i = 0;
            concepts.retain(|_| {
                i += 1;
                !missing.contains(&(i - 1)) && !fillers.contains(&(i - 1))
            });
        }
        if !concepts.is_empty() {
            let mut exact_keys = vec![exact_key(&q.text)];
            let mut reduced = String::new();
            let mut seen = std::collections::HashSet::new();
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (ci, c) in concepts.iter().enumerate() {
                let w = self.concept_weight(searcher, c) * c.weight;
                weights.push(w);
                let (part, bound) = self.concept_query(searcher, c, w);
                parts.push((part, bound));
                for alt in c.with_subs() {
                    if seen.insert(format!("{alt:?}")) {
                        any.push((Occur::Should, self.presence(&[&alt], &[f.title, f.body])));
                    }
                }
                for s in &c.surfaces {
                    patterns.push((s.clone(), ci));
                }
                reduced.push_str(&c.surfaces[0]);
            }
            exact_keys.push(exact_key(&reduced));
            exact_keys.dedup();
            exact_keys.retain(|k| !k.is_empty());
            if !exact_keys.is_empty() {
                any.push((Occur::Should, self.raw_terms(f.title_exact, &exact_keys)));
                parts.push((
                    Box::new(ConstScoreQuery::new(
                        self.raw_terms(f.title_exact, &exact_keys),
                        EXACT_TITLE_BONUS,
                    )),
                    EXACT_TITLE_BONUS,
                ));
            }
            let should = parts
                .iter()
                .map(|(q, _)| (Occur::Should, q.box_clone()))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(should))));
            matcher = Some(Box::new(BooleanQuery::new(any)));
            has_scoring = true;
        }
        let base = concepts.len();
        for (pi, p) in q.phrases.iter().enumerate() {
            if let Some((pq, bound)) = self.phrase_query(searcher, p) {
                clauses.push((Occur::Must, pq));
                required_bound += bound;
                weights.resize(base + pi, 1.0);
                weights.push(1.0);
                patterns.push((p.to_lowercase(), base + pi));
                for t in tokenizer::analyze_tokens(p) {
                    if t.is_main {
                        patterns.push((t.surface(p).to_lowercase(), base + pi));
                    }
                }
                has_scoring = true;
            }
        }
        for e in &q.excludes {
            if let Some(alt) = alt_from_text(e) {
                for field in [f.title, f.body] {
                    let q = Box::new(Exclusion(self.alt_query(&alt, field)));
                    clauses.push((Occur::MustNot, q as Box<dyn Query>));
                }
            }
        }
        let mut filters: Vec<Box<dyn Query>> = required;
        for t in &q.tags {
            filters.push(self.raw_terms(f.tag_key, std::slice::from_ref(t)));
        }
        for s in &q.spaces {
            filters.push(self.raw_terms(f.space_key, std::slice::from_ref(s)));
        }
        for c in &q.categories {
            filters.push(self.raw_terms(f.category_key, std::slice::from_ref(c)));
        }
        for a in &q.authors {
            filters.push(self.raw_terms(f.author, std::slice::from_ref(a)));
        }
        if !q.kinds.is_empty() {
            let kinds: Vec<String> = q.kinds.iter().map(|k| k.as_str().to_string()).collect();
            filters.push(self.raw_terms(f.kind, &kinds));
        }
        if q.before.is_some() || q.after.is_some() {
            use std::ops::Bound;
            let to_term = |d: chrono::DateTime<chrono::Utc>| {
                Term::from_field_date(
                    f.updated_at,
                    tantivy::DateTime::from_timestamp_micros(d.timestamp_micros()),
                )
            };
            let lower = q
                .after
                .map_or(Bound::Unbounded, |d| Bound::Included(to_term(d)));
            let upper = q
                .before
                .map_or(Bound::Unbounded, |d| Bound::Excluded(to_term(d)));
            filters.push(Box::new(RangeQuery::new(lower, upper)));
        }
        if !has_scoring && clauses.is_empty() && filters.is_empty() {
            // Nothing searchable was left (only emoji or punctuation): no results.
            return None;
        }
        if let Some(v) = visible {
            filters.push(v);
        }
        for flt in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(flt, 0.0))));
        }
        if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let matcher = matcher.map(|m| {
            let mut m_clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, m)];
            m_clauses.extend(clauses.iter().skip(1).map(|(o, q)| (*o, q.box_clone())));
            Box::new(BooleanQuery::new(m_clauses)) as Box<dyn Query>
        });
        let query: Box<dyn Query> = if parts.is_empty() {
            Box::new(BooleanQuery::new(clauses))
        } else {
            // The clauses after the parts' union: what every hit must match.
            let mut rest: Vec<(Occur, Box<dyn Query>)> = clauses
                .iter()
                .skip(1)
                .map(|(o, q)| (*o, q.box_clone()))
                .collect();
            let required = (!rest.is_empty()).then(|| {
                if !rest.iter().any(|(o, _)| *o != Occur::MustNot) {
                    // Exclusions alone match nothing: they exclude from everything (scoring 0).
                    rest.push((
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0)),
                    ));
                }
                (
                    Box::new(BooleanQuery::new(rest)) as Box<dyn Query>,
                    required_bound,
                )
            });
            Box::new(MaxScoreQuery {
                whole: Box::new(BooleanQuery::new(clauses)),
                parts,
                required,
            })
        };
        Some(Built {
            matcher: matcher.unwrap_or_else(|| query.box_clone()),
            query,
            highlighter: Highlighter::new(patterns),
            has_scoring,
            unmatched,
            nothing,
            weights,
        })
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        self.search_capped(req, COUNT_CAP)
    }

    /// [`search`](Self::search), counting at most `cap` matches exactly.
    pub(crate) fn search_capped(&self, req: &SearchRequest, cap: usize) -> Result<SearchResults> {
        let parsed = query::parse(&req.query)?;
        if parsed.is_empty() {
            return Ok(SearchResults::default());
        }
        if let Access::Scopes(s) = &req.access
            && s.is_empty()
        {
            return Ok(SearchResults::default());
        }
        let searcher = self.reader.searcher();
        let Some(Built {
            query,
            matcher,
            highlighter,
            has_scoring,
            unmatched,
            nothing,
            weights,
        }) = self.build(&searcher, &parsed, &req.access)
        else {
            return Ok(SearchResults::default());
        };
        let partial = !unmatched.is_empty();
        if nothing {
            return Ok(SearchResults {
                partial,
                unmatched,
                ..SearchResults::default()
            });
        }
        let limit = req.limit.min(MAX_LIMIT);
        let offset = req.offset.min(100_000);
        let by_recency = req.sort == Sort::Recent || !has_scoring;
        // Two passes. The page alone lets tantivy prune (block-WAND where the query allows it,
        // a score threshold otherwise); the total and the facets come from a non-scoring pass
        // over the same query (permission filter included) that stops after `COUNT_CAP` matches.
        let docs: Vec<(f32, DocAddress)> = if by_recency {
            let top = TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .order_by_fast_field::<tantivy::DateTime>("updated_at", Order::Desc);
            searcher
                .search(&*query, &top)?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect()
        } else {
            // The first `RERANK_WINDOW` (at least the page and what precedes it) are re-ranked
            // by their best-matching section.
            let top = TopDocs::with_limit((offset + limit).max(RERANK_WINDOW)).order_by_score();
            searcher.search(&*query, &top)?
        };
        let (counted, total_is_lower_bound, facets) = count_and_facets(&searcher, &*matcher, cap)?;
        let mut hits = Vec::with_capacity(limit);
        let shown;
        if by_recency {
            shown = docs.len().min(limit);
            for (score, addr) in docs.into_iter().take(limit) {
                let doc: TantivyDocument = searcher.doc(addr)?;
                hits.push(self.hit(&doc, score, &highlighter, None));
            }
        } else {
            // The section bonus is at most `MAX_SECTION_BONUS`. Once the page's worth of
            // documents is re-ranked, a candidate whose score plus that bonus does not pass the
            // page's last re-ranked score can never climb into it (those ahead of it in the
            // window win ties), nor can any after it (scores only fall): it is neither loaded
            // nor scanned. Exact: the page is the same as re-ranking the whole window, and the
            // bar rises with the bonuses the leading documents earn.
            let needed = (offset + limit).min(docs.len());
            let mut page_scores: BinaryHeap<Reverse<ByScore>> =
                BinaryHeap::with_capacity(needed + 1);
            let mut ranked = Vec::with_capacity(docs.len());
            for (i, (score, addr)) in docs.into_iter().enumerate() {
                if i >= needed {
                    let bar = page_scores.peek().map_or(f32::MAX, |r| r.0.0);
                    if score + MAX_SECTION_BONUS <= bar {
                        break;
                    }
                }
                let doc = self.stored(&searcher, addr)?;
                let pick = self.best_section(&doc, &highlighter, &weights);
                let score = score + SECTION_BONUS * pick.as_ref().map_or(0.0, |p| p.coverage);
                page_scores.push(Reverse(ByScore(score)));
                if page_scores.len() > needed {
                    page_scores.pop();
                }
                ranked.push((score, doc, pick));
            }
            // Stable: equal scores keep the index order.
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
            shown = ranked.len().saturating_sub(offset).min(limit);
            for (score, doc, pick) in ranked.into_iter().skip(offset).take(limit) {
                hits.push(self.hit(&doc.doc, score, &highlighter, pick));
            }
        }
        // A deep page past the counted matches: the total is at least what precedes its hits.
        let total = counted.max(offset + shown);
        Ok(SearchResults {
            total,
            total_is_lower_bound,
            hits,
            facets,
            partial,
            unmatched,
        })
    }

    /// The stored document at `addr` with its sections parsed, from [`DocCache`] when it was
    /// read before.
    fn stored(&self, searcher: &tantivy::Searcher, addr: DocAddress) -> Result<Arc<StoredDoc>> {
        let key = (
            searcher.segment_reader(addr.segment_ord).segment_id(),
            addr.doc_id,
        );
        if let Some(d) = self.doc_cache.lock().ok().and_then(|mut c| c.get(&key)) {
            return Ok(d);
        }
        let doc: TantivyDocument = searcher.doc(addr)?;
        let f = &self.fields;
        let sections: Vec<Section> = doc
            .get_first(f.sections)
            .and_then(|v| v.as_str())
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let d = Arc::new(StoredDoc::new(doc, sections, f.body));
        if let Ok(mut c) = self.doc_cache.lock() {
            c.put(key, d.clone());
        }
        Ok(d)
    }

    /// The section of `stored` that covers most of the query (weighted by concept; a concept in
    /// the heading counts half again), from the stored body and section list.
    fn best_section(
        &self,
        stored: &StoredDoc,
        hl: &Highlighter,
        weights: &[f32],
    ) -> Option<SectionPick> {
        let f = &self.fields;
        let total: f32 = weights.iter().take(64).sum();
        if total <= 0.0 {
            return None;
        }
        let body = stored
            .doc
            .get_first(f.body)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let sections = &stored.sections;
        // Segment 0 is what precedes the first heading (empty when the body opens with one);
        // segment k + 1 is section k.
        let mut starts: Vec<usize> = vec![0];
        starts.extend(sections.iter().map(|s| s.start.min(body.len())));
        let mut seg_masks = vec![0u64; starts.len()];
        let mut head_masks = vec![0u64; starts.len()];
        // Each pattern's sections, from the document's kept hits (most questions share words
        // with earlier ones, and land on the same long pages).
        let mut any = false;
        for (pattern, c) in hl.patterns() {
            if c >= 64 || c >= weights.len() {
                continue;
            }
            let hits = stored.pattern_hits(pattern, &starts);
            for (w, (&segs, &heads)) in hits.segments.iter().zip(&hits.headings).enumerate() {
                let (mut segs, mut heads) = (segs, heads);
                any |= segs != 0;
                while segs != 0 {
                    let k = w * 64 + segs.trailing_zeros() as usize;
                    seg_masks[k] |= 1 << c;
                    segs &= segs - 1;
                }
                while heads != 0 {
                    let k = w * 64 + heads.trailing_zeros() as usize;
                    head_masks[k] |= 1 << c;
                    heads &= heads - 1;
                }
            }
        }
        if !any && body.len() > SECTION_SCAN_BYTES {
            // Rare (a match only deep in a long text), and paid only by that document.
            let mut seg = 0;
            for (s, e, c) in hl.concept_matches(body, SECTION_DEEP_SCAN_BYTES, SECTION_MAX_MATCHES)
            {
                if c >= 64 || c >= weights.len() {
                    continue;
                }
                while seg + 1 < starts.len() && starts[seg + 1] <= s {
                    seg += 1;
                }
                seg_masks[seg] |= 1 << c;
                if let Some(h) = seg.checked_sub(1).and_then(|k| sections.get(k))
                    && e <= h.start + h.heading.len()
                {
                    head_masks[seg] |= 1 << c;
                }
            }
        }
        let value = |mask: u64| -> f32 {
            (0..weights.len().min(64))
                .filter(|&c| mask & (1 << c) != 0)
                .map(|c| weights[c])
                .sum()
        };
        let mut best = (0usize, -1.0f32);
        for k in 0..starts.len() {
            let v = value(seg_masks[k]) + 0.5 * value(head_masks[k]);
            if v > best.1 {
                best = (k, v);
            }
        }
        let (k, v) = best;
        let end = starts.get(k + 1).copied().unwrap_or(body.len());
        // No section for the top of the document, nor for a first heading of level 1 (the
        // page title).
        let section = k
            .checked_sub(1)
            .and_then(|i| sections.get(i).map(|s| (i, s)))
            .filter(|(i, s)| !(*i == 0 && s.level == 1))
            .map(|(_, s)| HitSection {
                heading: s.heading.clone(),
                anchor: s.anchor.clone(),
            });
        Some(SectionPick {
            coverage: (v / total).min(MAX_SECTION_COVERAGE),
            range: (starts[k], end),
            section,
        })
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        hl: &Highlighter,
        pick: Option<SectionPick>,
    ) -> Hit {
        let f = &self.fields;
        let s = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let all = |field| {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let title = s(f.title);
        let body = doc
            .get_first(f.body)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let updated_at = doc
            .get_first(f.updated_at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| chrono::DateTime::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        Hit {
            id: s(f.id),
            title_html: hl.highlight_all(&title),
            snippet: match &pick {
                Some(SectionPick {
                    range: (s, e),
                    section: Some(_),
                    ..
                }) if s < e && body.is_char_boundary(*s) && body.is_char_boundary(*e) => {
                    hl.snippet(&body[*s..*e])
                }
                _ => hl.snippet(body),
            },
            title,
            kind: s(f.kind),
            space_id: s(f.space_id),
            category_id: doc
                .get_first(f.category_id)
                .and_then(|v| v.as_str())
                .map(str::to_string),
            category_path: all(f.category_path),
            tags: all(f.tags),
            author: s(f.author),
            updated_at,
            score,
            section: pick.and_then(|p| p.section),
        }
    }

    /// Raw tantivy baseline for benchmarks: top-10 BM25 over title and body for the analyzer's
    /// terms of `text` (SHOULD), ids only, no snippets.
    pub fn raw_bm25_top10(&self, text: &str) -> Result<Vec<(f32, DocAddress)>> {
        let f = &self.fields;
        let clauses: Vec<(Occur, Box<dyn Query>)> = tokenizer::analyze(text)
            .into_iter()
            .flat_map(|t| {
                [f.title, f.body].map(|field| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(field, &t),
                        IndexRecordOption::WithFreqs,
                    ));
                    (Occur::Should, q)
                })
            })
            .collect();
        let searcher = self.reader.searcher();
        Ok(searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(10).order_by_score(),
        )?)
    }

    /// The top `k` of a query by score: with MaxScore pruning, by the plain query the pruned
    /// one stands for, and by the pruned query's own scorer over every match.
    #[cfg(test)]
    pub(crate) fn top_pruned_and_plain(
        &self,
        query_text: &str,
        access: &Access,
        k: usize,
    ) -> Result<[Vec<(f32, DocAddress)>; 3]> {
        let parsed = query::parse(query_text)?;
        let searcher = self.reader.searcher();
        let Some(b) = self.build(&searcher, &parsed, access) else {
            return Ok([Vec::new(), Vec::new(), Vec::new()]);
        };
        let top = TopDocs::with_limit(k).order_by_score();
        let pruned = searcher.search(&*b.query, &top)?;
        let plain = match b.query.downcast_ref::<MaxScoreQuery>() {
            Some(m) => searcher.search(&*m.whole, &top)?,
            None => pruned.clone(),
        };
        // The pruned query's own scorer (explain, and collectors that visit every match).
        let weight = b
            .query
            .weight(EnableScoring::enabled_from_searcher(&searcher))?;
        let mut every = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let alive = reader.alive_bitset();
            while scorer.doc() != TERMINATED {
                let doc = scorer.doc();
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    every.push((scorer.score(), DocAddress::new(ord as u32, doc)));
                }
                scorer.advance();
            }
        }
        every.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        every.truncate(k);
        Ok([pruned, plain, every])
    }

    /// Counts of the documents the scoring query and the counting query match (they must agree).
    #[cfg(test)]
    pub(crate) fn match_counts(&self, query_text: &str, access: &Access) -> Result<(usize, usize)> {
        let parsed = query::parse(query_text)?;
        let searcher = self.reader.searcher();
        Ok(match self.build(&searcher, &parsed, access) {
            Some(b) => (
                searcher.search(&*b.query, &tantivy::collector::Count)?,
                searcher.search(&*b.matcher, &tantivy::collector::Count)?,
            ),
            None => (0, 0),
        })
    }

    /// The highlighter (snippet and title marker) a query would use; for diagnostics and tests.
    pub fn highlighter_for(&self, query_text: &str) -> Result<Highlighter> {
        let parsed = query::parse(query_text)?;
        let searcher = self.reader.searcher();
        Ok(self
            .build(&searcher, &parsed, &Access::All)
            .map_or_else(|| Highlighter::new(Vec::new()), |b| b.highlighter))
    }
}

/// The documents of a scope set, per segment: a filter query without a posting-list union.
#[derive(Clone)]
struct VisibleDocs(Arc<HashMap<SegmentId, BitSet>>);

impl std::fmt::Debug for VisibleDocs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("VisibleDocs")
            .field(&self.0.values().map(BitSet::len).sum::<usize>())
            .finish()
    }
}

impl Query for VisibleDocs {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for VisibleDocs {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.0.get(&reader.segment_id()) {
            Some(bits) => Box::new(ConstScorer::new(BitSetDocSet::from(bits.clone()), boost)),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        match self.0.get(&reader.segment_id()) {
            Some(bits) if bits.contains(doc) => Ok(Explanation::new("visible scope", 0.0)),
            _ => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not visible"
            ))),
        }
    }
}

/// An excluded term or phrase. tantivy probes an exclusion with `seek_danger` for each candidate
/// of what it excludes from, also for candidates behind the exclusion's position: its first
/// match when the exclusion is built, `TERMINATED` once it is exhausted. Its phrase scorer
/// asserts (in debug builds) that no probe lies behind its position. A probe behind it has its
/// answer already: nothing matches between the probe and the position (a lower bound is all
/// `seek_danger` promises), so it is answered without asking the scorer.
#[derive(Debug)]
struct Exclusion(Box<dyn Query>);

impl Clone for Exclusion {
    fn clone(&self) -> Self {
        Exclusion(self.0.box_clone())
    }
}

impl Query for Exclusion {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExclusionWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExclusionWeight(Box<dyn Weight>);

impl Weight for ExclusionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ExclusionScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct ExclusionScorer(Box<dyn Scorer>);

impl DocSet for ExclusionScorer {
    fn advance(&mut self) -> DocId {
        if self.0.doc() == TERMINATED {
            return TERMINATED;
        }
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if doc > target {
            return doc;
        }
        self.0.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> tantivy::SeekDangerResult {
        let doc = self.0.doc();
        if doc > target {
            return tantivy::SeekDangerResult::SeekLowerBound(doc);
        }
        self.0.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for ExclusionScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

/// An upper bound of the BM25 score of `alt` in `field` (unboosted): its BM25 weight, the
/// score of unbounded term frequency at the shortest field length (`Bm25Weight::max_score`
/// assumes the longest, which a short field with a high frequency can pass). Unbounded when the
/// statistics cannot be read.
fn alt_bound(searcher: &tantivy::Searcher, alt: &Alt, field: tantivy::schema::Field) -> f32 {
    let terms: Vec<Term> = match alt {
        Alt::Term(t) => vec![Term::from_field_text(field, t)],
        Alt::Phrase(ts) => ts
            .iter()
            .map(|(_, t)| Term::from_field_text(field, t))
            .collect(),
    };
    // A term no document holds matches nothing (and an empty field's average length is 0,
    // which would make the bound NaN).
    if terms.is_empty()
        || terms
            .iter()
            .any(|t| searcher.doc_freq(t).is_ok_and(|n| n == 0))
    {
        return 0.0;
    }
    match tantivy::query::Bm25Weight::for_terms(searcher, &terms) {
        Ok(w) => {
            let bound = w.score(0, u32::MAX);
            if bound.is_finite() {
                bound
            } else {
                f32::INFINITY
            }
        }
        Err(_) => f32::INFINITY,
    }
}

/// A stored document as re-ranking reads it: the document and its parsed sections.
struct StoredDoc {
    doc: TantivyDocument,
    sections: Vec<Section>,
    /// The first [`SECTION_SCAN_BYTES`] of the body, ASCII lower-cased (same byte offsets).
    lower: String,
    /// Where each pattern occurs, found on first use ([`StoredDoc::pattern_hits`]).
    hits: Mutex<HashMap<String, Arc<PatternHits>>>,
    /// What it holds in memory, roughly: the body twice and the sections.
    size: usize,
}

/// The segments (0: before the first heading; k + 1: section k) in which a pattern occurs,
/// and those in whose heading it does, as bitsets.
#[derive(Debug, Default)]
struct PatternHits {
    segments: Vec<u64>,
    headings: Vec<u64>,
}

/// Patterns whose hits a stored document keeps (a question has a few dozen).
const PATTERN_HITS_PER_DOC: usize = 512;

impl StoredDoc {
    fn new(
        doc: TantivyDocument,
        sections: Vec<Section>,
        body_field: tantivy::schema::Field,
    ) -> Self {
        let body = doc
            .get_first(body_field)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let mut end = body.len().min(SECTION_SCAN_BYTES);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let lower = body[..end].to_ascii_lowercase();
        let size = body.len() + lower.len() + 256 * (sections.len() + 1);
        StoredDoc {
            doc,
            sections,
            lower,
            hits: Mutex::new(HashMap::new()),
            size,
        }
    }

    /// Where `pattern` (ASCII lower-cased) occurs in the scanned part of the body, as a word
    /// ([`crate::snippet`]'s boundaries). One search over the text per section at most: after a
    /// section's first occurrence it goes on from the next section (an occurrence in a heading
    /// is the section's first, since the heading opens it). Kept for the next question.
    fn pattern_hits(&self, pattern: &str, starts: &[usize]) -> Arc<PatternHits> {
        if let Some(h) = self.hits.lock().ok().and_then(|m| m.get(pattern).cloned()) {
            return h;
        }
        let words = starts.len().div_ceil(64);
        let mut hits = PatternHits {
            segments: vec![0; words],
            headings: vec![0; words],
        };
        let text = self.lower.as_str();
        let finder = memchr::memmem::Finder::new(pattern.as_bytes());
        let mut pos = 0;
        while pos < text.len() {
            let Some(at) = finder.find(&text.as_bytes()[pos..]) else {
                break;
            };
            let s = pos + at;
            let e = s + pattern.len();
            if !crate::snippet::is_word_boundary(text, s, e) {
                pos = s + 1;
                continue;
            }
            let seg = starts.partition_point(|&st| st <= s) - 1;
            hits.segments[seg / 64] |= 1 << (seg % 64);
            if let Some(h) = seg.checked_sub(1).and_then(|k| self.sections.get(k))
                && e <= h.start + h.heading.len()
            {
                hits.headings[seg / 64] |= 1 << (seg % 64);
            }
            pos = starts
                .get(seg + 1)
                .copied()
                .unwrap_or(text.len())
                .max(s + 1);
        }
        let hits = Arc::new(hits);
        if let Ok(mut m) = self.hits.lock()
            && m.len() < PATTERN_HITS_PER_DOC
        {
            m.insert(pattern.to_string(), hits.clone());
        }
        hits
    }
}

/// Stored documents read for re-ranking, parsed once and kept while they fit in a byte budget
/// (least recently used out first). Reading a stored document means decompressing it, checking
/// its text is UTF-8 and parsing its sections: on the corpus that was half the time of a search
/// (the long pages every question about settings lands on were read for each one). A segment
/// never changes, so (segment, doc) names one content for good: no entry goes stale, and one of a
/// merged-away segment is never asked for again and falls out.
struct DocCache {
    map: lru::LruCache<(tantivy::index::SegmentId, tantivy::DocId), Arc<StoredDoc>>,
    bytes: usize,
    budget: usize,
}

impl DocCache {
    fn new(budget: usize) -> Self {
        DocCache {
            map: lru::LruCache::unbounded(),
            bytes: 0,
            budget,
        }
    }

    fn get(&mut self, key: &(tantivy::index::SegmentId, tantivy::DocId)) -> Option<Arc<StoredDoc>> {
        self.map.get(key).cloned()
    }

    fn put(&mut self, key: (tantivy::index::SegmentId, tantivy::DocId), doc: Arc<StoredDoc>) {
        if doc.size > self.budget / 8 {
            return; // one huge text would push out everything else
        }
        self.bytes += doc.size;
        if let Some(old) = self.map.put(key, doc) {
            self.bytes -= old.size;
        }
        while self.bytes > self.budget {
            match self.map.pop_lru() {
                Some((_, d)) => self.bytes -= d.size,
                None => break,
            }
        }
    }
}

/// A score ordered by `total_cmp`, for a heap of the page's re-ranked scores.
#[derive(PartialEq)]
struct ByScore(f32);

impl Eq for ByScore {}

impl PartialOrd for ByScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Does any live document match `query`?
fn first_match(searcher: &tantivy::Searcher, query: &dyn Query) -> Result<bool> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                return Ok(true);
            }
            doc = scorer.advance();
        }
    }
    Ok(false)
}

/// Counts the documents matching `query` and their facets, without scoring, stopping after `cap`
/// documents. Returns (count, whether more documents match, facets). The query holds the
/// permission filter, so hidden documents are never counted; deleted documents are skipped.
fn count_and_facets(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    cap: usize,
) -> Result<(usize, bool, Facets)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut counted = 0usize;
    let mut capped = false;
    let mut fruits = Vec::new();
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut facets = FacetCollector.for_segment(ord as SegmentOrdinal, reader)?;
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                if counted == cap {
                    capped = true;
                    break;
                }
                counted += 1;
                facets.collect(doc, 0.0);
            }
            doc = scorer.advance();
        }
        fruits.push(facets.harvest());
        if capped {
            break;
        }
    }
    Ok((counted, capped, FacetCollector.merge_fruits(fruits)?))
}

/// Counts tags, categories and spaces over every matching document, from fast fields.
struct FacetCollector;

struct FacetSegment {
    columns: [Option<StrColumn>; 3],
    counts: [Vec<u64>; 3],
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let ff = reader.fast_fields();
        let columns = [ff.str("tags")?, ff.str("category_id")?, ff.str("space_id")?];
        let counts = [0, 1, 2]
            .map(|i| vec![0u64; columns[i].as_ref().map_or(0, |c: &StrColumn| c.num_terms())]);
        Ok(FacetSegment { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut out = Facets::default();
        for f in fruits {
            for (k, v) in f.tags {
                *out.tags.entry(k).or_default() += v;
            }
            for (k, v) in f.categories {
                *out.categories.entry(k).or_default() += v;
            }
            for (k, v) in f.spaces {
                *out.spaces.entry(k).or_default() += v;
            }
        }
        out.tags = fold_case(std::mem::take(&mut out.tags));
        Ok(out)
    }
}

/// Tags are case-insensitive: `Nacos` and `nacos` are one facet, counted together and named by
/// the spelling most documents use (the first in sort order on a tie).
fn fold_case(counts: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut groups: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for (k, v) in counts {
        groups.entry(k.to_lowercase()).or_default().push((k, v));
    }
    groups
        .into_values()
        .filter_map(|spellings| {
            let total = spellings.iter().map(|(_, v)| v).sum();
            let label = spellings
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?
                .0
                .clone();
            Some((label, total))
        })
        .collect()
}

impl SegmentCollector for FacetSegment {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Facets {
        let mut maps: [BTreeMap<String, u64>; 3] = Default::default();
        for ((col, counts), map) in self
            .columns
            .iter()
            .zip(self.counts.iter())
            .zip(maps.iter_mut())
        {
            let Some(col) = col else { continue };
            // One sorted walk of the dictionary: a lookup per ordinal decodes its whole block
            // again, which costs tens of milliseconds with thousands of categories.
            let ords: Vec<u64> = (0..counts.len() as u64)
                .filter(|&o| counts[o as usize] > 0)
                .collect();
            let mut i = 0;
            let _ = col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                if let (Some(&ord), Ok(key)) = (ords.get(i), std::str::from_utf8(bytes)) {
                    map.insert(key.to_string(), counts[ord as usize]);
                }
                i += 1;
            });
        }
        let [tags, categories, spaces] = maps;
        Facets {
            tags,
            categories,
            spaces,
        }
    }
}

#[cfg(test)]
mod doc_cache_tests {
    use super::*;

    fn stored(size: usize) -> Arc<StoredDoc> {
        Arc::new(StoredDoc {
            doc: TantivyDocument::default(),
            sections: Vec::new(),
            lower: String::new(),
            hits: Mutex::new(HashMap::new()),
            size,
        })
    }

    #[test]
    fn the_cache_stays_within_its_budget_and_drops_the_least_recently_used() {
        let seg = tantivy::index::SegmentId::generate_random();
        let mut c = DocCache::new(1000);
        for d in 0..10 {
            c.put((seg, d), stored(100));
        }
        assert_eq!(c.bytes, 1000);
        assert!(c.get(&(seg, 0)).is_some()); // 0 is now the most recently used
        c.put((seg, 10), stored(100));
        assert_eq!(c.bytes, 1000);
        assert!(c.get(&(seg, 1)).is_none(), "the least recently used went");
        assert!(c.get(&(seg, 0)).is_some());
        // Putting the same key again does not count it twice.
        c.put((seg, 0), stored(100));
        assert_eq!(c.bytes, 1000);
        // A text over an eighth of the budget is not kept at all.
        c.put((seg, 99), stored(200));
        assert!(c.get(&(seg, 99)).is_none());
        assert_eq!(c.bytes, 1000);
    }
}
