//! What someone has not read, as the home and space pages ask it: from this process's cache,
//! or read from the database and kept until a thread, someone's access, or their own reads
//! change.
use crate::accounts;
use crate::auth::Viewer;
use crate::cache::lists::{UnreadAnswer, UnreadQuestion};
use crate::db::entities::thread;
use crate::error::ApiError;
use crate::forum::threads;
use crate::forum::unread;
use crate::state::AppState;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;

/// Threads listed under "new replies in your threads", at most.
const NEW_REPLIES: u64 = 10;

pub async fn answer(
    app: &AppState,
    viewer: &Viewer,
    question: UnreadQuestion,
) -> Result<Arc<UnreadAnswer>, ApiError> {
    let cache = &app.caches.lists.unread;
    if let Some(known) = cache.get(viewer.id, &question) {
        return Ok(known);
    }
    let ticket = cache.ticket();
    let since = unread::since(accounts::joined_at(&app.db, viewer.id).await?, Utc::now());
    let found = match &question {
        UnreadQuestion::Among { space, threads } => UnreadAnswer {
            unread: unread::among(&app.db, viewer.id, &[*space], threads, since).await?,
            ..UnreadAnswer::default()
        },
        UnreadQuestion::Home { spaces, listed } => {
            home(app, viewer.id, spaces, listed, since).await?
        }
    };
    let found = Arc::new(found);
    cache.insert(ticket, viewer.id, question, found.clone());
    Ok(found)
}

/// The home page's marks: unread threads per space, the viewer's threads with new replies,
/// and which of the listed threads are unread.
async fn home(
    app: &AppState,
    viewer_id: i32,
    spaces: &[(i32, String)],
    listed: &[i32],
    since: chrono::DateTime<Utc>,
) -> Result<UnreadAnswer, ApiError> {
    let ids: Vec<i32> = spaces.iter().map(|(id, _)| *id).collect();
    let counts = unread::counts_by_space(&app.db, viewer_id, &ids, since).await?;
    let replied = unread::with_new_replies(&app.db, viewer_id, &ids, since, NEW_REPLIES).await?;
    let rows = thread::Entity::find()
        .filter(thread::Column::Id.is_in(replied.clone()))
        .all(&app.db)
        .await?;
    let mut new_replies = threads::summaries_in(&app.db, spaces, rows).await?;
    new_replies.sort_by_key(|t| std::cmp::Reverse(t.last_activity_at));
    let mut unread = unread::among(&app.db, viewer_id, &ids, listed, since).await?;
    unread.extend(replied);
    Ok(UnreadAnswer {
        counts,
        new_replies,
        unread,
    })
}
