//! List a space's threads, start one, read one as a tree, change its settings.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::domain::{Marking, TagList};
use crate::error::{ApiError, ErrorBody};
use crate::forum::input::{PostBody, Title};
use crate::forum::threads::{
    self, NewThread, ThreadChanges, ThreadCursor, ThreadSummary, ThreadView,
};
use crate::permissions::{check, decide, Action, Subject};
use crate::routes::{id_from_path, PageQuery};
use crate::spaces;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A space's threads: pinned first, then most recently active.
#[utoipa::path(get, path = "/api/v1/spaces/{slug}/threads", tag = "threads", params(PageQuery),
    responses((status = 200, body = ThreadPage), (status = 404, body = ErrorBody)))]
#[get("/spaces/{slug}/threads")]
pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let space = spaces::find_by_slug(&state.db, &slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&state.db, &viewer, &space, Action::Read).await?;
    let limit = page.limit()?;
    let cursor = page
        .cursor
        .as_deref()
        .map(|c| {
            ThreadCursor::decode(c)
                .ok_or_else(|| ApiError::validation("cursor", "cursor is not valid"))
        })
        .transpose()?;
    let (threads, next_cursor) = threads::list(&state.db, &space, cursor.as_ref(), limit).await?;
    Ok(HttpResponse::Ok().json(ThreadPage {
        threads,
        next_cursor,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartThread {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `OFFICIAL` (default) or `OFFICIAL-SENSITIVE`.
    #[schema(value_type = Option<String>, example = "OFFICIAL")]
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
    responses((status = 201, body = ThreadCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/spaces/{slug}/threads")]
pub async fn start(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    body: web::Json<StartThread>,
) -> Result<HttpResponse, ApiError> {
    let space = spaces::find_by_slug(&state.db, &slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&state.db, &viewer, &space, Action::StartThread).await?;
    let limits = &state.settings.limits;
    let body = body.into_inner();
    let new = NewThread {
        title: Title::parse(&body.title, limits.title_chars)?,
        body: PostBody::parse(&body.body, limits.post_chars)?,
        tags: TagList::parse(&body.tags, limits.tags)
            .map_err(|e| ApiError::validation("tags", e.0))?,
        marking: body.marking.unwrap_or_default(),
    };
    let txn = state.db.begin().await?;
    let (id, post_id) = threads::start(&txn, space.id, viewer.id, new, Utc::now()).await?;
    txn.commit().await?;
    state.search.changed();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/threads/{id}")))
        .json(ThreadCreated {
            id,
            post_id,
            space: space.slug,
        }))
}

/// A thread with all its posts in reading order, each with its depth in the reply tree.
/// Answers 304 to a matching `If-None-Match`.
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "threads",
    responses((status = 200, body = ThreadView), (status = 304), (status = 404, body = ErrorBody)))]
#[get("/threads/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (thread, space) = threads::find_with_space(&state.db, id_from_path(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let access = check(&state.db, &viewer, &space, Action::Read).await?;
    let can_reply = decide(
        &Subject::from(&viewer),
        &access,
        Action::Reply {
            thread_locked: thread.locked,
        },
    )
    .allowed();
    let view = threads::view(&state.db, thread, &space, can_reply).await?;
    let body = serde_json::to_vec(&view).map_err(anyhow::Error::new)?;
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type("application/json").body(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateThread {
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<String>)]
    pub marking: Option<Marking>,
    /// Admin only.
    pub pinned: Option<bool>,
    /// Admin only.
    pub locked: Option<bool>,
    /// Mark as endorsed best practice. Admin only.
    pub best_practice: Option<bool>,
    /// Move the thread to the space with this slug. Admin only.
    pub space: Option<String>,
}

/// Changes a thread. Title, tags and marking: the author (while they may post) or an admin;
/// pinned, locked and best practice: an admin, audited.
#[utoipa::path(patch, path = "/api/v1/threads/{id}", tag = "threads", request_body = UpdateThread,
    responses((status = 200, body = ThreadView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/threads/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: web::Json<UpdateThread>,
) -> Result<HttpResponse, ApiError> {
    let (thread, space) = threads::find_with_space(&state.db, id_from_path(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let body = body.into_inner();
    let limits = &state.settings.limits;
    let changes = ThreadChanges {
        title: body
            .title
            .as_deref()
            .map(|t| Title::parse(t, limits.title_chars))
            .transpose()?,
        tags: body
            .tags
            .as_deref()
            .map(|t| TagList::parse(t, limits.tags).map_err(|e| ApiError::validation("tags", e.0)))
            .transpose()?,
        marking: body.marking,
        pinned: body.pinned,
        locked: body.locked,
        best_practice: body.best_practice,
        space_id: match &body.space {
            Some(slug) => Some(
                spaces::find_by_slug(&state.db, slug)
                    .await?
                    .ok_or_else(|| ApiError::validation("space", format!("no space {slug:?}")))?
                    .id,
            ),
            None => None,
        },
    };
    let action = if changes.touches_moderation() {
        Action::Moderate
    } else {
        Action::ChangePost {
            own: thread.author_id == viewer.id,
            thread_locked: thread.locked,
        }
    };
    let access = check(&state.db, &viewer, &space, action).await?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    threads::change(&txn, &thread, &changes, now).await?;
    if viewer.is_admin() {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "thread.update",
                target_type: "thread",
                target_id: Some(thread.id),
                detail: serde_json::json!({
                    "pinned": changes.pinned, "locked": changes.locked,
                    "best_practice": changes.best_practice,
                    "title": changes.title.as_ref().map(|t| t.as_str()),
                    "marking": changes.marking.map(|m| m.as_str()),
                    "space_id": changes.space_id,
                }),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    state.search.changed();
    let (thread, space) = threads::find_with_space(&state.db, thread.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let can_reply = decide(
        &Subject::from(&viewer),
        &access,
        Action::Reply {
            thread_locked: thread.locked,
        },
    )
    .allowed();
    Ok(HttpResponse::Ok().json(threads::view(&state.db, thread, &space, can_reply).await?))
}
