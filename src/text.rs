//! Chinese word segmentation for the server (word-level diffs), on the search index's dictionary:
//! one copy in memory, loaded once.

/// Splits a line into words; their concatenation is the line. Chinese is segmented by jieba,
/// other text by jieba's own rules (runs of letters or digits, spaces and punctuation apart).
pub fn words(line: &str) -> Vec<String> {
    hanlin_index::tokenizer::jieba()
        .cut(line, true)
        .into_iter()
        .map(|t| t.word.to_owned())
        .collect()
}

/// Warms the segmenter (loads the dictionary) so the first diff is not slow.
pub fn warm_up() {
    let _ = hanlin_index::tokenizer::jieba();
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_concatenate_back() {
        let line = "TiDB 集群扩容很简单，k8s 也行。";
        let w = super::words(line);
        assert_eq!(w.concat(), line);
        assert!(w.iter().any(|x| x == "扩容"), "{w:?}");
    }
}
