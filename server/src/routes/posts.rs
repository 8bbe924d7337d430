//! Reply, read one post, edit (keeping revisions), soft delete, list revisions.
use crate::auth::Viewer;
use crate::db::entities::post;
use crate::error::{ApiError, ErrorBody};
use crate::forum::people::authors;
use crate::forum::posts::RevisionView;
use crate::forum::threads::{post_view, PostView};
use crate::routes::id_from_path;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::{self, posts::NewReply};
use actix_web::{delete, get, patch, post, web, HttpResponse};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Markdown.
    #[schema(schema_with = super::openapi::fields::post_body)]
    pub body: String,
    /// The post replied to; absent or null replies to the thread's opening post.
    pub parent_id: Option<i32>,
}

async fn single_view(db: &impl ConnectionTrait, p: &post::Model) -> Result<PostView, ApiError> {
    let people = authors(db, [p.author_id]).await?;
    let depth = usize::try_from(p.depth).unwrap_or_default();
    Ok(post_view(&p.into(), depth, &people, Some(&p.body_markdown)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplyCreated {
    #[serde(flatten)]
    pub post: PostView,
    /// Present when the post replied to was already at the deepest level replies may reach
    /// (`limits.reply_depth`): the reply was attached to `parent_id` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_parent_id: Option<i32>,
}

/// Replies to the thread or to any post in it. A reply to a post at the deepest allowed level
/// hangs under that post's parent, and the answer names the post asked for.
#[utoipa::path(post, path = "/api/v1/threads/{id}/posts", tag = "posts", request_body = ReplyRequest,
    params(("id" = i32, Path, minimum = 1, description = "The thread's id")),
    responses((status = 201, body = ReplyCreated, description = "Posted"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read but not reply: read only, archived, or locked"),
        (status = 404, body = ErrorBody, description = "No such thread, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`body` breaks a rule or is too complex to render, or `parent_id` is not a post of this thread")))]
#[post("/threads/{id}/posts")]
pub async fn reply(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<ReplyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewReply {
        body: body.body,
        parent_id: body.parent_id,
    };
    let replied = use_cases::posts::reply(&state, &viewer, id_from_path(&id)?, new).await?;
    Ok(HttpResponse::Created().json(ReplyCreated {
        post: single_view(&state.db, &replied.post).await?,
        requested_parent_id: replied.requested_parent_id,
    }))
}

/// One post (its permalink).
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = i32, Path, minimum = 1, description = "The post's id")),
    responses((status = 200, body = PostView, description = "The post; a deleted one as a placeholder"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such post, or you may not read it")))]
#[get("/posts/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = use_cases::posts::read(&state, &viewer, id_from_path(&id)?).await?;
    Ok(HttpResponse::Ok().json(single_view(&state.db, &found).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The new Markdown text.
    #[schema(schema_with = super::openapi::fields::post_body)]
    pub body: String,
}

/// Replaces a post's text; the old text is kept as a revision.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", request_body = EditRequest,
    params(("id" = i32, Path, minimum = 1, description = "The post's id")),
    responses((status = 200, body = PostView, description = "Changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read the post but not change it"),
        (status = 404, body = ErrorBody, description = "No such post, or you may not read it"),
        (status = 409, body = ErrorBody, description = "The post is deleted"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`body` breaks a rule or is too complex to render")))]
#[patch("/posts/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<EditRequest>,
) -> Result<HttpResponse, ApiError> {
    let updated = use_cases::posts::edit(&state, &viewer, id_from_path(&id)?, &body.body).await?;
    Ok(HttpResponse::Ok().json(single_view(&state.db, &updated).await?))
}

/// Soft-deletes a post (its author or a moderator). The tree keeps a placeholder.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = i32, Path, minimum = 1, description = "The post's id")),
    responses((status = 204, description = "Deleted; a placeholder keeps its place"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read the post but not delete it"),
        (status = 404, body = ErrorBody, description = "No such post, or you may not read it"),
        (status = 409, body = ErrorBody, description = "Already deleted")))]
#[delete("/posts/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    use_cases::posts::delete(&state, &viewer, id_from_path(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RevisionList {
    pub revisions: Vec<RevisionView>,
}

/// Earlier texts of a post, oldest first. Hidden once the post is deleted, except to admins.
#[utoipa::path(get, path = "/api/v1/posts/{id}/revisions", tag = "posts",
    params(("id" = i32, Path, minimum = 1, description = "The post's id")),
    responses((status = 200, body = RevisionList),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such post, you may not read it, or it is deleted and you are not an admin")))]
#[get("/posts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(RevisionList {
        revisions: use_cases::posts::revisions(&state, &viewer, id_from_path(&id)?).await?,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[schema(schema_with = super::openapi::fields::post_body)]
    pub body: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviewView {
    /// The Markdown rendered and sanitised exactly as a saved post would be.
    pub html: String,
}

/// Renders Markdown as a post would be shown, without saving anything (the writing forms'
/// live preview).
#[utoipa::path(post, path = "/api/v1/preview", tag = "posts", request_body = PreviewRequest,
    responses((status = 200, body = PreviewView),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`body` breaks a rule or is too complex to render"),
        (status = 429, body = ErrorBody, description = "Two previews of yours are already rendering",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let html = use_cases::posts::preview(&state, &viewer, &body.body).await?;
    Ok(HttpResponse::Ok().json(PreviewView { html }))
}
