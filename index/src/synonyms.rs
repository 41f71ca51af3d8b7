//! Synonyms and abbreviations.
//!
//! A built-in lexicon ([`LEXICON`], the data file `index/synonyms.txt`): groups of
//! interchangeable words (Chinese workplace and technical speech, English terms and their Chinese
//! renderings, abbreviations) and one-way groups from everyday speech to documentation register,
//! merged with admin-edited groups ([`crate::SearchIndex::set_extra_synonyms`]). Matching is on
//! the lower-cased surface word of the query; a word may belong to several groups.

use std::collections::{BTreeSet, HashMap};

/// The built-in lexicon (`index/synonyms.txt`): one group a line, terms separated by `|`;
/// `a|b => c|d` is one way (a and b also find c and d, not the other way round); `#` starts a
/// comment line. Multi-word terms (`scale out`) are searched as phrases.
pub const LEXICON: &str = include_str!("../synonyms.txt");

/// One line of a lexicon: the terms that expand and the terms they expand to (the same list for
/// a symmetric group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Terms a query may hold (lower-cased).
    pub from: Vec<String>,
    /// Terms those find as well (lower-cased); for a symmetric group, the same as `from`.
    pub to: Vec<String>,
}

fn terms(s: &str) -> Vec<String> {
    s.split('|')
        .map(normalize_term)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Parses lexicon text (see [`LEXICON`] for the format).
pub fn parse_lexicon(text: &str) -> Vec<Entry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let entry = match l.split_once("=>") {
                Some((from, to)) => Entry {
                    from: terms(from),
                    to: terms(to),
                },
                None => Entry {
                    from: terms(l),
                    to: terms(l),
                },
            };
            let useful = !entry.from.is_empty() && (entry.from != entry.to || entry.from.len() > 1);
            useful.then_some(entry)
        })
        .collect()
}

/// Every term of the built-in lexicon, as written.
pub(crate) fn builtin_words() -> impl Iterator<Item = &'static str> {
    LEXICON
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split(['|', '=', '>']))
        .map(str::trim)
        .filter(|w| !w.is_empty())
}

/// How many words the analyzer cuts a term into (at least its space-separated words).
fn words_of(term: &str) -> usize {
    let spaced = term.split(' ').count();
    if term.is_ascii() {
        return spaced;
    }
    let cut = crate::tokenizer::analyze_tokens(term)
        .iter()
        .filter(|t| t.is_main)
        .count();
    spaced.max(cut)
}

/// The built-in symmetric groups (each term trimmed and lower-cased).
pub fn builtin_groups() -> Vec<Vec<String>> {
    parse_lexicon(LEXICON)
        .into_iter()
        .filter(|e| e.from == e.to && e.from.len() > 1)
        .map(|e| e.from)
        .collect()
}

/// Lookup table: lower-cased term → all its synonyms (excluding itself).
#[derive(Debug, Default, Clone)]
pub struct SynonymMap {
    map: HashMap<String, BTreeSet<String>>,
    max_words: usize,
}

impl SynonymMap {
    /// Builds the map from symmetric groups (terms are trimmed and lower-cased; groups of one
    /// are ignored).
    pub fn from_groups<I, G, S>(groups: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::from_entries(groups.into_iter().map(|g| {
            let t: Vec<String> = g
                .into_iter()
                .map(|s| normalize_term(s.as_ref()))
                .filter(|s| !s.is_empty())
                .collect();
            Entry {
                from: t.clone(),
                to: t,
            }
        }))
    }

    /// Builds the map from lexicon entries: each `from` term finds the other `from` terms and
    /// every `to` term.
    pub fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut map: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut max_words = 1;
        for e in entries {
            if e.from.len() + e.to.len() < 2 || (e.from == e.to && e.from.len() < 2) {
                continue;
            }
            for t in &e.from {
                max_words = max_words.max(words_of(t));
                let entry = map.entry(t.clone()).or_default();
                for other in e.from.iter().chain(&e.to) {
                    if other != t {
                        entry.insert(other.clone());
                    }
                }
            }
        }
        SynonymMap { map, max_words }
    }

    /// The built-in lexicon plus `extra` (symmetric groups).
    pub fn with_extra(extra: &[Vec<String>]) -> Self {
        let mut entries = parse_lexicon(LEXICON);
        entries.extend(extra.iter().map(|g| {
            let t: Vec<String> = g
                .iter()
                .map(|s| normalize_term(s))
                .filter(|s| !s.is_empty())
                .collect();
            Entry {
                from: t.clone(),
                to: t,
            }
        }));
        Self::from_entries(entries)
    }

    /// Synonyms of `term` (lower-cased lookup), excluding the term itself.
    pub fn get(&self, term: &str) -> Option<&BTreeSet<String>> {
        self.map.get(&normalize_term(term))
    }

    /// True if `term` is a known term.
    pub fn contains(&self, term: &str) -> bool {
        self.map.contains_key(&normalize_term(term))
    }

    /// Largest number of words in a term (as the analyzer cuts it: 慢sql is two).
    pub fn max_words(&self) -> usize {
        self.max_words
    }
}

fn normalize_term(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_many_groups() {
        assert!(builtin_groups().len() >= 150, "{}", builtin_groups().len());
    }

    #[test]
    fn lookup_is_symmetric_and_case_insensitive() {
        let m = SynonymMap::with_extra(&[]);
        assert!(m.get("K8S").unwrap().contains("kubernetes"));
        assert!(m.get("kubernetes").unwrap().contains("k8s"));
        assert!(m.get("扩容").unwrap().contains("scale out"));
        assert!(m.get("scale  OUT").unwrap().contains("扩容"));
        assert!(m.max_words() >= 2);
    }

    #[test]
    fn extra_groups_merge() {
        let m = SynonymMap::with_extra(&[vec!["翰林".into(), "Hanlin".into()]]);
        assert!(m.get("hanlin").unwrap().contains("翰林"));
        assert!(m.get("k8s").is_some());
    }
}
