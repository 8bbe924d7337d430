//! Threads: start one (with its opening post), list a space's threads, show one as a tree,
//! and change its settings.
use super::input::{RenderedBody, Title};
use super::people::{authors, AuthorView};
use super::tags::{set_thread_tags, tags_of};
use super::tree::{reading_order, TreeNode};
use crate::db::entities::{post, space, thread};
use crate::domain::{Marking, TagList};
use crate::outbox::{self, Change};
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

pub struct NewThread {
    pub title: Title,
    pub body: RenderedBody,
    pub tags: TagList,
    pub marking: Marking,
}

/// Creates the thread, its opening post, tags and outbox rows. Returns (thread id, post id).
pub async fn start(
    db: &impl ConnectionTrait,
    space_id: i32,
    author_id: i32,
    new: NewThread,
    now: DateTime<Utc>,
) -> Result<(i32, i32), sea_orm::DbErr> {
    let created = thread::ActiveModel {
        space_id: Set(space_id),
        title: Set(new.title.as_str().to_string()),
        author_id: Set(author_id),
        marking: Set(new.marking.as_str().to_string()),
        pinned: Set(false),
        locked: Set(false),
        best_practice: Set(false),
        post_count: Set(1),
        created_at: Set(now),
        last_activity_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let opening = post::ActiveModel {
        thread_id: Set(created.id),
        parent_id: Set(None),
        author_id: Set(author_id),
        depth: Set(0),
        body_html: Set(new.body.html),
        body_text: Set(Some(new.body.text)),
        body_markdown: Set(new.body.markdown),
        created_at: Set(now),
        edited_at: Set(None),
        deleted_at: Set(None),
        deleted_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    set_thread_tags(db, created.id, &new.tags).await?;
    outbox::record(db, Change::Thread(created.id), now).await?;
    outbox::record(db, Change::Post(opening.id), now).await?;
    Ok((created.id, opening.id))
}

/// The thread and the space it is in.
pub async fn find_with_space(
    db: &impl ConnectionTrait,
    thread_id: i32,
) -> Result<Option<(thread::Model, space::Model)>, sea_orm::DbErr> {
    let found = thread::Entity::find_by_id(thread_id)
        .find_also_related(space::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(t, s)| s.map(|s| (t, s))))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadSummary {
    pub id: i32,
    pub space: String,
    pub title: String,
    pub author: Option<AuthorView>,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    pub tags: Vec<String>,
    pub pinned: bool,
    pub locked: bool,
    pub best_practice: bool,
    /// Live posts, the opening post included.
    pub post_count: i32,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
}

/// One page of a space's threads, pinned first then most recently active, with the cursor
/// for the next page. Keyset paging: every page costs the same.
pub async fn list(
    db: &impl ConnectionTrait,
    in_space: &space::Model,
    cursor: Option<&ThreadCursor>,
    tagged: Option<&str>,
    limit: u64,
) -> Result<(Vec<ThreadSummary>, Option<String>), sea_orm::DbErr> {
    let mut query = thread::Entity::find().filter(thread::Column::SpaceId.eq(in_space.id));
    if let Some(name) = tagged {
        query = query.filter(thread::Column::Id.in_subquery(super::tags::threads_tagged(name)));
    }
    if let Some(c) = cursor {
        let at = Utc.timestamp_nanos(c.last_activity_nanos);
        query = query.filter(
            Condition::any()
                .add(thread::Column::Pinned.lt(c.pinned))
                .add(
                    Condition::all()
                        .add(thread::Column::Pinned.eq(c.pinned))
                        .add(thread::Column::LastActivityAt.lt(at)),
                )
                .add(
                    Condition::all()
                        .add(thread::Column::Pinned.eq(c.pinned))
                        .add(thread::Column::LastActivityAt.eq(at))
                        .add(thread::Column::Id.lt(c.id)),
                ),
        );
    }
    let mut rows = query
        .order_by(thread::Column::Pinned, Order::Desc)
        .order_by(thread::Column::LastActivityAt, Order::Desc)
        .order_by(thread::Column::Id, Order::Desc)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|t| ThreadCursor::after(t).encode())
    } else {
        None
    };
    let summaries = summarise(db, &in_space.slug, rows).await?;
    Ok((summaries, next))
}

/// Which of the given spaces' threads `recent` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recent {
    /// Most recently active first.
    Active,
    /// Pinned threads, most recently active first.
    Pinned,
    /// Endorsed best practice, most recently endorsed first.
    Endorsed,
}

/// Up to `limit` threads across `spaces` (id and slug), for the home page.
pub async fn recent(
    db: &impl ConnectionTrait,
    spaces: &[(i32, String)],
    which: Recent,
    limit: u64,
) -> Result<Vec<ThreadSummary>, sea_orm::DbErr> {
    if spaces.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = spaces.iter().map(|(id, _)| *id).collect();
    let mut query = thread::Entity::find().filter(thread::Column::SpaceId.is_in(ids));
    query = match which {
        Recent::Active => query.order_by(thread::Column::LastActivityAt, Order::Desc),
        Recent::Pinned => query
            .filter(thread::Column::Pinned.eq(true))
            .order_by(thread::Column::LastActivityAt, Order::Desc),
        Recent::Endorsed => query
            .filter(thread::Column::BestPractice.eq(true))
            .order_by(thread::Column::BestPracticeAt, Order::Desc),
    };
    let rows = query
        .order_by(thread::Column::Id, Order::Desc)
        .limit(limit)
        .all(db)
        .await?;
    summaries_in(db, spaces, rows).await
}

/// Threads (rows of `spaces`, given as id and slug) with their tags and author.
pub async fn summaries_in(
    db: &impl ConnectionTrait,
    spaces: &[(i32, String)],
    rows: Vec<thread::Model>,
) -> Result<Vec<ThreadSummary>, sea_orm::DbErr> {
    let slug_of: std::collections::HashMap<i32, &str> =
        spaces.iter().map(|(id, s)| (*id, s.as_str())).collect();
    let slugs: Vec<String> = rows
        .iter()
        .map(|t| {
            slug_of
                .get(&t.space_id)
                .copied()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut out = summarise(db, "", rows).await?;
    for (summary, slug) in out.iter_mut().zip(slugs) {
        summary.space = slug;
    }
    Ok(out)
}

/// Threads with their space, tags and author, in the order given.
async fn summarise(
    db: &impl ConnectionTrait,
    space_slug: &str,
    rows: Vec<thread::Model>,
) -> Result<Vec<ThreadSummary>, sea_orm::DbErr> {
    let ids: Vec<i32> = rows.iter().map(|t| t.id).collect();
    let tags = tags_of(db, &ids).await?;
    let people = authors(db, rows.iter().map(|t| t.author_id)).await?;
    Ok(rows
        .into_iter()
        .map(|t| ThreadSummary {
            id: t.id,
            space: space_slug.to_string(),
            author: people.get(&t.author_id).cloned(),
            tags: tags.get(&t.id).cloned().unwrap_or_default(),
            title: t.title,
            marking: t.marking,
            pinned: t.pinned,
            locked: t.locked,
            best_practice: t.best_practice,
            post_count: t.post_count,
            created_at: t.created_at,
            last_activity_at: t.last_activity_at,
        })
        .collect())
}

/// Position after a thread in the space listing's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadCursor {
    pinned: bool,
    last_activity_nanos: i64,
    id: i32,
}

impl ThreadCursor {
    fn after(t: &thread::Model) -> Self {
        ThreadCursor {
            pinned: t.pinned,
            last_activity_nanos: t.last_activity_at.timestamp_nanos_opt().unwrap_or(i64::MAX),
            id: t.id,
        }
    }

    pub fn encode(&self) -> String {
        let raw = format!(
            "{}.{}.{}",
            u8::from(self.pinned),
            self.last_activity_nanos,
            self.id
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let mut parts = raw.split('.');
        let pinned = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let last_activity_nanos = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(ThreadCursor {
            pinned,
            last_activity_nanos,
            id,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostView {
    pub id: i32,
    pub thread_id: i32,
    pub parent_id: Option<i32>,
    /// 0 for the opening post, 1 for a reply to it, and so on.
    pub depth: usize,
    /// Null once the post is deleted.
    pub author: Option<AuthorView>,
    /// Sanitised HTML; empty once the post is deleted.
    pub body_html: String,
    /// The Markdown source, for editing: given by the single-post endpoints, left out of the
    /// thread view to keep it small. Empty once the post is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpaceRef {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThreadView {
    #[serde(flatten)]
    pub summary: ThreadSummary,
    pub space_name: String,
    /// Whether the viewer may reply now.
    pub can_reply: bool,
    /// Whether the viewer may pin, lock, endorse or move the thread, and edit or delete
    /// anyone's post in it.
    pub can_moderate: bool,
    /// Whether the viewer may edit or delete their own posts here now.
    pub can_edit_own: bool,
    pub posts: Vec<PostView>,
    /// Documents shared with the thread's live posts, newest first.
    pub attachments: Vec<crate::use_cases::documents::DocumentSummary>,
}

/// What the viewer may do in a thread, as the permission module decided.
#[derive(Debug, Clone, Copy, Default)]
pub struct Abilities {
    pub reply: bool,
    pub moderate: bool,
    pub change_own: bool,
}

/// What a thread's page shows of a post: not its Markdown or its plain text, which would
/// triple what an uncached thread's load reads from the database.
#[derive(Debug, Clone, sea_orm::DerivePartialModel)]
#[sea_orm(entity = "post::Entity")]
pub struct ShownPost {
    pub id: i32,
    pub thread_id: i32,
    pub parent_id: Option<i32>,
    pub author_id: i32,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<&post::Model> for ShownPost {
    fn from(p: &post::Model) -> Self {
        ShownPost {
            id: p.id,
            thread_id: p.thread_id,
            parent_id: p.parent_id,
            author_id: p.author_id,
            body_html: p.body_html.clone(),
            created_at: p.created_at,
            edited_at: p.edited_at,
            deleted_at: p.deleted_at,
        }
    }
}

impl TreeNode for ShownPost {
    fn id(&self) -> i32 {
        self.id
    }
    fn parent_id(&self) -> Option<i32> {
        self.parent_id
    }
}

/// The whole thread in reading order.
pub async fn view(
    db: &impl ConnectionTrait,
    t: thread::Model,
    in_space: &space::Model,
    may: Abilities,
) -> Result<ThreadView, sea_orm::DbErr> {
    let posts = post::Entity::find()
        .filter(post::Column::ThreadId.eq(t.id))
        .order_by_asc(post::Column::Id)
        .into_partial_model::<ShownPost>()
        .all(db)
        .await?;
    let people = authors(db, posts.iter().map(|p| p.author_id).chain([t.author_id])).await?;
    let tags = tags_of(db, &[t.id])
        .await?
        .remove(&t.id)
        .unwrap_or_default();
    let ordered = reading_order(&posts)
        .into_iter()
        .map(|(i, depth)| post_view(&posts[i], depth, &people, None))
        .collect();
    Ok(ThreadView {
        summary: ThreadSummary {
            id: t.id,
            space: in_space.slug.clone(),
            author: people.get(&t.author_id).cloned(),
            tags,
            title: t.title,
            marking: t.marking,
            pinned: t.pinned,
            locked: t.locked,
            best_practice: t.best_practice,
            post_count: t.post_count,
            created_at: t.created_at,
            last_activity_at: t.last_activity_at,
        },
        space_name: in_space.name.clone(),
        can_reply: may.reply,
        can_moderate: may.moderate,
        can_edit_own: may.change_own,
        posts: ordered,
        attachments: Vec::new(),
    })
}

/// A post as shown, with its Markdown when `markdown` is given (for the one who may edit it).
pub fn post_view(
    p: &ShownPost,
    depth: usize,
    people: &std::collections::HashMap<i32, AuthorView>,
    markdown: Option<&str>,
) -> PostView {
    let deleted = p.deleted_at.is_some();
    PostView {
        id: p.id,
        thread_id: p.thread_id,
        parent_id: p.parent_id,
        depth,
        author: if deleted {
            None
        } else {
            people.get(&p.author_id).cloned()
        },
        body_html: if deleted {
            String::new()
        } else {
            p.body_html.clone()
        },
        body_markdown: markdown.map(|m| {
            if deleted {
                String::new()
            } else {
                m.to_string()
            }
        }),
        deleted,
        created_at: p.created_at,
        edited_at: p.edited_at,
    }
}

/// Changes to a thread's settings; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ThreadChanges {
    pub title: Option<Title>,
    pub tags: Option<TagList>,
    pub marking: Option<Marking>,
    pub pinned: Option<bool>,
    pub locked: Option<bool>,
    pub best_practice: Option<bool>,
    /// Move the thread to another space.
    pub space_id: Option<i32>,
}

pub async fn change(
    db: &impl ConnectionTrait,
    t: &thread::Model,
    changes: &ThreadChanges,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let mut update = thread::Entity::update_many().filter(thread::Column::Id.eq(t.id));
    let mut any = false;
    if let Some(title) = &changes.title {
        update = update.col_expr(thread::Column::Title, Expr::value(title.as_str()));
        any = true;
    }
    if let Some(marking) = changes.marking {
        update = update.col_expr(thread::Column::Marking, Expr::value(marking.as_str()));
        any = true;
    }
    if let Some(space_id) = changes.space_id {
        update = update.col_expr(thread::Column::SpaceId, Expr::value(space_id));
        any = true;
    }
    if let Some(endorsed) = changes.best_practice {
        if endorsed != t.best_practice {
            let at: Option<DateTime<Utc>> = endorsed.then_some(now);
            update = update.col_expr(thread::Column::BestPracticeAt, Expr::value(at));
        }
    }
    for (flag, column) in [
        (changes.pinned, thread::Column::Pinned),
        (changes.locked, thread::Column::Locked),
        (changes.best_practice, thread::Column::BestPractice),
    ] {
        if let Some(value) = flag {
            update = update.col_expr(column, Expr::value(value));
            any = true;
        }
    }
    if any {
        update.exec(db).await?;
    }
    let moved = changes.space_id.filter(|s| *s != t.space_id);
    let raised = changes
        .marking
        .filter(|m| t.marking.parse::<Marking>().map_or(true, |old| *m > old));
    crate::use_cases::documents::follow_thread(db, t.id, moved, raised, now).await?;
    if let Some(tags) = &changes.tags {
        set_thread_tags(db, t.id, tags).await?;
        any = true;
    }
    if any {
        outbox::record(db, Change::Thread(t.id), now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = ThreadCursor {
            pinned: true,
            last_activity_nanos: 1_700_000_000_123_456,
            id: 42,
        };
        assert_eq!(ThreadCursor::decode(&c.encode()), Some(c));
        assert_eq!(ThreadCursor::decode("not a cursor"), None);
        assert_eq!(ThreadCursor::decode(""), None);
    }
}
