//! Replying, editing and deleting posts.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::{post, space, thread};
use crate::error::ApiError;
use crate::forum::input::PostBody;
use crate::forum::{posts, threads};
use crate::permissions::{check, check_platform, Action, PlatformAction};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QuerySelect};

/// A reply: its Markdown, and the post it answers (none: the opening post).
pub struct NewReply {
    pub body: String,
    pub parent_id: Option<i32>,
}

pub struct Replied {
    pub post: post::Model,
    /// The post asked for, when the reply was attached to its ancestor instead because it
    /// sat at the deepest allowed level.
    pub requested_parent_id: Option<i32>,
}

/// Replies in a thread. The Markdown is rendered before the transaction begins, off the
/// request workers; the reply, the thread's activity, the outbox row and the notifications
/// are written together.
pub async fn reply(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
    new: NewReply,
) -> Result<Replied, ApiError> {
    let (thread, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(
        &app.db,
        viewer,
        &space,
        Action::Reply {
            thread_locked: thread.locked,
        },
    )
    .await?;
    let text = PostBody::parse(&new.body, app.settings.limits.post_chars)?;
    let asked = match new.parent_id {
        Some(pid) => post::Entity::find_by_id(pid)
            .one(&app.db)
            .await?
            .filter(|p| p.thread_id == thread.id)
            .ok_or_else(|| {
                ApiError::validation("parent_id", "parent_id is not a post of this thread")
            })?,
        None => posts::opening_post(&app.db, thread.id)
            .await?
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("thread {} has no opening post", thread.id))
            })?,
    };
    let asked_id = asked.id;
    let parent = posts::attach_point(&app.db, asked, app.settings.limits.reply_depth).await?;
    let rendered = app.render(text).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let created = posts::reply(&txn, &thread, &parent, viewer.id, &rendered, now).await?;
    crate::notifications::enqueue_for_reply(
        &txn,
        &thread,
        &created,
        parent.author_id,
        now,
        app.settings.digest.notify_batch_seconds,
    )
    .await?;
    txn.commit().await?;
    app.search.changed();
    Ok(Replied {
        requested_parent_id: (parent.id != asked_id).then_some(asked_id),
        post: created,
    })
}

/// A post and where it is, whoever asks.
async fn find(
    db: &impl ConnectionTrait,
    post_id: i32,
) -> Result<(post::Model, thread::Model, space::Model), ApiError> {
    let found = post::Entity::find_by_id(post_id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let (t, s) = threads::find_with_space(db, found.thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((found, t, s))
}

/// One post the viewer may read (a deleted one as it is stored: shape it as a placeholder).
pub async fn read(app: &AppState, viewer: &Viewer, post_id: i32) -> Result<post::Model, ApiError> {
    let (found, _thread, space) = find(&app.db, post_id).await?;
    check(&app.db, viewer, &space, Action::Read).await?;
    Ok(found)
}

/// The earlier texts of a post, oldest first; once it is deleted, only admins see them.
pub async fn revisions(
    app: &AppState,
    viewer: &Viewer,
    post_id: i32,
) -> Result<Vec<posts::RevisionView>, ApiError> {
    let found = read(app, viewer, post_id).await?;
    if found.deleted_at.is_some() {
        check_platform(viewer, PlatformAction::ReadDeletedRevisions)?;
    }
    Ok(posts::revisions(&app.db, found.id).await?)
}

/// The post if the viewer may edit or delete it (and it is not deleted already), with
/// whether it is their own.
async fn changeable(
    app: &AppState,
    viewer: &Viewer,
    post_id: i32,
) -> Result<(post::Model, bool), ApiError> {
    let (found, thread, space) = find(&app.db, post_id).await?;
    let own = found.author_id == viewer.id;
    check(
        &app.db,
        viewer,
        &space,
        Action::ChangePost {
            own,
            thread_locked: thread.locked,
        },
    )
    .await?;
    Ok((not_deleted(found)?, own))
}

fn not_deleted(p: post::Model) -> Result<post::Model, ApiError> {
    match p.deleted_at {
        Some(_) => Err(ApiError::Conflict("this post has been deleted".into())),
        None => Ok(p),
    }
}

/// A post the viewer may edit or delete, for the edit and delete forms.
pub async fn for_change(
    app: &AppState,
    viewer: &Viewer,
    post_id: i32,
) -> Result<post::Model, ApiError> {
    Ok(changeable(app, viewer, post_id).await?.0)
}

/// Renders Markdown as a post would be rendered, without saving anything: the preview. At most
/// two of one person's previews render at once (429 past that), so nobody can keep the
/// rendering pool busy with previews that leave no trace.
pub async fn preview(app: &AppState, viewer: &Viewer, body: &str) -> Result<String, ApiError> {
    let _slot = app
        .previews
        .try_start(viewer.id)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: 1,
        })?;
    let text = PostBody::parse(body, app.settings.limits.post_chars)?;
    Ok(app.render(text).await?.html)
}

/// Replaces a post's text, keeping the old one as a revision. A moderator's edit of someone
/// else's post is audited.
pub async fn edit(
    app: &AppState,
    viewer: &Viewer,
    post_id: i32,
    body: &str,
) -> Result<post::Model, ApiError> {
    let (found, own) = changeable(app, viewer, post_id).await?;
    let text = PostBody::parse(body, app.settings.limits.post_chars)?;
    let rendered = app.render(text).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let current = still_changeable(&txn, found.id).await?;
    let updated = posts::edit(&txn, &current, viewer.id, &rendered, now).await?;
    if !own {
        moderation_audit(&txn, viewer, "post.edit", found.id, now).await?;
    }
    txn.commit().await?;
    app.search.changed();
    Ok(updated)
}

/// Soft-deletes a post; the tree keeps a placeholder. A moderator's delete is audited.
pub async fn delete(app: &AppState, viewer: &Viewer, post_id: i32) -> Result<(), ApiError> {
    let (found, own) = changeable(app, viewer, post_id).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let found = still_changeable(&txn, found.id).await?;
    posts::soft_delete(&txn, &found, viewer.id, now).await?;
    super::documents::withdraw_attachments(&txn, found.id, now).await?;
    if !own {
        moderation_audit(&txn, viewer, "post.delete", found.id, now).await?;
    }
    txn.commit().await?;
    app.search.changed();
    Ok(())
}

/// The post as it is now, locked until the transaction ends, so that two edits made at once
/// each keep the text the other replaced, and nothing changes a post deleted meanwhile.
async fn still_changeable(
    txn: &DatabaseTransaction,
    post_id: i32,
) -> Result<post::Model, ApiError> {
    let current = post::Entity::find_by_id(post_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(ApiError::not_found)?;
    not_deleted(current)
}

async fn moderation_audit(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    action: &str,
    post_id: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
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
    .await
}
