//! Replies, edits (keeping the old text as a revision) and soft deletes.
use super::input::RenderedBody;
use crate::db::entities::{post, post_revision, thread};
use crate::outbox::{self, Change};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde::Serialize;

/// Where a reply to `asked` hangs: `asked` itself, or, when it already sits at the deepest
/// allowed level, its nearest ancestor above that level. One query per level climbed, which is
/// one at most once every post respects the limit.
pub async fn attach_point(
    db: &impl ConnectionTrait,
    asked: post::Model,
    max_depth: i32,
) -> Result<post::Model, sea_orm::DbErr> {
    let mut at = asked;
    while at.depth >= max_depth {
        let Some(parent_id) = at.parent_id else { break };
        match post::Entity::find_by_id(parent_id).one(db).await? {
            Some(parent) => at = parent,
            None => break,
        }
    }
    Ok(at)
}

/// Adds a reply under `parent` (a post of the same thread). Updates the thread's activity.
pub async fn reply(
    db: &impl ConnectionTrait,
    t: &thread::Model,
    parent: &post::Model,
    author_id: i32,
    body: &RenderedBody,
    now: DateTime<Utc>,
) -> Result<post::Model, sea_orm::DbErr> {
    let created = post::ActiveModel {
        thread_id: Set(t.id),
        parent_id: Set(Some(parent.id)),
        author_id: Set(author_id),
        depth: Set(parent.depth + 1),
        body_markdown: Set(body.markdown.clone()),
        body_html: Set(body.html.clone()),
        body_text: Set(Some(body.text.clone())),
        created_at: Set(now),
        edited_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    thread::Entity::update_many()
        .col_expr(
            thread::Column::PostCount,
            Expr::col(thread::Column::PostCount).add(1),
        )
        .col_expr(thread::Column::LastActivityAt, Expr::value(now))
        .filter(thread::Column::Id.eq(t.id))
        .exec(db)
        .await?;
    outbox::record(db, Change::Post(created.id), now).await?;
    Ok(created)
}

/// The opening post of a thread: the parent of replies made to the thread itself.
pub async fn opening_post(
    db: &impl ConnectionTrait,
    thread_id: i32,
) -> Result<Option<post::Model>, sea_orm::DbErr> {
    post::Entity::find()
        .filter(post::Column::ThreadId.eq(thread_id))
        .filter(post::Column::ParentId.is_null())
        .order_by_asc(post::Column::Id)
        .one(db)
        .await
}

/// Replaces the text, keeping the old text as a revision.
pub async fn edit(
    db: &impl ConnectionTrait,
    p: &post::Model,
    editor_id: i32,
    body: &RenderedBody,
    now: DateTime<Utc>,
) -> Result<post::Model, sea_orm::DbErr> {
    post_revision::ActiveModel {
        post_id: Set(p.id),
        body_markdown: Set(p.body_markdown.clone()),
        body_html: Set(p.body_html.clone()),
        edited_by: Set(editor_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut active: post::ActiveModel = p.clone().into();
    active.body_markdown = Set(body.markdown.clone());
    active.body_html = Set(body.html.clone());
    active.body_text = Set(Some(body.text.clone()));
    active.edited_at = Set(Some(now));
    let updated = active.update(db).await?;
    outbox::record(db, Change::Post(p.id), now).await?;
    Ok(updated)
}

/// Marks the post deleted; the tree keeps a placeholder in its place.
pub async fn soft_delete(
    db: &impl ConnectionTrait,
    p: &post::Model,
    by: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    post::Entity::update_many()
        .col_expr(post::Column::DeletedAt, Expr::value(now))
        .col_expr(post::Column::DeletedBy, Expr::value(by))
        .filter(post::Column::Id.eq(p.id))
        .exec(db)
        .await?;
    thread::Entity::update_many()
        .col_expr(
            thread::Column::PostCount,
            Expr::col(thread::Column::PostCount).sub(1),
        )
        .filter(thread::Column::Id.eq(p.thread_id))
        .exec(db)
        .await?;
    outbox::record(db, Change::Post(p.id), now).await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevisionView {
    pub id: i32,
    pub post_id: i32,
    pub body_markdown: String,
    pub body_html: String,
    pub edited_by: i32,
    /// When this text was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// Earlier texts of a post, oldest first.
pub async fn revisions(
    db: &impl ConnectionTrait,
    post_id: i32,
) -> Result<Vec<RevisionView>, sea_orm::DbErr> {
    Ok(post_revision::Entity::find()
        .filter(post_revision::Column::PostId.eq(post_id))
        .order_by_asc(post_revision::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RevisionView {
            id: r.id,
            post_id: r.post_id,
            body_markdown: r.body_markdown,
            body_html: r.body_html,
            edited_by: r.edited_by,
            replaced_at: r.created_at,
        })
        .collect())
}

/// Which of `ids` are deleted posts (an attachment goes with its post), in one query.
pub async fn deleted_among(
    db: &impl ConnectionTrait,
    ids: Vec<i32>,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    post::Entity::find()
        .select_only()
        .column(post::Column::Id)
        .filter(post::Column::Id.is_in(ids))
        .filter(post::Column::DeletedAt.is_not_null())
        .into_tuple()
        .all(db)
        .await
}
