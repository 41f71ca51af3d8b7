//! Diffs shown to people: line hunks, with changes inside a changed line marked word by word.
//! Chinese is split into words by a segmenter passed in (jieba in the server), so a changed
//! phrase is marked as words, not as a whole paragraph or as single characters.

use serde::Serialize;
use similar::{Algorithm, ChangeTag, DiffOp, TextDiff};

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Time budget for the line diff; past it the result is coarser but still correct.
const DEADLINE: std::time::Duration = std::time::Duration::from_millis(500);
/// Time budget for all word marking of one diff together; past it, the remaining changed lines are
/// shown whole (line level).
const WORD_DEADLINE: std::time::Duration = std::time::Duration::from_millis(300);
/// Most changed text marked word by word in one diff (both sides, bytes); past it, the remaining
/// changed lines are shown whole. Segmenting and diffing words costs far more than lines.
pub const MAX_WORD_DIFF_BYTES: usize = 256 * 1024;
/// Longest line marked word by word (bytes, each side); longer changed lines are shown whole.
pub const MAX_WORD_LINE_BYTES: usize = 4 * 1024;

/// Kind of a line or word in a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Unchanged.
    Equal,
    /// Only in the old text.
    Delete,
    /// Only in the new text.
    Insert,
}

/// A word inside a changed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Word {
    /// What happened to it.
    pub op: Kind,
    /// The word.
    pub text: String,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Line {
    /// What happened to it.
    pub op: Kind,
    /// The line without its terminator.
    pub text: String,
    /// Word-level changes, for a line that replaced (or was replaced by) a similar one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<Word>>,
}

/// A run of changed lines with context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Hunk {
    /// First old line (1-based).
    pub old_start: usize,
    /// Old lines covered.
    pub old_lines: usize,
    /// First new line (1-based).
    pub new_start: usize,
    /// New lines covered.
    pub new_lines: usize,
    /// The lines.
    pub lines: Vec<Line>,
}

/// A diff between two texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TextChanges {
    /// Classic unified diff text.
    pub unified: String,
    /// Structured hunks.
    pub hunks: Vec<Hunk>,
    /// Lines inserted.
    pub insertions: usize,
    /// Lines deleted.
    pub deletions: usize,
    /// True when some changed line pairs carry no word marks because the diff went past the
    /// word-marking limits ([`MAX_WORD_DIFF_BYTES`], [`MAX_WORD_LINE_BYTES`], a time budget); the
    /// line-level hunks are complete either way.
    pub words_omitted: bool,
}

fn strip_eol(s: &str) -> String {
    s.strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(s)
        .to_owned()
}

/// Diffs two texts. `words` splits a line into words (their concatenation must be the line).
/// Bounded: the line diff has a deadline, and word marking stops at the limits above.
pub fn diff(
    old: &str,
    new: &str,
    old_label: &str,
    new_label: &str,
    words: &dyn Fn(&str) -> Vec<String>,
) -> TextChanges {
    let text_diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_lines(old, new);
    let unified = text_diff
        .unified_diff()
        .context_radius(CONTEXT)
        .header(old_label, new_label)
        .to_string();
    let old_lines: Vec<&str> = super::versions::lines(old);
    let new_lines: Vec<&str> = super::versions::lines(new);
    let mut hunks = Vec::new();
    let (mut insertions, mut deletions) = (0, 0);
    let word_deadline = std::time::Instant::now() + WORD_DEADLINE;
    let mut word_budget = MAX_WORD_DIFF_BYTES;
    let mut words_omitted = false;
    for group in text_diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_range = first.old_range().start..last.old_range().end;
        let new_range = first.new_range().start..last.new_range().end;
        let mut lines = Vec::new();
        for op in &group {
            match *op {
                DiffOp::Equal { old_index, len, .. } => {
                    for l in &old_lines[old_index..old_index + len] {
                        lines.push(Line {
                            op: Kind::Equal,
                            text: strip_eol(l),
                            words: None,
                        });
                    }
                }
                DiffOp::Delete {
                    old_index, old_len, ..
                } => {
                    deletions += old_len;
                    for l in &old_lines[old_index..old_index + old_len] {
                        lines.push(Line {
                            op: Kind::Delete,
                            text: strip_eol(l),
                            words: None,
                        });
                    }
                }
                DiffOp::Insert {
                    new_index, new_len, ..
                } => {
                    insertions += new_len;
                    for l in &new_lines[new_index..new_index + new_len] {
                        lines.push(Line {
                            op: Kind::Insert,
                            text: strip_eol(l),
                            words: None,
                        });
                    }
                }
                DiffOp::Replace {
                    old_index,
                    old_len,
                    new_index,
                    new_len,
                } => {
                    deletions += old_len;
                    insertions += new_len;
                    let olds = &old_lines[old_index..old_index + old_len];
                    let news = &new_lines[new_index..new_index + new_len];
                    let paired = old_len.min(new_len);
                    let mut del_lines = Vec::new();
                    let mut ins_lines = Vec::new();
                    for i in 0..paired {
                        let (o, n) = (strip_eol(olds[i]), strip_eol(news[i]));
                        let cost = o.len() + n.len();
                        let marked = if cost <= word_budget
                            && o.len().max(n.len()) <= MAX_WORD_LINE_BYTES
                            && std::time::Instant::now() < word_deadline
                        {
                            word_budget -= cost;
                            Some(word_changes(&o, &n, words, word_deadline))
                        } else {
                            words_omitted = true;
                            None
                        };
                        let (ow, nw) = marked.unzip();
                        del_lines.push(Line {
                            op: Kind::Delete,
                            text: o,
                            words: ow,
                        });
                        ins_lines.push(Line {
                            op: Kind::Insert,
                            text: n,
                            words: nw,
                        });
                    }
                    for o in &olds[paired..] {
                        del_lines.push(Line {
                            op: Kind::Delete,
                            text: strip_eol(o),
                            words: None,
                        });
                    }
                    for n in &news[paired..] {
                        ins_lines.push(Line {
                            op: Kind::Insert,
                            text: strip_eol(n),
                            words: None,
                        });
                    }
                    lines.extend(del_lines);
                    lines.extend(ins_lines);
                }
            }
        }
        hunks.push(Hunk {
            old_start: old_range.start + 1,
            old_lines: old_range.len(),
            new_start: new_range.start + 1,
            new_lines: new_range.len(),
            lines,
        });
    }
    TextChanges {
        unified,
        hunks,
        insertions,
        deletions,
        words_omitted,
    }
}

/// Word-level changes between two lines: (the old line's words, the new line's words).
fn word_changes(
    old: &str,
    new: &str,
    words: &dyn Fn(&str) -> Vec<String>,
    deadline: std::time::Instant,
) -> (Vec<Word>, Vec<Word>) {
    let ow = words(old);
    let nw = words(new);
    let ow_ref: Vec<&str> = ow.iter().map(String::as_str).collect();
    let nw_ref: Vec<&str> = nw.iter().map(String::as_str).collect();
    let d = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(deadline)
        .diff_slices(&ow_ref, &nw_ref);
    let mut old_out: Vec<Word> = Vec::new();
    let mut new_out: Vec<Word> = Vec::new();
    fn push(out: &mut Vec<Word>, op: Kind, text: &str) {
        match out.last_mut() {
            Some(w) if w.op == op => w.text.push_str(text),
            _ => out.push(Word {
                op,
                text: text.to_owned(),
            }),
        }
    }
    for change in d.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut old_out, Kind::Equal, text);
                push(&mut new_out, Kind::Equal, text);
            }
            ChangeTag::Delete => push(&mut old_out, Kind::Delete, text),
            ChangeTag::Insert => push(&mut new_out, Kind::Insert, text),
        }
    }
    (old_out, new_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in segmenter: splits on spaces, and keeps CJK runs of two characters together.
    fn simple_words(s: &str) -> Vec<String> {
        let mut out = Vec::new();
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii() {
                out.push(chars[i].to_string());
                i += 1;
            } else {
                let end = (i + 2).min(chars.len());
                out.push(chars[i..end].iter().collect());
                i = end;
            }
        }
        out
    }

    #[test]
    fn identical_texts_have_no_hunks() {
        let d = diff("a\nb\n", "a\nb\n", "v1", "v2", &simple_words);
        assert!(d.hunks.is_empty());
        assert_eq!((d.insertions, d.deletions), (0, 0));
    }

    #[test]
    fn changed_line_is_marked_word_by_word() {
        let d = diff(
            "标题\n部署集群很简单\n结尾\n",
            "标题\n扩容集群很简单\n结尾\n",
            "v1",
            "v2",
            &simple_words,
        );
        assert_eq!(d.hunks.len(), 1);
        let lines = &d.hunks[0].lines;
        let del = lines.iter().find(|l| l.op == Kind::Delete).unwrap();
        let ins = lines.iter().find(|l| l.op == Kind::Insert).unwrap();
        assert_eq!(del.text, "部署集群很简单");
        let ins_words = ins.words.as_ref().unwrap();
        assert_eq!(
            ins_words,
            &vec![
                Word {
                    op: Kind::Insert,
                    text: "扩容".into()
                },
                Word {
                    op: Kind::Equal,
                    text: "集群很简单".into()
                }
            ]
        );
        assert!(d.unified.contains("-部署集群很简单"));
        assert!(d.unified.contains("+扩容集群很简单"));
        assert_eq!((d.insertions, d.deletions), (1, 1));
    }

    #[test]
    fn large_diffs_fall_back_to_line_level_quickly() {
        // Every line changed, 2 MB a side: far past the word-marking budget.
        let mut old = String::new();
        let mut new = String::new();
        let mut i = 0;
        while old.len() < 2 * 1024 * 1024 {
            old.push_str(&format!("第{i}行 部署集群很简单 old words here\n"));
            new.push_str(&format!("第{i}行 扩容集群很简单 new words here\n"));
            i += 1;
        }
        let t = std::time::Instant::now();
        let d = diff(&old, &new, "v1", "v2", &simple_words);
        eprintln!("2 MB, every line changed: {:?}", t.elapsed());
        assert!(d.words_omitted);
        assert_eq!((d.insertions, d.deletions), (i, i));
        let lines: Vec<&Line> = d.hunks.iter().flat_map(|h| &h.lines).collect();
        assert_eq!(lines.len(), 2 * i, "every line is still shown");
        let marked = lines.iter().filter(|l| l.words.is_some()).count();
        assert!(marked > 0 && marked < lines.len(), "{marked}");
        assert!(
            lines
                .iter()
                .filter_map(|l| l.words.as_ref())
                .map(|w| w.iter().map(|w| w.text.len()).sum::<usize>())
                .sum::<usize>()
                <= MAX_WORD_DIFF_BYTES
        );
        // A long changed line is shown whole; a short one beside it is still marked.
        let long_old = format!("a\n{}\nkeep\nx y\n", "词 ".repeat(3000));
        let long_new = format!("a\n{}\nkeep\nx z\n", "字 ".repeat(3000));
        let d = diff(&long_old, &long_new, "v1", "v2", &simple_words);
        assert!(d.words_omitted);
        let words: Vec<bool> = d.hunks[0]
            .lines
            .iter()
            .filter(|l| l.op != Kind::Equal)
            .map(|l| l.words.is_some())
            .collect();
        assert_eq!(words, vec![false, false, true, true]);
        // A small diff is marked whole.
        assert!(!diff("a\nb\n", "a\nc\n", "v1", "v2", &simple_words).words_omitted);
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let d = diff("a\r\nb", "a\r\nc", "v1", "v2", &simple_words);
        let texts: Vec<_> = d.hunks[0].lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["a", "b", "c"]);
    }
}
