//! What the home page shows someone: their spaces, and what is going on in them.
use crate::accounts;
use crate::auth::Viewer;
use crate::db::entities::thread;
use crate::error::ApiError;
use crate::forum::threads::{self, Recent, ThreadSummary};
use crate::forum::unread;
use crate::permissions::{decide, Action, Subject};
use crate::state::AppState;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub struct SpaceCard {
    /// Threads active since the viewer last read them.
    pub unread: u64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub can_post: bool,
    /// Readable only because the viewer is an admin outside its audience.
    pub as_admin: bool,
    pub archived: bool,
}

pub struct Home {
    pub spaces: Vec<SpaceCard>,
    /// Threads the viewer posted in with replies they have not read.
    pub new_replies: Vec<ThreadSummary>,
    /// Which threads listed here the viewer has not read.
    pub unread: std::collections::HashSet<i32>,
    pub pinned: Vec<ThreadSummary>,
    pub latest: Vec<ThreadSummary>,
    pub endorsed: Vec<ThreadSummary>,
}

/// The viewer's spaces, and the pinned, latest and newly endorsed threads in those whose
/// audience they belong to (an admin's reach into other spaces is not listed here, so nothing
/// is shown that would have to be audited as a read).
pub async fn overview(app: &AppState, viewer: &Viewer) -> Result<Home, ApiError> {
    let subject = Subject::from(viewer);
    let readable = crate::permissions::readable_by_viewer(app, viewer).await?;
    let mine: Vec<(i32, String)> = readable
        .iter()
        .filter(|r| !r.as_admin)
        .map(|r| (r.space.id, r.space.slug.clone()))
        .collect();
    let ids: Vec<i32> = mine.iter().map(|(id, _)| *id).collect();
    let since = unread::since(accounts::joined_at(&app.db, viewer.id).await?, Utc::now());
    let counts = unread::counts_by_space(&app.db, viewer.id, &ids, since).await?;
    let spaces = readable
        .into_iter()
        .map(|r| SpaceCard {
            unread: counts.get(&r.space.id).copied().unwrap_or(0),
            can_post: decide(&subject, &r.access, Action::StartThread).allowed(),
            slug: r.space.slug,
            name: r.space.name,
            description: r.space.description,
            as_admin: r.as_admin,
            archived: r.space.archived,
        })
        .collect();
    let replied = unread::with_new_replies(&app.db, viewer.id, &ids, since, 10).await?;
    let rows = thread::Entity::find()
        .filter(thread::Column::Id.is_in(replied.clone()))
        .all(&app.db)
        .await?;
    let mut new_replies = threads::summaries_in(&app.db, &mine, rows).await?;
    new_replies.sort_by_key(|t| std::cmp::Reverse(t.last_activity_at));
    let pinned = threads::recent(&app.db, &mine, Recent::Pinned, 5).await?;
    let latest = threads::recent(&app.db, &mine, Recent::Active, 10).await?;
    let endorsed = threads::recent(&app.db, &mine, Recent::Endorsed, 5).await?;
    let listed: Vec<i32> = pinned
        .iter()
        .chain(&latest)
        .chain(&endorsed)
        .map(|t| t.id)
        .collect();
    let mut unread = unread::among(&app.db, viewer.id, &ids, &listed, since).await?;
    unread.extend(replied);
    Ok(Home {
        spaces,
        new_replies,
        unread,
        pinned,
        latest,
        endorsed,
    })
}
