//! One concept's score in one pass over its postings.
//!
//! A concept scores BM25 over its alternatives and sub-words in title, headings and body, plus
//! constant bonuses for holding an alternative anywhere (or only a sub-word), and for holding one
//! in the title. Written as tantivy queries, the bonuses are separate presence queries over the
//! same terms and phrases, so every posting list is read two or three times and every phrase is
//! matched as often (a phrase such as `partition table` checks positions in every document that
//! holds both words). [`ConceptQuery`] reads each child once: a buffered union (like tantivy's)
//! that sums the children's scores per document and notes which kinds of child matched, so the
//! bonuses come from the same pass. Headings are part of the body text, so "an alternative in
//! title, headings or body" is "an alternative in title or body", as before.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// The child is one of the concept's alternatives (the word or a synonym).
pub(crate) const ALT: u8 = 1;
/// The child is a sub-word.
pub(crate) const SUB: u8 = 2;
/// The child is an alternative in the title.
pub(crate) const TITLE_ALT: u8 = 4;

/// Documents buffered per window of the union.
const HORIZON: u32 = 4096;
const WORDS: usize = (HORIZON / 64) as usize;

/// The bonuses of a concept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bonuses {
    /// When an alternative is in the title or body.
    pub cover: Score,
    /// When only a sub-word is.
    pub cover_sub: Score,
    /// When an alternative is in the title.
    pub title_cover: Score,
}

impl Bonuses {
    fn of(&self, flags: u8) -> Score {
        let cover = if flags & ALT != 0 {
            self.cover
        } else if flags & SUB != 0 {
            self.cover_sub
        } else {
            0.0
        };
        cover
            + if flags & TITLE_ALT != 0 {
                self.title_cover
            } else {
                0.0
            }
    }
}

/// A concept: scored children (term or phrase queries, each with its boost and kind flags)
/// and the bonuses.
pub(crate) struct ConceptQuery {
    pub children: Vec<(Box<dyn Query>, Score, u8)>,
    pub bonuses: Bonuses,
}

impl Clone for ConceptQuery {
    fn clone(&self) -> Self {
        ConceptQuery {
            children: self
                .children
                .iter()
                .map(|(q, b, f)| (q.box_clone(), *b, *f))
                .collect(),
            bonuses: self.bonuses,
        }
    }
}

impl std::fmt::Debug for ConceptQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConceptQuery")
            .field("children", &self.children)
            .field("bonuses", &self.bonuses)
            .finish()
    }
}

impl Query for ConceptQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let children = self
            .children
            .iter()
            .map(|(q, b, f)| Ok((q.weight(scoring)?, *b, *f)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(ConceptWeight {
            children,
            bonuses: self.bonuses,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for (q, _, _) in &self.children {
            q.query_terms(visitor);
        }
    }
}

struct ConceptWeight {
    children: Vec<(Box<dyn Weight>, Score, u8)>,
    bonuses: Bonuses,
}

impl Weight for ConceptWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut children = Vec::with_capacity(self.children.len());
        for (w, b, flags) in &self.children {
            let scorer = w.scorer(reader, boost * b)?;
            if scorer.doc() != TERMINATED {
                children.push(Child {
                    scorer,
                    flags: *flags,
                });
            }
        }
        if children.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        let bonuses = Bonuses {
            cover: boost * self.bonuses.cover,
            cover_sub: boost * self.bonuses.cover_sub,
            title_cover: boost * self.bonuses.title_cover,
        };
        Ok(Box::new(ConceptScorer::new(children, bonuses)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("concept", scorer.score()))
    }
}

struct Child {
    scorer: Box<dyn Scorer>,
    flags: u8,
}

/// A buffered union of the children: per window of [`HORIZON`] documents, a bitset of the
/// documents some child holds and each one's summed score and kind flags.
struct ConceptScorer {
    children: Vec<Child>,
    bits: Box<[u64; WORDS]>,
    sums: Box<[Score; HORIZON as usize]>,
    flags: Box<[u8; HORIZON as usize]>,
    window_start: DocId,
    /// The bitset word the cursor is in.
    word: usize,
    doc: DocId,
    score: Score,
    bonuses: Bonuses,
}

impl ConceptScorer {
    fn new(children: Vec<Child>, bonuses: Bonuses) -> Self {
        let mut s = ConceptScorer {
            children,
            bits: Box::new([0; WORDS]),
            sums: Box::new([0.0; HORIZON as usize]),
            flags: Box::new([0; HORIZON as usize]),
            window_start: 0,
            word: WORDS,
            doc: 0,
            score: 0.0,
            bonuses,
        };
        s.advance();
        s
    }

    /// Buffers the next window, starting at the smallest child document. False when every child
    /// is exhausted.
    fn refill(&mut self) -> bool {
        let Some(start) = self.children.iter().map(|c| c.scorer.doc()).min() else {
            return false;
        };
        if start == TERMINATED {
            self.children.clear();
            return false;
        }
        self.window_start = start;
        self.word = 0;
        let end = start.saturating_add(HORIZON);
        for c in &mut self.children {
            let mut doc = c.scorer.doc();
            while doc < end {
                let d = (doc - start) as usize;
                self.bits[d / 64] |= 1 << (d % 64);
                self.sums[d] += c.scorer.score();
                self.flags[d] |= c.flags;
                doc = c.scorer.advance();
            }
        }
        self.children.retain(|c| c.scorer.doc() != TERMINATED);
        true
    }

    /// Drops the buffered documents of bitset word `w` that `mask` selects.
    fn drop_docs(&mut self, w: usize, mask: u64) {
        let mut bits = self.bits[w] & mask;
        self.bits[w] &= !mask;
        while bits != 0 {
            let d = w * 64 + bits.trailing_zeros() as usize;
            self.sums[d] = 0.0;
            self.flags[d] = 0;
            bits &= bits - 1;
        }
    }

    /// Empties the buffered window.
    fn clear_window(&mut self) {
        for w in self.word..WORDS {
            self.drop_docs(w, u64::MAX);
        }
        self.word = WORDS;
    }
}

impl DocSet for ConceptScorer {
    fn advance(&mut self) -> DocId {
        loop {
            while self.word < WORDS {
                let bits = self.bits[self.word];
                if bits != 0 {
                    let bit = bits.trailing_zeros() as usize;
                    self.bits[self.word] = bits & (bits - 1);
                    let d = self.word * 64 + bit;
                    self.doc = self.window_start + d as DocId;
                    self.score = self.sums[d] + self.bonuses.of(self.flags[d]);
                    self.sums[d] = 0.0;
                    self.flags[d] = 0;
                    return self.doc;
                }
                self.word += 1;
            }
            if !self.refill() {
                self.doc = TERMINATED;
                return TERMINATED;
            }
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        if self.word < WORDS && target < self.window_start.saturating_add(HORIZON) {
            // Within the window: drop what lies before the target, then take the next.
            let gap = (target - self.window_start) as usize;
            while self.word < gap / 64 {
                self.drop_docs(self.word, u64::MAX);
                self.word += 1;
            }
            self.drop_docs(gap / 64, (1u64 << (gap % 64)) - 1);
            return self.advance();
        }
        // Past the window: empty it and move every child to the target.
        self.clear_window();
        for c in &mut self.children {
            if c.scorer.doc() < target {
                c.scorer.seek(target);
            }
        }
        self.advance()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.children
            .iter()
            .map(|c| c.scorer.size_hint())
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for ConceptScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{
        BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery,
        TermQuery,
    };
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    /// The one-pass concept scores every document as the composition of tantivy queries it
    /// replaces (BM25 children, a dis-max of the cover bonuses, the title bonus), and seeks to
    /// the same documents.
    #[test]
    fn one_pass_matches_the_composed_queries() {
        let mut sb = Schema::builder();
        let title = sb.add_text_field("title", TEXT);
        let body = sb.add_text_field("body", TEXT);
        let index = Index::create_in_ram(sb.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        let words = ["alpha", "beta", "gamma", "delta", "table", "partition"];
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        // More documents than one window, so windows refill and seeks cross them.
        for _ in 0..9000 {
            let mut doc = TantivyDocument::default();
            let pick = |n: u64, next: &mut dyn FnMut(u64) -> u64| -> String {
                (0..n)
                    .map(|_| {
                        words[next(words.len() as u64 + 6) as usize
                            % (words.len() + 3)
                            % words.len()]
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let t = next(3);
            doc.add_text(title, pick(t, &mut next));
            let b = next(6);
            doc.add_text(body, pick(b, &mut next));
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |f, w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(f, w),
                IndexRecordOption::WithFreqsAndPositions,
            ))
        };
        let phrase = |f| -> Box<dyn Query> {
            Box::new(PhraseQuery::new(vec![
                Term::from_field_text(f, "partition"),
                Term::from_field_text(f, "table"),
            ]))
        };
        let bonuses = Bonuses {
            cover: 4.0,
            cover_sub: 1.2,
            title_cover: 2.5,
        };
        // alts: "alpha" and the phrase; sub-word: "gamma".
        let children: Vec<(Box<dyn Query>, Score, u8)> = vec![
            (term(title, "alpha"), 3.0, ALT | TITLE_ALT),
            (term(body, "alpha"), 1.0, ALT),
            (phrase(title), 2.1, ALT | TITLE_ALT),
            (phrase(body), 0.7, ALT),
            (term(title, "gamma"), 0.9, SUB),
            (term(body, "gamma"), 0.3, SUB),
        ];
        let bm25: Vec<(Occur, Box<dyn Query>)> = children
            .iter()
            .map(|(q, b, _)| {
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(q.box_clone(), *b)) as Box<dyn Query>,
                )
            })
            .collect();
        let presence = |idx: &[usize]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                idx.iter()
                    .map(|&i| (Occur::Should, children[i].0.box_clone()))
                    .collect(),
            ))
        };
        let composed = BooleanQuery::new(vec![
            (Occur::Should, Box::new(BooleanQuery::new(bm25))),
            (
                Occur::Should,
                Box::new(DisjunctionMaxQuery::new(vec![
                    Box::new(ConstScoreQuery::new(presence(&[0, 1, 2, 3]), 4.0)),
                    Box::new(ConstScoreQuery::new(presence(&[4, 5]), 1.2)),
                ])),
            ),
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(presence(&[0, 2]), 2.5)),
            ),
        ]);
        let one_pass = ConceptQuery { children, bonuses };
        let all = TopDocs::with_limit(10_000).order_by_score();
        let mut a = searcher.search(&one_pass, &all).unwrap();
        let mut b = searcher.search(&composed, &all).unwrap();
        assert!(b.len() > 4000, "{}", b.len());
        a.sort_by_key(|x| x.1);
        b.sort_by_key(|x| x.1);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.1, y.1);
            assert!((x.0 - y.0).abs() < 1e-4, "{x:?} vs {y:?}");
        }
        // Seeks, short and long, land where the composed scorer lands, with its score.
        let seg = searcher.segment_reader(0);
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let mut s1 = one_pass.weight(scoring).unwrap().scorer(seg, 1.0).unwrap();
        let mut s2 = composed.weight(scoring).unwrap().scorer(seg, 1.0).unwrap();
        let mut target = 0;
        while target < 9000 {
            target += 1 + next(700) as u32;
            let d1 = s1.seek(target);
            let d2 = s2.seek(target);
            assert_eq!(d1, d2, "seek {target}");
            if d1 == TERMINATED {
                break;
            }
            assert!((s1.score() - s2.score()).abs() < 1e-4, "doc {d1}");
            if next(2) == 0 {
                assert_eq!(s1.advance(), s2.advance());
                if s1.doc() != TERMINATED {
                    assert!((s1.score() - s2.score()).abs() < 1e-4);
                }
            }
        }
    }
}
