//! The indexer: drains the outbox into the search index. The store is the truth; the index can
//! always be rebuilt from it ([`reindex_all`]). An outbox left over from a crash is replayed at
//! start-up ([`drain`] before serving).

use std::{sync::Arc, time::Duration};

use hanlin_index::{IndexDoc, SearchIndex, Section};

use crate::{
    AppState,
    error::Result,
    markdown,
    model::{Doc, Space},
    plain_text::plain_text,
    service::access,
    service::documents as docs,
    service::documents::{published_view, user_names},
    store::Store,
};

/// Outbox entries handled per index commit.
const BATCH: usize = 2000;

/// What the index should hold for a document: its published version, or nothing (trashed, never
/// published, published at a version that lived in another category, gone).
pub fn index_doc(store: &Store, id: &str) -> Result<Option<IndexDoc>> {
    let doc = match docs::load(store, id) {
        Ok(d) => d,
        Err(crate::Error::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    if doc.deleted.is_some() {
        return Ok(None);
    }
    let Some(p) = doc.published_version else {
        return Ok(None);
    };
    let doc = if p == doc.version {
        doc
    } else {
        let here = doc.category_id.clone();
        let view = published_view(store, doc, p)?;
        // The published version lived elsewhere (the document was moved into a category where
        // the move awaits review): readers must be able to read both places, which one scope
        // cannot say, so search holds nothing until the moved version is published.
        if view.category_id != here {
            return Ok(None);
        }
        view
    };
    Ok(Some(to_index_doc(store, &doc)?))
}

/// Converts a (published) document to what the index stores.
pub fn to_index_doc(store: &Store, doc: &Doc) -> Result<IndexDoc> {
    let space: Option<Space> = store.spaces.get(&doc.space_id)?;
    let chain = access::chain(store, doc.category_id.as_deref()).unwrap_or_default();
    let (author, _) = user_names(store, &doc.updated_by);
    // A record is searched as the Markdown rendered from its fields (its type's name first).
    let shown = crate::service::records::shown_body(doc);
    let mut body = plain_text(shown);
    let mut sections = sections(shown, &body);
    // Attachments' text is searched with the document too, a section per page (anchor
    // `attachment-<id>` or `attachment-<id>-p<N>`), so a hit there names the file and the page.
    for (a, t) in crate::service::attachments::searchable(store, &doc.id)? {
        let starts: Vec<usize> = std::iter::once(0).chain(t.pages.iter().copied()).collect();
        for (i, &from) in starts.iter().enumerate() {
            let to = starts.get(i + 1).copied().unwrap_or(t.text.len());
            let (Some(page), true) = (t.text.get(from..to.max(from)), to >= from) else {
                continue;
            };
            if page.trim().is_empty() {
                continue;
            }
            body.push_str("\n\n");
            let (heading, anchor) = if starts.len() > 1 {
                (
                    format!("附件 {} 第 {} 页", a.filename, i + 1),
                    format!("{}{}-p{}", hanlin_index::ATTACHMENT_ANCHOR, a.id, i + 1),
                )
            } else {
                (
                    format!("附件 {}", a.filename),
                    format!("{}{}", hanlin_index::ATTACHMENT_ANCHOR, a.id),
                )
            };
            sections.push(Section {
                heading: heading.clone(),
                anchor,
                level: 2,
                start: body.len(),
            });
            body.push_str(&heading);
            body.push('\n');
            body.push_str(page);
        }
    }
    // Comments are searched with the document, under its permissions, after its text (so the
    // sections, which point into the body, stay where they are).
    let comments = crate::service::collab::searchable_text(store, &doc.id)?;
    if !comments.is_empty() {
        body.push_str("\n\n");
        // Their own section, so that a hit found in them names it and opens the page there
        // (the document page's comments have the anchor `comments`).
        sections.push(Section {
            heading: "评论".into(),
            anchor: "comments".into(),
            level: 2,
            start: body.len(),
        });
        body.push_str("评论\n");
        body.push_str(&comments);
    }
    Ok(IndexDoc {
        id: doc.id.clone(),
        kind: doc.kind.as_str().to_owned(),
        space_id: doc.space_id.clone(),
        space_name: space.map(|s| s.name).unwrap_or_default(),
        scope: access::scope_of(doc),
        category_id: doc.category_id.clone(),
        category_path: chain.into_iter().map(|c| c.name).collect(),
        tags: doc.tags.clone(),
        title: doc.title.clone(),
        sections,
        body,
        author,
        updated_at: doc.updated_at,
        status: "published".into(),
    })
}

/// The sections of a Markdown body: each heading of the page's table of contents (the same
/// anchors as the rendered page), located in the indexed plain text `text` in order. A heading
/// whose text cannot be found there is left out (its section joins the previous one).
pub fn sections(markdown: &str, text: &str) -> Vec<Section> {
    let mut out = Vec::new();
    let mut pos = 0;
    for entry in markdown::toc(markdown) {
        let heading = entry.text.trim();
        if heading.is_empty() {
            continue;
        }
        // The first occurrence at a line start, else the first occurrence.
        let rest = &text[pos..];
        let mut found = None;
        for (i, _) in rest.match_indices(heading) {
            if found.is_none() {
                found = Some(i);
            }
            let at_line_start = if i == 0 {
                pos == 0 || text[..pos].ends_with('\n')
            } else {
                rest[..i].ends_with('\n')
            };
            if at_line_start {
                found = Some(i);
                break;
            }
        }
        let Some(i) = found else { continue };
        out.push(Section {
            heading: heading.to_owned(),
            anchor: entry.anchor,
            level: entry.level,
            start: pos + i,
        });
        pos += i + heading.len();
    }
    out
}

/// Indexes everything in the outbox, commits, then removes the handled entries. Returns how many
/// entries were handled.
pub fn drain(store: &Store, index: &SearchIndex) -> Result<usize> {
    let mut total = 0;
    loop {
        let mut keys = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        for (seq, id) in store.outbox.oldest(BATCH)? {
            keys.push(seq);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if keys.is_empty() {
            return Ok(total);
        }
        let mut upserts = Vec::new();
        for id in &ids {
            // 我的待办 follows the same changes (a save refreshed it already; this catches
            // approvals, trash, imports, and whatever a crash interrupted).
            if let Err(e) = crate::service::actions::refresh(store, id) {
                tracing::warn!(doc = %id, error = %e, "could not refresh action items");
            }
            match index_doc(store, id)? {
                Some(d) => upserts.push(d),
                None => index.delete(id)?,
            }
        }
        if !upserts.is_empty() {
            index.upsert(upserts)?;
        }
        index.commit()?;
        store.transact(|tx| {
            for &seq in &keys {
                tx.outbox.remove(seq)?;
            }
            Ok(())
        })?;
        total += keys.len();
    }
}

/// Rebuilds the whole index from the store. `progress` gets (done, total).
pub fn reindex_all(
    store: &Store,
    index: &SearchIndex,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64> {
    let total = store.docs.len() as u64;
    // What the rebuild covers: entries queued before it starts (later ones stay for the drain).
    let queued: Vec<u64> = store
        .outbox
        .oldest(usize::MAX)?
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    index.delete_all()?;
    let done = match index_every_doc(store, index, total, &mut progress) {
        Ok(done) => done,
        Err(e) => {
            // Not half: the next commit (the outbox's) must not make the deletion of every page
            // permanent. The index stays as it was; the next start or `hanlin reindex` tries
            // again.
            if let Err(r) = index.rollback() {
                tracing::error!(error = %r, "rolling back a failed rebuild of the search index");
            }
            return Err(e);
        }
    };
    // Everything queued before the rebuild is now reflected.
    for chunk in queued.chunks(1000) {
        store.transact(|tx| {
            for &seq in chunk {
                tx.outbox.remove(seq)?;
            }
            Ok(())
        })?;
    }
    Ok(done)
}

/// Indexes every document of the store after a `delete_all` and commits; returns how many.
fn index_every_doc(
    store: &Store,
    index: &SearchIndex,
    total: u64,
    progress: &mut impl FnMut(u64, u64),
) -> Result<u64> {
    let mut done = 0;
    let mut batch = Vec::new();
    for id in store.docs.ids() {
        let id = id?;
        if let Some(d) = index_doc(store, &id)? {
            batch.push(d);
        }
        done += 1;
        if batch.len() >= 500 {
            index.upsert(std::mem::take(&mut batch))?;
        }
        progress(done, total);
    }
    if !batch.is_empty() {
        index.upsert(batch)?;
    }
    index.commit()?;
    Ok(done)
}

/// Rebuilds an index built with another analyzer (an earlier release whose dictionary cut words
/// differently: its pages are not found by the words queries are now cut into). Searches see
/// the old index until the rebuilt one is committed, all at once.
pub fn rebuild_stale(store: &Store, index: &SearchIndex) -> Result<usize> {
    let started = std::time::Instant::now();
    tracing::info!(
        docs = index.num_docs(),
        "search index built with another analyzer: rebuilding from the store"
    );
    let n = reindex_all(store, index, |_, _| {})?;
    tracing::info!(
        docs = n,
        seconds = started.elapsed().as_secs_f64(),
        "search index rebuilt"
    );
    Ok(n as usize)
}

/// The background task: drains the outbox whenever a write signals it (and every few seconds, to
/// catch anything missed). A saved document is searchable well within a second.
pub async fn run(state: AppState) {
    if !state.index.analyzer_is_current() {
        let store = state.store.clone();
        let index: Arc<SearchIndex> = state.index.clone();
        match tokio::task::spawn_blocking(move || rebuild_stale(&store, &index)).await {
            Ok(Ok(_)) => {}
            // Searches go on from the index as it stands; the next start tries again.
            Ok(Err(e)) => tracing::error!(error = %e, "rebuilding the search index failed"),
            Err(e) => tracing::error!(error = %e, "rebuilding the search index panicked"),
        }
    }
    loop {
        tokio::select! {
            _ = state.indexer_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
        // Let a burst of saves gather into one commit.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let store = state.store.clone();
        let index: Arc<SearchIndex> = state.index.clone();
        match tokio::task::spawn_blocking(move || drain(&store, &index)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "indexer failed; will retry");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => tracing::error!(error = %e, "indexer task panicked"),
        }
    }
}
