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

/// Characters that change how text around them is shown without being seen themselves: bidi
/// embeddings, overrides and isolates, direction marks, zero-width spaces and joiners, the BOM.
/// A name containing one can imitate another (`\u{202E}` turns "nimda" into "admin").
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

/// The form two names are compared in to tell whether one imitates the other: without white space
/// and invisible characters, full-width ASCII folded to ASCII, lower case.
pub fn name_skeleton(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !is_invisible_format(*c) && *c != '\u{3000}')
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn invisible_and_lookalike_names() {
        assert!(super::is_invisible_format('\u{202E}'));
        assert!(super::is_invisible_format('\u{200B}'));
        assert!(!super::is_invisible_format('张'));
        assert_eq!(super::name_skeleton("张 伟\u{200B}"), "张伟");
        assert_eq!(super::name_skeleton("ＡＤＭＩＮ"), "admin");
    }

    #[test]
    fn words_concatenate_back() {
        let line = "TiDB 集群扩容很简单，k8s 也行。";
        let w = super::words(line);
        assert_eq!(w.concat(), line);
        assert!(w.iter().any(|x| x == "扩容"), "{w:?}");
    }
}
