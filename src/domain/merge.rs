//! Three-way merge of a document body: the version both editors started from (base), the one
//! saved since (theirs) and the one being saved (mine).
//!
//! Each side's changes against the base are line ranges of the base replaced by new lines. Changes
//! of the two sides that touch different lines are both applied. Changes that overlap, or an
//! insertion at the edge of (or inside) the other side's change, are a conflict unless both sides
//! made exactly the same change: nothing is ever merged by guessing an order. Lines keep their own
//! terminators, so a text without a final newline stays without one.

use serde::Serialize;
use similar::{Algorithm, DiffOp, TextDiff};

/// Time budget for each of the two line diffs; past it the diff is coarser (larger changes, so
/// more conflicts), never wrong.
const DEADLINE: std::time::Duration = std::time::Duration::from_millis(500);

/// Which side a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Theirs,
    Mine,
}

/// Base lines `start..end` replaced by `lines` (an insertion when `start == end`).
#[derive(Debug, Clone)]
struct Change<'a> {
    side: Side,
    start: usize,
    end: usize,
    lines: Vec<&'a str>,
}

/// A part of the merged text, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Part {
    /// Text both sides agree on (unchanged, or changed by one side only, or identically).
    Clean {
        /// The text, line terminators included.
        text: String,
    },
    /// Lines both sides changed differently: the reader must choose.
    Conflict {
        /// First base line concerned (1-based; for an insertion, the line it goes before).
        base_start: usize,
        /// The base's text of those lines.
        base: String,
        /// What the version saved since has there.
        theirs: String,
        /// What the version being saved has there.
        mine: String,
    },
}

/// The outcome of a merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// Every change applied: the merged text.
    Clean(String),
    /// Some changes overlap: the merged text as parts, conflicts among them (at least one).
    Conflicts(Vec<Part>),
}

impl Merged {
    /// The conflicting parts (none for a clean merge).
    pub fn conflicts(&self) -> usize {
        match self {
            Merged::Clean(_) => 0,
            Merged::Conflicts(parts) => parts
                .iter()
                .filter(|p| matches!(p, Part::Conflict { .. }))
                .count(),
        }
    }
}

/// Merges the two sides' changes against `base`.
pub fn merge3(base: &str, theirs: &str, mine: &str) -> Merged {
    if theirs == mine {
        return Merged::Clean(mine.to_owned());
    }
    if base == theirs {
        return Merged::Clean(mine.to_owned());
    }
    if base == mine {
        return Merged::Clean(theirs.to_owned());
    }
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let mut changes = changes_of(base, theirs, Side::Theirs);
    changes.extend(changes_of(base, mine, Side::Mine));
    // Insertions before replacements at the same place, so a cluster starts at its leftmost edge.
    changes.sort_by_key(|c| (c.start, c.end));

    let mut parts: Vec<Part> = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while i < changes.len() {
        // A cluster: changes that interact with the span gathered so far.
        let (mut start, mut end) = (changes[i].start, changes[i].end);
        let mut j = i + 1;
        while j < changes.len() && interacts(&changes[j], start, end) {
            start = start.min(changes[j].start);
            end = end.max(changes[j].end);
            j += 1;
        }
        let cluster = &changes[i..j];
        push_clean(&mut parts, &base_lines[pos..start].concat());
        let one_side = cluster.iter().all(|c| c.side == cluster[0].side);
        let theirs_text = apply_side(&base_lines, start, end, cluster, Side::Theirs);
        let mine_text = apply_side(&base_lines, start, end, cluster, Side::Mine);
        if one_side {
            let text = if cluster[0].side == Side::Theirs {
                theirs_text
            } else {
                mine_text
            };
            push_clean(&mut parts, &text);
        } else if theirs_text == mine_text {
            push_clean(&mut parts, &theirs_text);
        } else {
            parts.push(Part::Conflict {
                base_start: start + 1,
                base: base_lines[start..end].concat(),
                theirs: theirs_text,
                mine: mine_text,
            });
        }
        pos = end;
        i = j;
    }
    push_clean(&mut parts, &base_lines[pos..].concat());
    if parts.iter().any(|p| matches!(p, Part::Conflict { .. })) {
        Merged::Conflicts(parts)
    } else {
        Merged::Clean(
            parts
                .into_iter()
                .map(|p| match p {
                    Part::Clean { text } => text,
                    Part::Conflict { .. } => unreachable!("no conflicts"),
                })
                .collect(),
        )
    }
}

/// Whether a change touches the span `start..end` (of other changes): overlapping lines, or an
/// insertion at either edge of the span or inside it, or the span being an insertion at the
/// change's edge.
fn interacts(c: &Change<'_>, start: usize, end: usize) -> bool {
    let overlap = c.start < end && start < c.end;
    let c_inserts_at_span = c.start == c.end && start <= c.start && c.start <= end;
    let span_inserts_at_c = start == end && c.start <= start && start <= c.end;
    overlap || c_inserts_at_span || span_inserts_at_c
}

fn push_clean(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Part::Clean { text: last }) = parts.last_mut() {
        last.push_str(text);
    } else {
        parts.push(Part::Clean {
            text: text.to_owned(),
        });
    }
}

/// The base lines `start..end` with one side's changes of the cluster applied.
fn apply_side(
    base: &[&str],
    start: usize,
    end: usize,
    cluster: &[Change<'_>],
    side: Side,
) -> String {
    let mut out = String::new();
    let mut pos = start;
    for c in cluster.iter().filter(|c| c.side == side) {
        out.push_str(&base[pos..c.start].concat());
        out.push_str(&c.lines.concat());
        pos = c.end;
    }
    out.push_str(&base[pos..end].concat());
    out
}

/// One side's changes against the base, as replaced base line ranges.
fn changes_of<'a>(base: &'a str, other: &'a str, side: Side) -> Vec<Change<'a>> {
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_lines(base, other);
    let new_lines: Vec<&'a str> = other.split_inclusive('\n').collect();
    let mut out: Vec<Change<'a>> = Vec::new();
    for op in diff.ops() {
        let (start, end, lines) = match *op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index, old_index + old_len, Vec::new()),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (
                old_index,
                old_index,
                new_lines[new_index..new_index + new_len].to_vec(),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index,
                old_index + old_len,
                new_lines[new_index..new_index + new_len].to_vec(),
            ),
        };
        // A delete followed by an insert at its end is one replacement.
        if let Some(last) = out.last_mut()
            && last.end == start
        {
            last.end = end;
            last.lines.extend(lines);
            continue;
        }
        out.push(Change {
            side,
            start,
            end,
            lines,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn edits_to_different_paragraphs_both_stay() {
        let base = text(&["# 标题", "", "第一段。", "", "第二段。", "", "第三段。"]);
        let theirs = text(&[
            "# 标题",
            "",
            "第一段，张伟改过。",
            "",
            "第二段。",
            "",
            "第三段。",
        ]);
        let mine = text(&[
            "# 标题",
            "",
            "第一段。",
            "",
            "第二段。",
            "",
            "第三段，李娜改过。",
        ]);
        assert_eq!(
            merge3(&base, &theirs, &mine),
            Merged::Clean(text(&[
                "# 标题",
                "",
                "第一段，张伟改过。",
                "",
                "第二段。",
                "",
                "第三段，李娜改过。"
            ]))
        );
    }

    #[test]
    fn the_same_line_changed_differently_is_a_conflict_with_both_sides() {
        let base = text(&["a", "b", "c"]);
        let theirs = text(&["a", "B1", "c"]);
        let mine = text(&["a", "B2", "c"]);
        let m = merge3(&base, &theirs, &mine);
        assert_eq!(
            m,
            Merged::Conflicts(vec![
                Part::Clean { text: "a\n".into() },
                Part::Conflict {
                    base_start: 2,
                    base: "b\n".into(),
                    theirs: "B1\n".into(),
                    mine: "B2\n".into(),
                },
                Part::Clean { text: "c\n".into() },
            ])
        );
        assert_eq!(m.conflicts(), 1);
    }

    #[test]
    fn the_same_change_on_both_sides_is_taken_once() {
        let base = text(&["a", "b", "c", "d"]);
        let theirs = text(&["a", "X", "c", "d"]);
        let mine = text(&["a", "X", "c", "D"]);
        assert_eq!(
            merge3(&base, &theirs, &mine),
            Merged::Clean(text(&["a", "X", "c", "D"]))
        );
    }

    #[test]
    fn insertions_at_the_same_place_conflict() {
        let base = text(&["a", "b"]);
        let theirs = text(&["a", "T", "b"]);
        let mine = text(&["a", "M", "b"]);
        assert_eq!(merge3(&base, &theirs, &mine).conflicts(), 1);
    }

    #[test]
    fn an_insertion_next_to_the_others_change_conflicts() {
        let base = text(&["a", "b", "c"]);
        let theirs = text(&["a", "B", "c"]);
        let mine = text(&["a", "new", "b", "c"]);
        assert_eq!(merge3(&base, &theirs, &mine).conflicts(), 1);
    }

    #[test]
    fn a_deletion_and_an_edit_elsewhere_merge_and_the_missing_final_newline_stays_missing() {
        let base = "a\nb\nc\nd";
        let theirs = "a\nc\nd";
        let mine = "a\nb\nc\nD";
        assert_eq!(merge3(base, theirs, mine), Merged::Clean("a\nc\nD".into()));
    }

    #[test]
    fn deleting_what_the_other_edited_is_a_conflict() {
        let base = text(&["a", "b", "c"]);
        let theirs = text(&["a", "c"]);
        let mine = text(&["a", "b!", "c"]);
        assert_eq!(merge3(&base, &theirs, &mine).conflicts(), 1);
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        /// An edit: base lines `start..start+len` replaced by `new` fresh lines of one side.
        #[derive(Debug, Clone)]
        struct Edit {
            start: usize,
            len: usize,
            new: usize,
        }

        fn apply(base: &[String], edits: &[(Edit, char)]) -> String {
            let mut sorted = edits.to_vec();
            sorted.sort_by_key(|(e, _)| e.start);
            let mut out = String::new();
            let mut pos = 0;
            for (n, (e, tag)) in sorted.iter().enumerate() {
                for l in &base[pos..e.start] {
                    out.push_str(l);
                }
                for k in 0..e.new {
                    out.push_str(&format!("{tag}{n}-{k} 新的一行\n"));
                }
                pos = e.start + e.len;
            }
            for l in &base[pos..] {
                out.push_str(l);
            }
            out
        }

        /// Cuts `n` base lines into edits with at least one untouched line between any two, and
        /// deals them alternately to the two sides.
        fn separated_edits() -> impl Strategy<Value = (usize, Vec<(Edit, char)>)> {
            (4usize..60).prop_flat_map(|n| {
                proptest::collection::vec((0usize..4, 0usize..3, 1usize..4, any::<bool>()), 1..8)
                    .prop_map(move |raw| {
                        let mut edits = Vec::new();
                        let mut pos = 0;
                        for (gap, len, new, mine) in raw {
                            let start = pos + gap;
                            // An insertion (len 0) needs a fresh line on each side of it.
                            if start + len >= n {
                                break;
                            }
                            let new = if len == 0 { new.max(1) } else { new - 1 };
                            edits.push((Edit { start, len, new }, if mine { 'M' } else { 'T' }));
                            pos = start + len + 1;
                        }
                        (n, edits)
                    })
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn separated_edits_always_merge_to_both(
                (n, edits) in separated_edits()
            ) {
                let base: Vec<String> = (0..n).map(|i| format!("第 {i} 行\n")).collect();
                let base_text: String = base.concat();
                let theirs: Vec<(Edit, char)> = edits.iter().filter(|(_, t)| *t == 'T').cloned().collect();
                let mine: Vec<(Edit, char)> = edits.iter().filter(|(_, t)| *t == 'M').cloned().collect();
                // Each side numbers its own new lines by position among all edits, so the
                // expected text uses the same labels.
                let label = |side: char| -> Vec<(Edit, char)> {
                    edits.iter().map(|(e, t)| if *t == side { (e.clone(), *t) } else { (Edit { start: e.start, len: 0, new: 0 }, *t) }).collect()
                };
                let theirs_text = apply(&base, &label('T'));
                let mine_text = apply(&base, &label('M'));
                let both = apply(&base, &edits);
                prop_assume!(!theirs.is_empty() || !mine.is_empty());
                prop_assert_eq!(merge3(&base_text, &theirs_text, &mine_text), Merged::Clean(both));
            }

            #[test]
            fn overlapping_different_edits_never_merge_silently(
                n in 3usize..40,
                a in 0usize..40, alen in 1usize..5,
                b_off in 0usize..5, blen in 1usize..5,
            ) {
                let a = a % n;
                let alen = alen.min(n - a);
                // b starts inside a's range, so the two overlap.
                let b = a + (b_off % alen);
                let blen = blen.min(n - b);
                let base: Vec<String> = (0..n).map(|i| format!("line {i}\n")).collect();
                let edit = |s: usize, l: usize, tag: &str| -> String {
                    let mut v = base.clone();
                    v.splice(s..s + l, [format!("{tag} changed\n")]);
                    v.concat()
                };
                let theirs = edit(a, alen, "theirs");
                let mine = edit(b, blen, "mine");
                let m = merge3(&base.concat(), &theirs, &mine);
                prop_assert!(m.conflicts() >= 1, "merged silently: {:?}", m);
            }
        }
    }
}
