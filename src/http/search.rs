//! `GET /api/v1/search`: the permission filter is applied inside the index query, so totals and
//! facets never count what the caller cannot read. Also the admin-edited synonym list.

use std::collections::{BTreeMap, HashSet};

use axum::{Json, Router, extract::State, routing::get};
use chrono::{DateTime, Utc};
use hanlin_index::{SearchRequest, Sort};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::{
    AppState,
    error::{Code, Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiPath, ApiQuery, check_id},
    service::{search, settings},
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/search/suggest", get(suggest))
        .route("/documents/{id}/related", get(related))
        .route("/admin/synonyms", get(get_synonyms).put(put_synonyms))
}

/// The operations of this module, for the API description.
#[derive(OpenApi)]
#[openapi(paths(search, suggest, related, get_synonyms, put_synonyms))]
pub struct ApiDoc;

/// A search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Words, `"phrases"`, `-excluded`, and filters (`tag:`, `space:`, `author:`, `type:`,
    /// `before:`, `after:`); empty: everything readable.
    #[serde(default)]
    q: String,
    /// Hits per page, 1 to 100 (default 10).
    #[serde(default)]
    #[param(value_type = Option<u32>, maximum = 100)]
    limit: Option<String>,
    /// Hits to skip, at most 10,000.
    #[serde(default)]
    #[param(value_type = Option<u32>, maximum = 10000)]
    offset: Option<String>,
    /// `relevance` (default) or `recent`.
    #[serde(default)]
    #[param(pattern = "^(relevance|recent)?$")]
    sort: Option<String>,
}

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// Document id.
    id: String,
    /// Title (plain).
    title: String,
    /// Title, HTML-escaped, matches in `<mark>`.
    title_html: String,
    /// About 120 characters of body, HTML-escaped, matches in `<mark>`.
    snippet: String,
    /// `doc` or `record`.
    kind: String,
    /// Space id.
    space_id: String,
    /// Category id.
    category_id: Option<String>,
    /// Names of the categories from the space root down, those the caller may read.
    category_path: Vec<String>,
    /// Tags.
    tags: Vec<String>,
    /// Login name of the author.
    author: String,
    /// Last update.
    updated_at: DateTime<Utc>,
    /// Relevance (0 for filter-only queries).
    score: f64,
    /// The section that matches best, when it is not the top of the document: the snippet comes
    /// from it and the page opens at its anchor.
    #[serde(skip_serializing_if = "Option::is_none")]
    section: Option<HitSection>,
    /// When the best match lies in an attachment's text: which file (and page).
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment: Option<HitAttachment>,
    /// Display name of the author.
    author_name: String,
}

/// The attachment a hit was found in.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitAttachment {
    /// Attachment id.
    id: String,
    /// Its file name.
    filename: String,
    /// The page (PDF), slide or sheet, 1-based, when the file has pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
}

/// The attachment an anchor `attachment-<id>[-p<N>]` names.
fn attachment_of(store: &crate::store::Store, anchor: &str) -> Option<HitAttachment> {
    let rest = anchor.strip_prefix(hanlin_index::ATTACHMENT_ANCHOR)?;
    let (id, page) = match rest.split_once("-p") {
        Some((id, p)) => (id, p.parse().ok()),
        None => (rest, None),
    };
    let a = store.attachments.get(id).ok()??;
    Some(HitAttachment {
        id: a.id,
        filename: a.filename,
        page,
    })
}

/// The best-matching section of a hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct HitSection {
    /// Heading text.
    heading: String,
    /// Anchor of the heading on the rendered page.
    anchor: String,
}

/// Counts over all matching documents the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    /// Tag → count.
    tags: BTreeMap<String, u64>,
    /// Category id → count.
    categories: BTreeMap<String, u64>,
    /// Space id → count.
    spaces: BTreeMap<String, u64>,
}

impl From<hanlin_index::Facets> for Facets {
    fn from(f: hanlin_index::Facets) -> Self {
        // Whole, so that a field added there cannot be left out here.
        let hanlin_index::Facets {
            tags,
            categories,
            spaces,
        } = f;
        Facets {
            tags,
            categories,
            spaces,
        }
    }
}

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Matching documents the caller may read; a lower bound when `total_is_lower_bound`.
    total: usize,
    /// True when counting stopped early (very broad queries): `total` and the facets cover only
    /// the first matches counted.
    total_is_lower_bound: bool,
    /// The page.
    hits: Vec<SearchHit>,
    /// Counts over all matches.
    facets: Facets,
    /// True when some words of the query match nothing the caller may read (`unmatched`).
    partial: bool,
    /// The query's words that match no visible document. Unless at least two other words match,
    /// there are no hits at all; otherwise the hits hold every other word.
    unmatched: Vec<String>,
    /// Names of the spaces and categories named by id in `facets` and `hits`.
    labels: BTreeMap<String, String>,
    /// The page size used.
    limit: usize,
    /// The offset used.
    offset: usize,
}

fn parse_num(v: Option<&str>, field: &str, default: usize, max: usize) -> Result<usize> {
    match v {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("{field} must be a whole number from 0 to {max}"),
                )
                .because(Reason::OutOfRange)
                .with("min", 0)
                .with("max", max)
            }),
    }
}

/// Full-text search: ?q=&limit=&offset=&sort=relevance|recent; hits with snippets and facets
#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    operation_id = "search",
    params(SearchQuery),
    responses((status = 200, body = SearchResults)),
    extensions(("x-error-codes" = json!([Code::InvalidQuery]))),
)]
async fn search(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResults>> {
    let limit = parse_num(q.limit.as_deref(), "limit", 10, 100)?.max(1);
    let offset = parse_num(q.offset.as_deref(), "offset", 0, 10_000)?;
    let sort = match q.sort.as_deref() {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("recent") => Sort::Recent,
        Some(_) => {
            return Err(Error::invalid("sort", "sort is `relevance` or `recent`")
                .because(Reason::NotOneOf)
                .with("allowed", ["relevance", "recent"]));
        }
    };
    let store = &state.store;
    let scope = search::scope(store, &who)?;
    let access = scope.index_access();
    let logged = (offset == 0).then(|| q.q.clone());
    let req = SearchRequest {
        query: q.q,
        limit,
        offset,
        sort,
        access,
    };
    // tantivy work is CPU-bound: off the async workers.
    let index = state.index.clone();
    let started = std::time::Instant::now();
    let searched = tokio::task::spawn_blocking(move || index.search(&req))
        .await
        .map_err(Error::internal)?;
    crate::http::metrics::search_took(started);
    // A bad filter value is 400 `invalid_query` (see `From<hanlin_index::Error> for Error`).
    let results = searched?;
    if let Some(query) = logged {
        // In memory: written by the dashboard's job, off the request path.
        crate::service::stats::record_search(store, &query, results.total, Utc::now());
    }
    // Names for the facet keys (ids), so clients need no extra round trips.
    let mut wanted: HashSet<&str> = HashSet::new();
    wanted.extend(results.facets.categories.keys().map(String::as_str));
    wanted.extend(results.facets.spaces.keys().map(String::as_str));
    for h in &results.hits {
        wanted.insert(h.space_id.as_str());
    }
    let catalog = store.catalog()?;
    let labels: BTreeMap<String, String> = wanted
        .into_iter()
        .filter_map(|id| Some((id.to_owned(), catalog.name_of(id)?.to_owned())))
        .collect();
    // Display names of the authors, for people rather than login names; category paths as they
    // stand now, naming only the categories the caller may read (a readable category may sit
    // under one cut off by `inherit: false`).
    let hits = results
        .hits
        .into_iter()
        .map(|h| {
            // Whole, so that a field added there cannot be left out here.
            let hanlin_index::Hit {
                id,
                title,
                title_html,
                snippet,
                kind,
                space_id,
                category_id,
                category_path: _,
                tags,
                author,
                updated_at,
                score,
                section,
            } = h;
            let author_name = catalog
                .display_names
                .get(&author)
                .cloned()
                .unwrap_or_else(|| author.clone());
            let category_path = scope.category_path(&catalog, category_id.as_deref());
            SearchHit {
                id,
                title,
                title_html,
                snippet,
                kind,
                space_id,
                category_id,
                category_path,
                tags,
                author,
                updated_at,
                // As before: the index's f32, widened exactly.
                score: f64::from(score),
                attachment: section
                    .as_ref()
                    .and_then(|s| attachment_of(&state.store, &s.anchor)),
                section: section.map(|s| {
                    let hanlin_index::HitSection { heading, anchor } = s;
                    HitSection { heading, anchor }
                }),
                author_name,
            }
        })
        .collect();
    Ok(Json(SearchResults {
        total: results.total,
        total_is_lower_bound: results.total_is_lower_bound,
        hits,
        facets: results.facets.into(),
        partial: results.partial,
        unmatched: results.unmatched,
        labels,
        limit,
        offset,
    }))
}

/// What was typed so far.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SuggestQuery {
    /// Title prefix, words, full pinyin or pinyin initials (`kr`, `kuorong`: 扩容); at most 100
    /// characters. One ASCII letter alone finds nothing.
    #[serde(default)]
    q: String,
}

/// A document found by quick open or as related.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocLink {
    /// Document id.
    id: String,
    /// Title.
    title: String,
    /// Space id.
    space_id: String,
}

/// Documents, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocLinks {
    /// The documents.
    items: Vec<DocLink>,
}

impl DocLinks {
    fn of(found: Vec<hanlin_index::Suggestion>) -> Self {
        DocLinks {
            items: found
                .into_iter()
                .map(|s| {
                    // Whole, so that a field added there cannot be left out here.
                    let hanlin_index::Suggestion {
                        id,
                        title,
                        space_id,
                    } = s;
                    DocLink {
                        id,
                        title,
                        space_id,
                    }
                })
                .collect(),
        }
    }
}

/// Quick open: documents by title prefix, words, full pinyin or initials (at most 8)
#[utoipa::path(
    get,
    path = "/search/suggest",
    tag = "search",
    operation_id = "suggest",
    params(SuggestQuery),
    responses((status = 200, description = "Only documents the caller may read", body = DocLinks)),
    extensions(("x-error-codes" = json!([Code::InvalidInput]))),
)]
async fn suggest(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<SuggestQuery>,
) -> Result<Json<DocLinks>> {
    let st = state.clone();
    // tantivy work is CPU-bound: off the async workers.
    let found =
        tokio::task::spawn_blocking(move || search::suggest(&st.store, &st.index, &who, &q.q))
            .await
            .map_err(Error::internal)??;
    Ok(Json(DocLinks::of(found)))
}

/// Related documents (相关推荐): at most 5 like this one, that the caller may read
#[utoipa::path(
    get,
    path = "/documents/{id}/related",
    tag = "search",
    operation_id = "related_documents",
    params(("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "Only documents the caller may read", body = DocLinks)),
)]
async fn related(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DocLinks>> {
    check_id(&id, "document")?;
    let st = state.clone();
    let found =
        tokio::task::spawn_blocking(move || search::related(&st.store, &st.index, &who, &id))
            .await
            .map_err(Error::internal)??;
    Ok(Json(DocLinks::of(found)))
}

/// The admin synonym groups (asked for, sent, or as stored after a change).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SynonymGroups)]
pub struct SynonymsBody {
    /// Groups of words searched as one another: at most 5,000 groups of at least two words of
    /// at most 50 characters.
    groups: Vec<Vec<String>>,
}

/// Admin synonym groups (admins)
#[utoipa::path(
    get,
    path = "/admin/synonyms",
    tag = "admin",
    operation_id = "synonyms",
    responses((status = 200, body = SynonymsBody)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn get_synonyms(
    State(state): State<AppState>,
    who: CurrentUser,
) -> Result<Json<SynonymsBody>> {
    Ok(Json(SynonymsBody {
        groups: settings::synonyms_for(&state.store, &who)?,
    }))
}

/// Replace admin synonym groups (admins)
#[utoipa::path(
    put,
    path = "/admin/synonyms",
    tag = "admin",
    operation_id = "set_synonyms",
    request_body = SynonymsBody,
    responses((status = 200, description = "The groups as stored", body = SynonymsBody)),
    extensions(("x-error-codes" = json!([Code::Forbidden]))),
)]
async fn put_synonyms(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<SynonymsBody>,
) -> Result<Json<SynonymsBody>> {
    let groups = settings::set_synonyms(&state.store, &who, &body.groups)?;
    let store = &state.store;
    store.flush().await?;
    state.index.set_extra_synonyms(groups.clone());
    Ok(Json(SynonymsBody { groups }))
}
