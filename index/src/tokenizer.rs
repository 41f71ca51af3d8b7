//! Jieba-based tokenizer for tantivy.
//!
//! * One [`Jieba`] dictionary for the whole process, behind an [`Arc`] (cloning a `Jieba` costs
//!   milliseconds and tantivy clones tokenizers freely).
//! * Search-mode segmentation (`cut_for_search`): a long word also yields its dictionary sub-words
//!   (`数据库` → `数据`, `数据库`), so both are searchable.
//! * **Monotonic offsets**: jieba emits the sub-words *before* their enclosing word, so raw offsets
//!   go backwards. Every sub-word is given its enclosing word's byte span and position, so offsets
//!   and positions never decrease (tantivy's highlighter and phrase queries rely on that).
//! * Tokens without any letter or digit (spaces, punctuation, emoji) are dropped; ASCII is
//!   lower-cased; ASCII words are stemmed with the Snowball English stemmer.

use std::sync::{Arc, LazyLock};

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::synonyms;

/// Name under which the analyzer is registered in every tantivy index opened by this crate.
pub const TOKENIZER_NAME: &str = "hanlin_jieba";

static JIEBA: LazyLock<Arc<Jieba>> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    // Make the Chinese words of the built-in synonym list whole dictionary words, so that e.g.
    // 扩缩容 or 内存溢出 is one token (its dictionary sub-words are still emitted in search mode).
    // Each gets the least frequency that keeps it whole on its own (jieba's `suggest_freq`), not
    // a high fixed one: a colloquial entry must not take a character from the dictionary word
    // beside it (锁了 at 2,000 cut 死锁了 into 死 | 锁了, and the page on 死锁 was not found).
    for word in dictionary_words() {
        if !jieba.has_word(word) {
            jieba.add_word(word, None, None);
        }
    }
    Arc::new(jieba)
});

/// The lexicon's words that join the segmenter's dictionary: Chinese ones of one word. A word
/// mixing Chinese and Latin letters (慢sql, 在k8s上部署) does not: as a dictionary word it would
/// swallow the Latin word of a page (`k8s` of 在k8s上部署TiDB), and the query finds it anyway
/// as the run of words it is cut into.
fn dictionary_words() -> impl Iterator<Item = &'static str> {
    synonyms::builtin_words().filter(|w| {
        w.chars().any(is_cjk) && !w.contains(' ') && !w.chars().any(|c| c.is_ascii_alphanumeric())
    })
}

/// Changed by hand when the analysis in code changes in a way that cuts documents differently
/// (the lexicon's words are hashed into [`fingerprint`] on their own).
const ANALYZER_REVISION: u32 = 3;

static FINGERPRINT: LazyLock<String> = LazyLock::new(|| {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(ANALYZER_REVISION.to_le_bytes());
    // The set of words, not the lexicon's lines: reordering groups cuts nothing differently.
    let words: std::collections::BTreeSet<&str> = dictionary_words().collect();
    for w in words {
        h.update(w.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("jieba-{ANALYZER_REVISION}-{hex}")
});

/// Names the analyzer of this build: its revision and the words the lexicon adds to the
/// segmenter's dictionary. An index built under another name cuts pages into other words.
pub fn fingerprint() -> &'static str {
    &FINGERPRINT
}

static STEMMER: LazyLock<frostem::Stemmer> =
    LazyLock::new(|| frostem::Stemmer::new(frostem::Algorithm::English));

/// The shared jieba dictionary (loaded on first use, about 150 ms).
pub fn jieba() -> Arc<Jieba> {
    Arc::clone(&JIEBA)
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// One analyzed token: normalized text, the byte span of its enclosing word in the input,
/// the group (enclosing word) index, and whether it is the enclosing word itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// Normalized (lower-cased, stemmed) term text as indexed.
    pub text: String,
    /// Byte range of the token's own surface form in the input.
    pub word: (usize, usize),
    /// Byte start of the enclosing word.
    pub start: usize,
    /// Byte end of the enclosing word.
    pub end: usize,
    /// Index of the enclosing word (the token position in the index).
    pub group: usize,
    /// True for the enclosing word, false for a sub-word of it.
    pub is_main: bool,
    /// For the joined form of connector-separated ASCII words (`keep-alive` → `keepalive`):
    /// how many words it joins (the previous `joined - 1` groups and this one); 0 otherwise.
    pub joined: usize,
}

impl AnalyzedToken {
    /// The token's surface form in `input` (the text it was analyzed from).
    pub fn surface<'a>(&self, input: &'a str) -> &'a str {
        &input[self.word.0..self.word.1]
    }
}

thread_local! {
    /// Per-thread stem cache: English words repeat a lot and Snowball is comparatively slow.
    static STEM_CACHE: std::cell::RefCell<std::collections::HashMap<String, String>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

fn stem_ascii(lower: String) -> String {
    if lower.len() <= 2 || lower.len() > 40 || !lower.bytes().all(|b| b.is_ascii_alphabetic()) {
        return lower;
    }
    STEM_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(s) = cache.get(&lower) {
            return s.clone();
        }
        let stemmed = STEMMER.stem(&lower).into_owned();
        if cache.len() >= 100_000 {
            cache.clear();
        }
        cache.insert(lower, stemmed.clone());
        stemmed
    })
}

/// `v1`, `V7`: a version number with its `v`.
fn is_version_word(w: &str) -> bool {
    w.strip_prefix(['v', 'V'])
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Normalizes one raw token: `None` for tokens with no letter or digit; a version's `v` dropped
/// (`v1` → `1`); ASCII lower-cased and English-stemmed otherwise.
pub(crate) fn normalize(word: &str) -> Option<String> {
    let keep = word
        .chars()
        .any(|c| c.is_ascii_alphanumeric() || is_cjk(c) || (!c.is_ascii() && c.is_alphanumeric()));
    if !keep {
        return None;
    }
    if word.is_ascii() {
        // A version's `v` (v1.6, V7) is dropped: pages write 1.6.0 and v1.6 alike.
        if is_version_word(word) {
            return Some(word[1..].to_owned());
        }
        Some(stem_ascii(word.to_ascii_lowercase()))
    } else {
        // Chinese words need no lower-casing or stemming; mixed words get ASCII lower-cased.
        Some(if word.bytes().any(|b| b.is_ascii_uppercase()) {
            word.to_ascii_lowercase()
        } else {
            word.to_owned()
        })
    }
}

/// Alphabetic runs (2+ letters) of an ASCII token mixing letters and digits: `arm64` → `arm`.
fn alpha_parts(word: &str) -> Vec<(usize, usize)> {
    let b = word.as_bytes();
    let mixed = b.iter().all(u8::is_ascii_alphanumeric)
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic);
    let mut out = Vec::new();
    if !mixed {
        return out;
    }
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && !b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i - s >= 2 {
            out.push((s, i));
        }
    }
    out
}

fn is_connector(w: &str) -> bool {
    matches!(w, "-" | "_" | ".")
}

fn is_ascii_word(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Segments `text` in search mode and returns normalized tokens with monotonic spans.
pub fn analyze_tokens(text: &str) -> Vec<AnalyzedToken> {
    let raw = JIEBA.cut_for_search(text, false);
    // Walk backwards: a token contained in the span of the next enclosing word is a sub-word.
    let mut spans: Vec<(usize, usize, bool)> = vec![(0, 0, false); raw.len()];
    let mut current: Option<(usize, usize)> = None;
    for (i, tok) in raw.iter().enumerate().rev() {
        match current {
            Some((s, e)) if tok.byte_start >= s && tok.byte_end <= e => {
                spans[i] = (s, e, false);
            }
            _ => {
                current = Some((tok.byte_start, tok.byte_end));
                spans[i] = (tok.byte_start, tok.byte_end, true);
            }
        }
    }
    let mut out: Vec<AnalyzedToken> = Vec::with_capacity(raw.len() + 8);
    let mut group = 0usize;
    let mut group_start = 0usize; // index in `out` of the current group's first token
    // Run of connector-separated ASCII words: (start byte, parts, end byte of the last part).
    let mut run: Option<(usize, usize, usize)> = None;
    let mut pending_connector = false;
    for (tok, &(s, e, is_main)) in raw.iter().zip(spans.iter()) {
        let w = tok.word;
        if is_main && is_connector(w) {
            pending_connector = run.is_some_and(|(_, _, end)| end == tok.byte_start);
            continue;
        }
        let Some(norm) = normalize(w) else {
            if is_main {
                run = None;
                pending_connector = false;
            }
            continue;
        };
        if !out[group_start..].iter().any(|t| t.text == norm) {
            out.push(AnalyzedToken {
                text: norm,
                word: (tok.byte_start, tok.byte_end),
                start: s,
                end: e,
                group,
                is_main,
                joined: 0,
            });
        }
        if !is_main {
            continue;
        }
        for (a, b) in alpha_parts(w) {
            let part = stem_ascii(w[a..b].to_ascii_lowercase());
            if !out[group_start..].iter().any(|t| t.text == part) {
                out.push(AnalyzedToken {
                    text: part,
                    word: (tok.byte_start + a, tok.byte_start + b),
                    start: s,
                    end: e,
                    group,
                    is_main: false,
                    joined: 0,
                });
            }
        }
        // Track `a-b-c` runs of ASCII words; add the joined form after the last part.
        if is_ascii_word(w) {
            run = match run {
                Some((rs, parts, end)) if pending_connector && end + 1 == tok.byte_start => {
                    Some((rs, parts + 1, tok.byte_end))
                }
                _ => Some((tok.byte_start, 1, tok.byte_end)),
            };
            if let Some((rs, parts, _)) = run
                && parts >= 2
            {
                let joined: String = text[rs..tok.byte_end]
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                // `v1.6` joins as `16`, like `1.6` (see `normalize`).
                let first = text[rs..]
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .next()
                    .unwrap_or("");
                let joined = if is_version_word(first) {
                    joined[1..].to_owned()
                } else {
                    joined
                };
                out.push(AnalyzedToken {
                    text: stem_ascii(joined),
                    word: (rs, tok.byte_end),
                    start: s,
                    end: e,
                    group,
                    is_main: false,
                    joined: parts,
                });
            }
        } else {
            run = None;
        }
        pending_connector = false;
        group += 1;
        group_start = out.len();
    }
    out
}

/// Registers the analyzer under [`TOKENIZER_NAME`] on a tantivy index (needed after every
/// `Index::open`: custom tokenizers are not persisted). [`crate::SearchIndex`] does this itself.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(
        TOKENIZER_NAME,
        tantivy::tokenizer::TextAnalyzer::builder(JiebaTokenizer::new()).build(),
    );
}

/// The analyzer's tokens for `text` (normalized term texts, in index order).
pub fn analyze(text: &str) -> Vec<String> {
    analyze_tokens(text).into_iter().map(|t| t.text).collect()
}

/// The tantivy tokenizer: jieba search mode, monotonic offsets, punctuation dropped,
/// ASCII lower-cased and stemmed. Cheap to clone (the dictionary is shared).
#[derive(Clone)]
pub struct JiebaTokenizer {
    _jieba: Arc<Jieba>,
    tokens: Vec<Token>,
}

impl Default for JiebaTokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl JiebaTokenizer {
    /// A tokenizer over the shared dictionary.
    pub fn new() -> Self {
        JiebaTokenizer {
            _jieba: jieba(),
            tokens: Vec::new(),
        }
    }
}

/// Token stream over pre-computed tokens.
pub struct JiebaTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        for t in analyze_tokens(text) {
            self.tokens.push(Token {
                offset_from: t.start,
                offset_to: t.end,
                position: t.group,
                text: t.text,
                position_length: 1,
            });
        }
        JiebaTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

impl TokenStream for JiebaTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream_tokens(text: &str) -> Vec<Token> {
        let mut tok = JiebaTokenizer::new();
        let mut stream = tok.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().clone());
        }
        out
    }

    fn assert_monotonic(text: &str) {
        let toks = stream_tokens(text);
        let mut last = (0usize, 0usize, 0usize);
        for t in &toks {
            assert!(
                t.offset_from >= last.0,
                "offset_from went back in {text:?}: {t:?}"
            );
            assert!(
                t.offset_to >= last.1,
                "offset_to went back in {text:?}: {t:?}"
            );
            assert!(
                t.position >= last.2,
                "position went back in {text:?}: {t:?}"
            );
            assert!(t.offset_from <= t.offset_to && t.offset_to <= text.len());
            assert!(text.is_char_boundary(t.offset_from) && text.is_char_boundary(t.offset_to));
            last = (t.offset_from, t.offset_to, t.position);
        }
    }

    #[test]
    fn search_mode_sub_words_and_monotonic_offsets() {
        let text = "中华人民共和国的分布式数据库支持水平扩展";
        assert_monotonic(text);
        let toks = analyze(text);
        assert!(toks.contains(&"数据库".to_string()), "{toks:?}");
        assert!(toks.contains(&"数据".to_string()), "{toks:?}");
        assert!(toks.contains(&"中华人民共和国".to_string()), "{toks:?}");
    }

    #[test]
    fn punctuation_and_spaces_dropped_ascii_lowercased() {
        let toks = analyze("你好，世界！  Hello, WORLD... 😀 （测试）");
        for t in &toks {
            assert!(t.chars().any(char::is_alphanumeric), "{t:?} in {toks:?}");
            assert_eq!(t, &t.to_ascii_lowercase());
        }
        assert!(toks.contains(&"hello".to_string()));
        assert!(toks.contains(&"world".to_string()));
        assert!(!toks.iter().any(|t| t.contains('😀')));
    }

    #[test]
    fn english_is_stemmed() {
        let toks = analyze("Upgrading clusters connections");
        assert_eq!(toks, vec!["upgrad", "cluster", "connect"]);
        assert_eq!(analyze("upgrades"), analyze("upgrade"));
    }

    #[test]
    fn a_version_is_the_same_with_or_without_its_v() {
        assert_eq!(analyze("v1.6"), analyze("1.6"));
        assert_eq!(analyze("TiDB V7.5"), analyze("tidb 7.5"));
        assert_eq!(analyze("vue3 v-if"), vec!["vue3", "vue", "v", "if", "vif"]);
        assert_eq!(analyze("clusters-x"), vec!["cluster", "x", "clustersx"]);
    }

    #[test]
    fn mixed_text() {
        let toks = analyze("TiDB Operator 升级");
        assert_eq!(toks, vec!["tidb", "oper", "升级"]);
        assert_eq!(analyze("k8s"), vec!["k8s"]);
        let toks = analyze("在k8s上部署TiDB集群");
        assert!(toks.contains(&"k8s".to_string()), "{toks:?}");
        assert!(toks.contains(&"tidb".to_string()), "{toks:?}");
        assert!(toks.contains(&"集群".to_string()), "{toks:?}");
        assert_monotonic("在k8s上部署TiDB集群, v1.2.3-beta 版本 WES-5.4.5");
    }

    #[test]
    fn letter_digit_parts_and_joined_connector_words() {
        let toks = analyze("ARM64 机器");
        assert!(toks.contains(&"arm64".to_string()), "{toks:?}");
        assert!(toks.contains(&"arm".to_string()), "{toks:?}");
        let toks = analyze("<keep-alive> 与 KeepAlive");
        assert!(toks.contains(&"keep".to_string()), "{toks:?}");
        assert_eq!(
            toks.iter()
                .filter(|t| *t == &analyze("keepalive")[0])
                .count(),
            2,
            "{toks:?}"
        );
        assert_monotonic("<keep-alive> auto_increment a.b.c arm64 utf8mb4 k8s");
    }

    #[test]
    fn empty_and_weird_input() {
        assert!(analyze("").is_empty());
        assert!(analyze("   ，。！？").is_empty());
        assert_monotonic("\u{0}\u{7}abc\r\n测试\t😀😀中文");
    }

    #[test]
    fn offsets_monotonic_over_corpus() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/kb");
        if !dir.is_dir() {
            println!("note: corpus {} absent, skipping", dir.display());
            return;
        }
        let mut n = 0;
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "md") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    assert_monotonic(&text);
                    n += 1;
                }
            }
        }
        assert!(n > 1000, "only {n} files");
    }
}
