//! `GET /api/v1/search`: full-text search over what the viewer may read.
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::use_cases::{self, search::SearchInput};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

pub use crate::use_cases::search::{SearchHitView, SearchView};

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
    let found = use_cases::search::run(
        &state,
        &viewer,
        SearchInput {
            members_only: false,
            q: params.q,
            page: params.page,
            per_page: params.per_page,
            sort: params.sort,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(found))
}
