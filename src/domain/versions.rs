//! Versions stored as line deltas with periodic full snapshots (in the manner of Mercurial's revlog).
//!
//! Each saved version is either a [`Content::Full`] snapshot or a [`Content::Delta`] against the
//! version just before it. A delta is a list of [`Op`]s: copy a run of lines from the base, or insert
//! new text. A new snapshot is taken when the chain since the last one grows too long
//! ([`MAX_CHAIN_LEN`]) or its deltas add up to more than [`CHAIN_BYTES_FACTOR`] times the text, so
//! rebuilding any version reads a bounded amount of data.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Longest run of deltas between two snapshots.
pub const MAX_CHAIN_LEN: u32 = 50;
/// A snapshot is taken once the deltas since the last one exceed this multiple of the text size.
pub const CHAIN_BYTES_FACTOR: u64 = 2;
/// Time budget for computing one delta; past it `similar` returns a coarser (still exact) diff.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(200);

/// One step of a delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Copy `len` lines of the base starting at line `start`.
    Copy {
        /// First base line (0-based).
        start: u32,
        /// Number of lines.
        len: u32,
    },
    /// Insert this text (whole lines, terminators included, except perhaps at the very end).
    Insert(String),
}

/// How a version's body is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Content {
    /// The whole body.
    Full(String),
    /// Ops against the previous version's body.
    Delta(Vec<Op>),
}

impl Content {
    /// Bytes this content costs to store (approximately its encoded size).
    pub fn stored_len(&self) -> u64 {
        match self {
            Content::Full(s) => s.len() as u64,
            Content::Delta(ops) => ops
                .iter()
                .map(|op| match op {
                    Op::Copy { .. } => 4,
                    Op::Insert(s) => s.len() as u64 + 2,
                })
                .sum(),
        }
    }
}

/// Where a document's chain stands after its head version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    /// Deltas since the last snapshot (0 when the head is a snapshot).
    pub len: u32,
    /// Sum of the stored sizes of those deltas.
    pub bytes: u64,
}

/// Splits text into lines, each keeping its terminator (the last one may lack it).
pub fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Computes the delta turning `old` into `new`.
pub fn delta(old: &str, new: &str) -> Vec<Op> {
    let old_lines = lines(old);
    let new_lines = lines(new);
    let deadline = std::time::Instant::now() + DIFF_DEADLINE;
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    let mut out: Vec<Op> = Vec::new();
    for op in ops {
        match op {
            similar::DiffOp::Equal { old_index, len, .. } => out.push(Op::Copy {
                start: old_index as u32,
                len: len as u32,
            }),
            similar::DiffOp::Delete { .. } => {}
            similar::DiffOp::Insert {
                new_index, new_len, ..
            }
            | similar::DiffOp::Replace {
                new_index, new_len, ..
            } => {
                let text: String = new_lines[new_index..new_index + new_len].concat();
                match out.last_mut() {
                    Some(Op::Insert(prev)) => prev.push_str(&text),
                    _ => out.push(Op::Insert(text)),
                }
            }
        }
    }
    out
}

/// Error applying a delta: the stored data does not fit its base (corruption).
#[derive(Debug, thiserror::Error)]
#[error(
    "delta does not fit its base: copy of lines {start}..{end} from a base of {base_lines} lines"
)]
pub struct ApplyError {
    start: u32,
    end: u64,
    base_lines: usize,
}

/// Applies a delta to its base text.
pub fn apply(base: &str, ops: &[Op]) -> Result<String, ApplyError> {
    let base_lines = lines(base);
    let mut out = String::with_capacity(base.len() + 64);
    for op in ops {
        match op {
            Op::Copy { start, len } => {
                let end = *start as u64 + *len as u64;
                if end > base_lines.len() as u64 {
                    return Err(ApplyError {
                        start: *start,
                        end,
                        base_lines: base_lines.len(),
                    });
                }
                for line in &base_lines[*start as usize..end as usize] {
                    out.push_str(line);
                }
            }
            Op::Insert(text) => out.push_str(text),
        }
    }
    Ok(out)
}

/// Decides how to store a new version whose predecessor is `old` (None for the first version),
/// returning the content and the chain state after it.
pub fn encode(old: Option<&str>, new: &str, chain: ChainState) -> (Content, ChainState) {
    let Some(old) = old else {
        return (Content::Full(new.to_owned()), ChainState::default());
    };
    let ops = delta(old, new);
    let content = Content::Delta(ops);
    let size = content.stored_len();
    let next = ChainState {
        len: chain.len + 1,
        bytes: chain.bytes + size,
    };
    // A delta larger than the text itself is pointless, and a long or heavy chain slows reads.
    let too_long = next.len > MAX_CHAIN_LEN;
    let too_heavy = next.bytes > CHAIN_BYTES_FACTOR * (new.len() as u64).max(1024);
    if size >= new.len() as u64 || too_long || too_heavy {
        (Content::Full(new.to_owned()), ChainState::default())
    } else {
        (content, next)
    }
}

/// The content hash of a version: SHA-256 over title, tags and body, hex encoded.
pub fn content_hash(title: &str, tags: &[String], body: &str) -> String {
    let mut h = Sha256::new();
    h.update(title.as_bytes());
    h.update([0u8]);
    for t in tags {
        h.update(t.as_bytes());
        h.update([0x1f]);
    }
    h.update([0u8]);
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_version_is_a_snapshot() {
        let (c, chain) = encode(None, "你好\n世界\n", ChainState::default());
        assert_eq!(c, Content::Full("你好\n世界\n".into()));
        assert_eq!(chain, ChainState::default());
    }

    #[test]
    fn small_edit_is_a_small_delta() {
        let old: String = (0..100)
            .map(|i| format!("第{i}段：知识库的内容。\n"))
            .collect();
        let new = old.replace("第50段", "第五十段");
        let (c, chain) = encode(Some(&old), &new, ChainState::default());
        let Content::Delta(ops) = &c else {
            panic!("expected a delta")
        };
        assert_eq!(apply(&old, ops).unwrap(), new);
        assert!(c.stored_len() < 100, "delta is {} bytes", c.stored_len());
        assert_eq!(chain.len, 1);
    }

    #[test]
    fn long_chain_takes_a_snapshot() {
        let text = "a\n".repeat(2000);
        let chain = ChainState {
            len: MAX_CHAIN_LEN,
            bytes: 10,
        };
        let (c, next) = encode(Some(&text), &format!("{text}b\n"), chain);
        assert!(matches!(c, Content::Full(_)));
        assert_eq!(next, ChainState::default());
    }

    #[test]
    fn corrupt_delta_is_an_error_not_a_panic() {
        let ops = vec![Op::Copy { start: 5, len: 10 }];
        assert!(apply("one line\n", &ops).is_err());
    }

    #[test]
    fn hash_separates_fields() {
        assert_ne!(
            content_hash("ab", &[], "c"),
            content_hash("a", &[], "bc"),
            "title/body boundary must matter"
        );
        assert_ne!(
            content_hash("t", &["a".into(), "b".into()], ""),
            content_hash("t", &["ab".into()], "")
        );
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("知识库".to_string()),
            Just("部署 TiDB 集群".to_string()),
            Just("hello world".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("😀🎉".to_string()),
            Just(String::new()),
            "[a-z ]{0,20}",
            "\\PC{0,30}",
            Just("长".repeat(3000)),
        ];
        proptest::collection::vec(piece, 0..30).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Any sequence of edits rebuilds every version exactly, through snapshots and deltas.
        #[test]
        fn every_version_rebuilds_exactly(texts in proptest::collection::vec(text_strategy(), 1..25)) {
            let mut stored: Vec<Content> = Vec::new();
            let mut chain = ChainState::default();
            let mut prev: Option<&str> = None;
            for t in &texts {
                let (c, next) = encode(prev, t, chain);
                stored.push(c);
                chain = next;
                prev = Some(t);
            }
            // Rebuild each version from its nearest snapshot, as the store does.
            for (i, expected) in texts.iter().enumerate() {
                let start = (0..=i).rev().find(|&j| matches!(stored[j], Content::Full(_))).unwrap();
                let Content::Full(mut text) = stored[start].clone() else { unreachable!() };
                for c in &stored[start + 1..=i] {
                    let Content::Delta(ops) = c else { unreachable!() };
                    text = apply(&text, ops).unwrap();
                }
                prop_assert_eq!(&text, expected);
            }
        }
    }
}
