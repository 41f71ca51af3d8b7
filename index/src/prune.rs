//! Top-k by score over a sum of scored parts, with MaxScore pruning.
//!
//! A search's scoring query is a sum of SHOULD parts (one per concept, and the exact-title
//! bonus) under what every hit must match (phrases, filters, the permission scope). tantivy's
//! block-WAND drives only a flat union of term queries; over anything else it scores every
//! document that any part matches, which at 100,000 documents is every document holding a common
//! word. [`MaxScoreQuery`] knows an upper bound of each part's score. While the top k are
//! collected, the parts whose bounds together (with the required clauses' bound) cannot pass the
//! current k-th score are set aside: only documents of the other parts are visited, the set-aside
//! parts are looked up for those documents alone, and a candidate is dropped as soon as what it
//! could still gain cannot pass the threshold (MaxScore, Turtle and Flood 1995).
//!
//! Exact: every document that could enter the top k is scored in full, by the same scorers as
//! the plain query, and the part scores are summed in one fixed order whatever was set aside.
//! Outside top-k collection (counting, explaining, sorting by date) the plain query runs.

use std::sync::Arc;

use tantivy::query::{
    BooleanWeight, EnableScoring, Explanation, Occur, Query, Scorer, SumCombiner, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// A query equal to `whole`, whose top-k collection prunes with the parts' score bounds.
pub(crate) struct MaxScoreQuery {
    /// The same query as one tantivy query: a document matches when it matches at least one part
    /// and the required clauses, and scores the sum of what it matches. Run as it is when scores
    /// are not needed (the scoring weight rebuilds it from the parts' weights).
    pub whole: Box<dyn Query>,
    /// The SHOULD parts, each with an upper bound of its score (at least what it can score).
    pub parts: Vec<(Box<dyn Query>, Score)>,
    /// What every hit must match (scored), with an upper bound of its score.
    pub required: Option<(Box<dyn Query>, Score)>,
}

impl Clone for MaxScoreQuery {
    fn clone(&self) -> Self {
        MaxScoreQuery {
            whole: self.whole.box_clone(),
            parts: self
                .parts
                .iter()
                .map(|(q, b)| (q.box_clone(), *b))
                .collect(),
            required: self.required.as_ref().map(|(q, b)| (q.box_clone(), *b)),
        }
    }
}

impl std::fmt::Debug for MaxScoreQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxScoreQuery")
            .field("whole", &self.whole)
            .field(
                "bounds",
                &self.parts.iter().map(|p| p.1).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Query for MaxScoreQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        if !scoring.is_scoring_enabled() {
            return self.whole.weight(scoring);
        }
        // The plain scorer is built from the same weights (each term's statistics read once):
        // the union of the parts, under the required clauses.
        let parts = self
            .parts
            .iter()
            .map(|(q, b)| Ok((Shared(Arc::from(q.weight(scoring)?)), *b)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let required = match &self.required {
            Some((q, b)) => Some((Shared(Arc::from(q.weight(scoring)?)), *b)),
            None => None,
        };
        let union: Box<dyn Weight> = Box::new(BooleanWeight::with_minimum_number_should_match(
            parts
                .iter()
                .map(|(w, _)| (Occur::Should, Box::new(w.clone()) as Box<dyn Weight>))
                .collect(),
            0,
            true,
            Box::new(SumCombiner::default),
        ));
        let mut clauses = vec![(Occur::Must, union)];
        if let Some((w, _)) = &required {
            clauses.push((Occur::Must, Box::new(w.clone()) as Box<dyn Weight>));
        }
        let whole = Box::new(BooleanWeight::with_minimum_number_should_match(
            clauses,
            0,
            true,
            Box::new(SumCombiner::default),
        ));
        Ok(Box::new(MaxScoreWeight {
            whole,
            parts,
            required,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.whole.query_terms(visitor);
    }
}

/// A weight used in two places.
#[derive(Clone)]
struct Shared(Arc<dyn Weight>);

impl Weight for Shared {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.0.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

#[cfg(test)]
thread_local! {
    /// Candidates scored in full by [`MaxScoreWeight::for_each_pruning`] (tests).
    pub(crate) static SCORED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct MaxScoreWeight {
    whole: Box<dyn Weight>,
    parts: Vec<(Shared, Score)>,
    required: Option<(Shared, Score)>,
}

/// A bound that passes `threshold` by more than float rounding could explain: bounds are
/// summed in another order than the scores they bound.
fn may_pass(bound: Score, threshold: Score) -> bool {
    threshold == Score::MIN || bound > threshold - 1e-4 * threshold.abs().max(1.0)
}

impl Weight for MaxScoreWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.whole.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.whole.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.whole.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.whole.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.whole.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut required = match &self.required {
            Some((w, b)) => {
                let s = w.scorer(reader, 1.0)?;
                if s.doc() == TERMINATED {
                    return Ok(());
                }
                Some((s, *b))
            }
            None => None,
        };
        let required_bound = required.as_ref().map_or(0.0, |r| r.1);
        // Parts by ascending bound; `slot` is each one's place in the fixed summation order.
        let mut parts: Vec<Part> = Vec::with_capacity(self.parts.len());
        for (slot, (w, bound)) in self.parts.iter().enumerate() {
            let scorer = w.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                parts.push(Part {
                    scorer,
                    bound: *bound,
                    slot,
                });
            }
        }
        parts.sort_by(|a, b| a.bound.total_cmp(&b.bound));
        // below[i]: the sum of the bounds of parts[..i].
        let mut below = Vec::with_capacity(parts.len() + 1);
        below.push(0.0f32);
        for p in &parts {
            below.push(below.last().copied().unwrap_or(0.0) + p.bound);
        }
        // Each part's score at the candidate (0 where it does not match), by slot.
        let mut scores = vec![0.0f32; self.parts.len()];
        let mut threshold = threshold;
        // parts[..lead] cannot, with the required clauses, pass the threshold on their own: a
        // candidate must come from parts[lead..].
        let mut lead = 0;
        let n = parts.len();
        let set_lead = |lead: &mut usize, threshold: Score| {
            while *lead < n && !may_pass(below[*lead + 1] + required_bound, threshold) {
                *lead += 1;
            }
        };
        set_lead(&mut lead, threshold);
        loop {
            if lead >= n {
                return Ok(());
            }
            let doc = parts[lead..]
                .iter()
                .map(|p| p.scorer.doc())
                .min()
                .unwrap_or(TERMINATED);
            if doc == TERMINATED {
                return Ok(());
            }
            let mut required_score = 0.0;
            if let Some((r, _)) = &mut required {
                let at = if r.doc() < doc { r.seek(doc) } else { r.doc() };
                if at == TERMINATED {
                    return Ok(());
                }
                if at != doc {
                    // Nothing before `at` can match: move the leading parts there.
                    for p in &mut parts[lead..] {
                        if p.scorer.doc() < at {
                            p.scorer.seek(at);
                        }
                    }
                    continue;
                }
                required_score = r.score();
            }
            // The leading parts' scores at `doc`, then the others while they could still matter.
            scores.iter_mut().for_each(|s| *s = 0.0);
            let mut sum = required_score;
            for p in &mut parts[lead..] {
                if p.scorer.doc() == doc {
                    let s = p.scorer.score();
                    scores[p.slot] = s;
                    sum += s;
                }
            }
            let mut complete = true;
            for i in (0..lead).rev() {
                if !may_pass(sum + below[i + 1], threshold) {
                    complete = false;
                    break;
                }
                let p = &mut parts[i];
                let at = if p.scorer.doc() < doc {
                    p.scorer.seek(doc)
                } else {
                    p.scorer.doc()
                };
                if at == doc {
                    let s = p.scorer.score();
                    scores[p.slot] = s;
                    sum += s;
                }
            }
            if complete {
                #[cfg(test)]
                SCORED.with(|c| c.set(c.get() + 1));
                let total = scores.iter().fold(required_score, |t, s| t + s);
                if total > threshold {
                    threshold = callback(doc, total);
                    set_lead(&mut lead, threshold);
                }
            }
            for p in &mut parts[lead..] {
                if p.scorer.doc() == doc {
                    p.scorer.advance();
                }
            }
        }
    }
}

struct Part {
    scorer: Box<dyn Scorer>,
    bound: Score,
    slot: usize,
}
