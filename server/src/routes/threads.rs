//! List a space's threads, start one, read one as a tree, change its settings.
use crate::auth::Viewer;
use crate::domain::Marking;
use crate::error::{ApiError, ErrorBody};
use crate::forum::threads::{ThreadSummary, ThreadView};
use crate::routes::json_body::JsonBody;
use crate::routes::{id_from_path, PageQuery};
use crate::state::AppState;
use crate::use_cases::{
    self,
    threads::{NewThreadRequest, ThreadChangeRequest},
};
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A space's threads: pinned first, then most recently active.
#[utoipa::path(get, path = "/api/v1/spaces/{slug}/threads", tag = "threads",
    params(("slug" = String, Path, description = "The space's slug"), PageQuery),
    responses((status = 200, body = ThreadPage),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 422, body = ErrorBody, description = "A `cursor` this server did not give")))]
#[get("/spaces/{slug}/threads")]
pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = page.limit()?;
    let (threads, next_cursor) =
        use_cases::threads::list(&state, &viewer, &slug, page.cursor.as_deref(), limit).await?;
    Ok(HttpResponse::Ok().json(ThreadPage {
        threads,
        next_cursor,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartThread {
    #[schema(schema_with = super::openapi::fields::title)]
    pub title: String,
    /// Markdown.
    #[schema(schema_with = super::openapi::fields::post_body)]
    pub body: String,
    #[serde(default)]
    #[schema(schema_with = super::openapi::fields::thread_tags)]
    pub tags: Vec<String>,
    /// `OFFICIAL` (default) or `OFFICIAL-SENSITIVE`.
    #[schema(schema_with = super::openapi::fields::marking_or_null)]
    #[serde(default)]
    pub marking: Option<Marking>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i32,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreadCreated {
    pub id: i32,
    pub post_id: i32,
    pub space: String,
}

/// Starts a thread with its opening post.
#[utoipa::path(post, path = "/api/v1/spaces/{slug}/threads", tag = "threads", request_body = StartThread,
    params(("slug" = String, Path, description = "The space's slug")),
    responses((status = 201, body = ThreadCreated, description = "Started",
            headers(("Location" = String, description = "`/api/v1/threads/{id}`"))),
        (status = 400, body = ErrorBody, description = "The body cannot be read, or an unknown `marking`"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read but not post here, or the space is archived"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`title`, `body` or `tags` breaks a rule, or the Markdown is too complex to render")))]
#[post("/spaces/{slug}/threads")]
pub async fn start(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    body: JsonBody<StartThread>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewThreadRequest {
        title: body.title,
        body: body.body,
        tags: body.tags,
        marking: body.marking.unwrap_or_default(),
    };
    let started = use_cases::threads::start(&state, &viewer, &slug, new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/threads/{}", started.thread_id),
        ))
        .json(ThreadCreated {
            id: started.thread_id,
            post_id: started.post_id,
            space: started.space_slug,
        }))
}

/// A thread with all its posts in reading order, each with its depth in the reply tree.
/// Answers 304 to a matching `If-None-Match`, and gzip-encoded when `Accept-Encoding` asks.
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "threads",
    params(("id" = i32, Path, minimum = 1, description = "The thread's id"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` from an earlier answer")),
    responses((status = 200, body = ThreadView,
            headers(("ETag" = String, description = "Send back in `If-None-Match`"))),
        (status = 304, description = "Unchanged since the `ETag` sent",
            headers(("ETag" = String))),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such thread, or you may not read it")))]
#[get("/threads/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = use_cases::threads::read_shared(&state, &viewer, id_from_path(&id)?).await?;
    let rendered = found.json()?;
    let gzip = crate::gzip::accepted(req.headers());
    let etag = if gzip {
        &rendered.gzip_etag
    } else {
        &rendered.etag
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == rendered.etag || t.trim() == rendered.gzip_etag)
        });
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if unchanged {
        return Ok(response.finish());
    }
    response.content_type("application/json");
    if gzip {
        return Ok(response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(rendered.gzipped().clone()));
    }
    Ok(response.body(rendered.body.clone()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThread {
    #[schema(schema_with = super::openapi::fields::title_or_null)]
    pub title: Option<String>,
    /// Replaces the whole set.
    #[schema(schema_with = super::openapi::fields::thread_tags_or_null)]
    pub tags: Option<Vec<String>>,
    #[schema(schema_with = super::openapi::fields::marking_or_null)]
    pub marking: Option<Marking>,
    /// Admin only.
    pub pinned: Option<bool>,
    /// Admin only.
    pub locked: Option<bool>,
    /// Mark as endorsed best practice. Admin only.
    pub best_practice: Option<bool>,
    /// Move the thread to the space with this slug (one that does not exist, or that you may
    /// not read, is 422). Admin only.
    #[schema(schema_with = super::openapi::fields::slug_or_null)]
    pub space: Option<String>,
}

/// Changes a thread. Title, tags and raising the marking: the author (while they may post) or
/// an admin; lowering the marking, pinned, locked, best practice and moving: an admin. Every
/// marking change and every admin change is audited. Permission is decided from what the
/// request asks to change before any of its values is looked at, so a thread one may not see
/// answers 404 whatever the body holds.
#[utoipa::path(patch, path = "/api/v1/threads/{id}", tag = "threads", request_body = UpdateThread,
    params(("id" = i32, Path, minimum = 1, description = "The thread's id")),
    responses((status = 200, body = ThreadView, description = "Changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read, or an unknown `marking`"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read the thread but not make this change"),
        (status = 404, body = ErrorBody, description = "No such thread, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`title` or `tags` breaks a rule, or `space` names no space you can read")))]
#[patch("/threads/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<UpdateThread>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let asked = ThreadChangeRequest {
        title: body.title,
        tags: body.tags,
        marking: body.marking,
        pinned: body.pinned,
        locked: body.locked,
        best_practice: body.best_practice,
        space: body.space,
    };
    let view = use_cases::threads::change(&state, &viewer, id_from_path(&id)?, asked).await?;
    Ok(HttpResponse::Ok().json(view))
}
