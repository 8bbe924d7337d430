//! `GET /api/v1/search`: full-text search over what the viewer may read.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::permissions::{readable_spaces, Subject};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, TimeZone, Utc};
use search_index::{SearchError, SearchRequest, SortOrder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The query: words, "phrases", -exclusion, OR, prefix*, and the filters space:, tag:,
    /// author:, force:, marking:, is:best-practice, before:, after:, in:title.
    pub q: String,
    /// 1-based, at most 1000; default 1.
    #[param(minimum = 1, maximum = 1000)]
    pub page: Option<usize>,
    /// 1 to 100; default 20.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<usize>,
    /// `relevance` (default) or `date`.
    #[param(schema_with = super::openapi::fields::sort_order)]
    pub sort: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHitView {
    pub thread_id: i32,
    pub post_id: i32,
    pub title: String,
    pub space: String,
    /// Escaped text with `<mark>` around the matched words.
    pub snippet_html: String,
    pub score: f32,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchView {
    /// Matching threads (each thread once, with its best post).
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<SearchHitView>,
    /// `space`, `tag`, `force` and `year`, each value with its number of matching threads.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Searches threads and posts the viewer may read. A query may hold at most 4 words ending in
/// `*`, each with at least 3 letters; one person may run 2 searches at once.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchView),
        (status = 400, body = ErrorBody, description = "The query string cannot be read, or `q` cannot be understood (`field` is `q`)"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 422, body = ErrorBody, description = "`sort`, `page` or `per_page` out of range"),
        (status = 429, body = ErrorBody, description = "Two searches of yours are already running",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let sort = match params.sort.as_deref() {
        None | Some("relevance") => SortOrder::Relevance,
        Some("date") => SortOrder::Date,
        Some(other) => {
            return Err(ApiError::validation(
                "sort",
                format!("sort is relevance or date, not {other:?}"),
            ))
        }
    };
    let page = params.page.unwrap_or(1);
    if page == 0 || page > 1000 {
        return Err(ApiError::validation(
            "page",
            "page must be between 1 and 1000",
        ));
    }
    let per_page = params.per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::validation(
            "per_page",
            "per_page must be between 1 and 100",
        ));
    }
    let _slot = state
        .searches
        .try_start(viewer.id)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: 1,
        })?;
    let spaces = readable_spaces(&state.db, &Subject::from(&viewer)).await?;
    let as_admin = spaces.iter().any(|r| r.as_admin);
    let readable: Vec<i32> = spaces.into_iter().map(|r| r.space.id).collect();
    if as_admin {
        audit::record(
            &state.db,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "admin.search",
                target_type: "search",
                target_id: None,
                detail: serde_json::json!({"q": params.q}),
            },
            Utc::now(),
        )
        .await?;
    }
    let request = SearchRequest {
        query: params.q,
        readable_spaces: readable,
        page,
        per_page,
        sort,
    };
    let index = state.search.index();
    let results = web::block(move || index.search(&request))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("search task failed: {e}")))?
        .map_err(|e| match e {
            SearchError::Query { .. } => ApiError::BadRequest {
                message: format!("this search could not be understood: {e}"),
                field: Some("q".into()),
            },
            SearchError::Index(_) => ApiError::Internal(anyhow::Error::new(e)),
        })?;
    let hits = results
        .hits
        .into_iter()
        .map(|h| SearchHitView {
            thread_id: h.thread_id,
            post_id: h.post_id,
            title: h.title,
            space: h.space_slug,
            snippet_html: h.snippet_html,
            score: h.score,
            created_at: Utc
                .timestamp_opt(h.created_at, 0)
                .single()
                .unwrap_or_default(),
        })
        .collect();
    let facets = results
        .facets
        .into_iter()
        .map(|(name, values)| (name, values.into_iter().collect()))
        .collect();
    Ok(HttpResponse::Ok().json(SearchView {
        total: results.total,
        page,
        per_page,
        hits,
        facets,
    }))
}
