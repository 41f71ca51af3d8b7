//! `GET /api/v1/search`: the permission filter is applied inside the index query, so totals and
//! facets never count what the caller cannot read. Also the admin-edited synonym list.

use std::collections::{BTreeMap, HashSet};

use axum::{Json, Router, extract::State, routing::get};
use hanlin_index::{Access, SearchRequest, Sort};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    AppState,
    domain::permission::Scopes,
    error::{Error, Reason, Result},
    http::auth::CurrentUser,
    http::extract::{ApiJson, ApiQuery},
    service::access,
    service::settings,
    store::catalog::Catalog,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/admin/synonyms", get(get_synonyms).put(put_synonyms))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    limit: Option<String>,
    #[serde(default)]
    offset: Option<String>,
    #[serde(default)]
    sort: Option<String>,
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

async fn search(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Value>> {
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
    let scopes = access::readable_scopes(store, &who.subject())?;
    let access = match &*scopes {
        Scopes::All => Access::All,
        // An Arc: the readable set is shared with the catalog's cache, not copied per query.
        Scopes::Some(set) => Access::Scopes(set.clone()),
    };
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
    // Names for the facet keys (ids), so clients need no extra round trips.
    let mut wanted: HashSet<&str> = HashSet::new();
    wanted.extend(results.facets.categories.keys().map(String::as_str));
    wanted.extend(results.facets.spaces.keys().map(String::as_str));
    for h in &results.hits {
        wanted.insert(h.space_id.as_str());
    }
    let catalog = store.catalog()?;
    let labels: BTreeMap<&str, &str> = wanted
        .into_iter()
        .filter_map(|id| Some((id, catalog.name_of(id)?)))
        .collect();
    // Display names of the authors, for people rather than login names; category paths as they
    // stand now, naming only the categories the caller may read (a readable category may sit
    // under one cut off by `inherit: false`).
    let mut hits = serde_json::to_value(&results.hits).map_err(Error::internal)?;
    if let Some(arr) = hits.as_array_mut() {
        for h in arr {
            let name = h["author"].as_str().unwrap_or("").to_owned();
            let display = catalog.display_names.get(&name).cloned().unwrap_or(name);
            h["author_name"] = json!(display);
            let path = visible_path(&catalog, &scopes, h["category_id"].as_str());
            h["category_path"] = json!(path);
        }
    }
    Ok(Json(json!({
        "total": results.total,
        "total_is_lower_bound": results.total_is_lower_bound,
        "hits": hits,
        "facets": results.facets,
        "partial": results.partial,
        "unmatched": results.unmatched,
        "labels": labels,
        "limit": limit,
        "offset": offset,
    })))
}

/// The names of the categories from the space root down to `category_id` that `scopes` may read,
/// root-most first.
fn visible_path(catalog: &Catalog, scopes: &Scopes, category_id: Option<&str>) -> Vec<String> {
    let mut path = Vec::new();
    let mut cur = category_id;
    // The depth bound only guards against a cycle (every write checks the tree).
    for _ in 0..64 {
        let Some(c) = cur.and_then(|id| catalog.categories.get(id)) else {
            break;
        };
        if scopes.contains(&c.id) {
            path.push(c.name.clone());
        }
        cur = c.parent_id.as_deref();
    }
    path.reverse();
    path
}

async fn get_synonyms(State(state): State<AppState>, who: CurrentUser) -> Result<Json<Value>> {
    who.require_admin()?;
    Ok(Json(json!({"groups": settings::synonyms(&state.store)?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsBody {
    groups: Vec<Vec<String>>,
}

async fn put_synonyms(
    State(state): State<AppState>,
    who: CurrentUser,
    ApiJson(body): ApiJson<SynonymsBody>,
) -> Result<Json<Value>> {
    let groups = settings::set_synonyms(&state.store, &who, &body.groups)?;
    let store = &state.store;
    store.flush().await?;
    state.index.set_extra_synonyms(groups.clone());
    Ok(Json(json!({"groups": groups})))
}
