//! Reply, read one post, edit (keeping revisions), soft delete, list revisions.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::{post, space, thread};
use crate::error::{ApiError, ErrorBody};
use crate::forum::input::PostBody;
use crate::forum::people::authors;
use crate::forum::posts::{self, RevisionView};
use crate::forum::threads::{self, post_view, PostView};
use crate::permissions::{check, Action};
use crate::routes::id_from_path;
use crate::state::AppState;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, TransactionTrait};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Markdown.
    pub body: String,
    /// The post replied to; absent or null replies to the thread's opening post.
    pub parent_id: Option<i32>,
}

async fn post_context(
    db: &impl ConnectionTrait,
    raw_id: &str,
) -> Result<(post::Model, thread::Model, space::Model), ApiError> {
    let found = post::Entity::find_by_id(id_from_path(raw_id)?)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (t, s) = threads::find_with_space(db, found.thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((found, t, s))
}

async fn single_view(
    db: &impl ConnectionTrait,
    p: &post::Model,
    depth: usize,
) -> Result<PostView, ApiError> {
    let people = authors(db, [p.author_id]).await?;
    Ok(post_view(p, depth, &people, true))
}

/// Replies to the thread or to any post in it.
#[utoipa::path(post, path = "/api/v1/threads/{id}/posts", tag = "posts", request_body = ReplyRequest,
    responses((status = 201, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/threads/{id}/posts")]
pub async fn reply(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: web::Json<ReplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let (thread, space) = threads::find_with_space(&state.db, id_from_path(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(
        &state.db,
        &viewer,
        &space,
        Action::Reply {
            thread_locked: thread.locked,
        },
    )
    .await?;
    let body = body.into_inner();
    let text = PostBody::parse(&body.body, state.settings.limits.post_chars)?;
    let parent = match body.parent_id {
        Some(pid) => post::Entity::find_by_id(pid)
            .one(&state.db)
            .await?
            .filter(|p| p.thread_id == thread.id)
            .ok_or_else(|| {
                ApiError::validation("parent_id", "parent_id is not a post of this thread")
            })?,
        None => posts::opening_post(&state.db, thread.id)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("thread {} has no opening post", thread.id))
            })?,
    };
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let created = posts::reply(&txn, &thread, &parent, viewer.id, &text, now).await?;
    crate::notifications::enqueue_for_reply(
        &txn,
        &thread,
        &created,
        parent.author_id,
        now,
        state.settings.digest.notify_batch_seconds,
    )
    .await?;
    txn.commit().await?;
    state.search.changed();
    let depth = depth_of(&state.db, &created).await?;
    Ok(HttpResponse::Created().json(single_view(&state.db, &created, depth).await?))
}

/// Counts the ancestors of a post (its depth in the tree).
async fn depth_of(db: &impl ConnectionTrait, p: &post::Model) -> Result<usize, ApiError> {
    let mut depth = 0;
    let mut parent = p.parent_id;
    while let Some(pid) = parent {
        depth += 1;
        parent = post::Entity::find_by_id(pid)
            .one(db)
            .await?
            .and_then(|x| x.parent_id);
    }
    Ok(depth)
}

/// One post (its permalink).
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts",
    responses((status = 200, body = PostView), (status = 404, body = ErrorBody)))]
#[get("/posts/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (found, _thread, space) = post_context(&state.db, &id).await?;
    check(&state.db, &viewer, &space, Action::Read).await?;
    let depth = depth_of(&state.db, &found).await?;
    Ok(HttpResponse::Ok().json(single_view(&state.db, &found, depth).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The new Markdown text.
    pub body: String,
}

/// The post at `raw_id` if the viewer may edit or delete it (and it is not deleted already),
/// with whether it is their own.
async fn changeable_post(
    state: &AppState,
    viewer: &Viewer,
    raw_id: &str,
) -> Result<(post::Model, bool), ApiError> {
    let (found, thread, space) = post_context(&state.db, raw_id).await?;
    let own = found.author_id == viewer.id;
    check(
        &state.db,
        viewer,
        &space,
        Action::ChangePost {
            own,
            thread_locked: thread.locked,
        },
    )
    .await?;
    if found.deleted_at.is_some() {
        return Err(ApiError::Conflict("this post has been deleted".into()));
    }
    Ok((found, own))
}

/// Replaces a post's text; the old text is kept as a revision.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", request_body = EditRequest,
    responses((status = 200, body = PostView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[patch("/posts/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: web::Json<EditRequest>,
) -> Result<HttpResponse, ApiError> {
    let (found, own) = changeable_post(&state, &viewer, &id).await?;
    let text = PostBody::parse(&body.body, state.settings.limits.post_chars)?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let updated = posts::edit(&txn, &found, viewer.id, &text, now).await?;
    if !own {
        moderation_audit(&txn, &viewer, "post.edit", found.id, now).await?;
    }
    txn.commit().await?;
    state.search.changed();
    let depth = depth_of(&state.db, &updated).await?;
    Ok(HttpResponse::Ok().json(single_view(&state.db, &updated, depth).await?))
}

async fn moderation_audit(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    action: &str,
    post_id: i32,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(viewer.id),
            action,
            target_type: "post",
            target_id: Some(post_id),
            detail: serde_json::json!({}),
        },
        now,
    )
    .await?;
    Ok(())
}

/// Soft-deletes a post (its author or a moderator). The tree keeps a placeholder.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/posts/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (found, own) = changeable_post(&state, &viewer, &id).await?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    posts::soft_delete(&txn, &found, viewer.id, now).await?;
    if !own {
        moderation_audit(&txn, &viewer, "post.delete", found.id, now).await?;
    }
    txn.commit().await?;
    state.search.changed();
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    pub revisions: Vec<RevisionView>,
}

/// Earlier texts of a post, oldest first. Hidden once the post is deleted, except to admins.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "posts",
    responses((status = 200, body = RevisionList), (status = 404, body = ErrorBody)))]
#[get("/posts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (found, _thread, space) = post_context(&state.db, &id).await?;
    check(&state.db, &viewer, &space, Action::Read).await?;
    if found.deleted_at.is_some() && !viewer.is_admin() {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::Ok().json(RevisionList {
        revisions: posts::revisions(&state.db, found.id).await?,
    }))
}
