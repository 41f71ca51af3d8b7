//! The tantivy schema and the document type the server indexes.

use chrono::{DateTime, Utc};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::tokenizer::TOKENIZER_NAME;

/// One document (or record) as the server hands it to the index.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndexDoc {
    /// Stable document id (unique key: upsert replaces by id).
    pub id: String,
    /// `"doc"` or `"record"`.
    pub kind: String,
    /// Space id.
    pub space_id: String,
    /// Space display name (matched by `space:`).
    pub space_name: String,
    /// Permission scope key: a category id, or `"space:<space_id>"` for docs without category.
    pub scope: String,
    /// Category id, if any.
    pub category_id: Option<String>,
    /// Category names from the root to the leaf.
    pub category_path: Vec<String>,
    /// Tags (original spelling; matched case-insensitively).
    pub tags: Vec<String>,
    /// Title.
    pub title: String,
    /// Plain text body (already extracted from Markdown / attachments by the server).
    pub body: String,
    /// Author username.
    pub author: String,
    /// Last update time (sort key for `Sort::Recent`, filtered by `before:`/`after:`).
    pub updated_at: DateTime<Utc>,
    /// Publication status (stored, indexed raw).
    pub status: String,
    /// The body's sections, in order (empty: the body is one section). Headings are matched as
    /// their own field; a hit names the section that matches best.
    #[serde(default)]
    pub sections: Vec<Section>,
}

/// A section of a document body: from its heading to the next heading.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    /// Heading text.
    pub heading: String,
    /// The heading's anchor on the rendered page (`id` attribute).
    pub anchor: String,
    /// Heading level, 1 to 6.
    pub level: u8,
    /// Byte offset in [`IndexDoc::body`] where the section (its heading line) starts.
    pub start: usize,
}

/// Field handles.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub id: Field,
    pub kind: Field,
    pub space_id: Field,
    pub space_name: Field,
    /// Lower-cased space id and name, for `space:`.
    pub space_key: Field,
    pub scope: Field,
    pub category_id: Field,
    /// Lower-cased category names of every level (and the id), for `category:`.
    pub category_key: Field,
    /// Stored path names, in order.
    pub category_path: Field,
    /// Lower-cased tags, for `#tag`.
    pub tag_key: Field,
    /// Original tags: stored, fast (facet counting).
    pub tags: Field,
    pub title: Field,
    /// Normalized whole title (lower-case letters and digits only), for the exact-title bonus.
    pub title_exact: Field,
    /// Quick-open keys of the title (raw; see `quick::title_keys`).
    pub title_keys: Field,
    pub body: Field,
    /// Section headings (indexed, not stored).
    pub headings: Field,
    /// The sections as JSON (stored only).
    pub sections: Field,
    pub author: Field,
    pub updated_at: Field,
    pub status: Field,
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = TextOptions::default()
        .set_indexing_options(text_indexing)
        .set_stored();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        space_id: b.add_text_field("space_id", STRING | STORED | FAST),
        space_name: b.add_text_field("space_name", STORED),
        space_key: b.add_text_field("space_key", STRING),
        scope: b.add_text_field("scope", STRING),
        category_id: b.add_text_field("category_id", STRING | STORED | FAST),
        category_key: b.add_text_field("category_key", STRING),
        category_path: b.add_text_field("category_path", STORED),
        tag_key: b.add_text_field("tag_key", STRING),
        tags: b.add_text_field("tags", STRING | STORED | FAST),
        title: b.add_text_field("title", text.clone()),
        title_exact: b.add_text_field("title_exact", STRING),
        title_keys: b.add_text_field("title_keys", STRING),
        body: b.add_text_field("body", text),
        headings: b.add_text_field(
            "headings",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER_NAME)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        ),
        sections: b.add_text_field("sections", STORED),
        author: b.add_text_field("author", STRING | STORED),
        // Microseconds, not tantivy's default seconds: documents saved within one second must
        // still sort by recency.
        updated_at: b.add_date_field(
            "updated_at",
            tantivy::schema::DateOptions::default()
                .set_indexed()
                .set_stored()
                .set_fast()
                .set_precision(tantivy::schema::DateTimePrecision::Microseconds),
        ),
        status: b.add_text_field("status", STRING | STORED),
    };
    (b.build(), fields)
}

/// Lower-cased letters and digits only: the key for exact-title matching.
pub(crate) fn exact_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}
