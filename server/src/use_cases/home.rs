//! What the home page shows someone: their spaces, and what is going on in them.
use crate::auth::Viewer;
use crate::cache::lists::{HomeLists, UnreadAnswer, UnreadQuestion};
use crate::error::ApiError;
use crate::forum::threads::{self, Recent};
use crate::permissions::{decide, Action, Subject};
use crate::state::AppState;
use crate::use_cases::unread;
use std::sync::Arc;

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
    /// The pinned, latest and newly endorsed threads, shared with everyone with these spaces.
    pub lists: Arc<HomeLists>,
    /// The viewer's threads with replies they have not read (`new_replies`), and which
    /// threads listed here they have not read (`unread`).
    pub marks: Arc<UnreadAnswer>,
}

/// The viewer's spaces, and the pinned, latest and newly endorsed threads in those whose
/// audience they belong to (an admin's reach into other spaces is not listed here, so nothing
/// is shown that would have to be audited as a read). The lists are the same for everyone with
/// the same spaces and the unread marks are the viewer's: both come from this process's
/// caches when nothing they were read from has changed.
pub async fn overview(app: &AppState, viewer: &Viewer) -> Result<Home, ApiError> {
    let subject = Subject::from(viewer);
    let readable = crate::permissions::readable_by_viewer(app, viewer).await?;
    let mine: Vec<(i32, String)> = readable
        .iter()
        .filter(|r| !r.as_admin)
        .map(|r| (r.space.id, r.space.slug.clone()))
        .collect();
    let lists = home_lists(app, &mine).await?;
    let listed: Vec<i32> = lists
        .pinned
        .iter()
        .chain(&lists.latest)
        .chain(&lists.endorsed)
        .map(|t| t.id)
        .collect();
    let marks = unread::answer(
        app,
        viewer,
        UnreadQuestion::Home {
            spaces: mine,
            listed,
        },
    )
    .await?;
    let spaces = readable
        .into_iter()
        .map(|r| SpaceCard {
            unread: marks.counts.get(&r.space.id).copied().unwrap_or(0),
            can_post: decide(&subject, &r.access, Action::StartThread).allowed(),
            slug: r.space.slug,
            name: r.space.name,
            description: r.space.description,
            as_admin: r.as_admin,
            archived: r.space.archived,
        })
        .collect();
    Ok(Home {
        spaces,
        lists,
        marks,
    })
}

/// The pinned, latest and newly endorsed threads across `spaces` (id and slug).
async fn home_lists(app: &AppState, spaces: &[(i32, String)]) -> Result<Arc<HomeLists>, ApiError> {
    let cache = &app.caches.lists.home;
    let key: Vec<i32> = spaces.iter().map(|(id, _)| *id).collect();
    cache
        .get_or_load(key, async {
            Ok(Arc::new(HomeLists {
                pinned: threads::recent(&app.db, spaces, Recent::Pinned, 5).await?,
                latest: threads::recent(&app.db, spaces, Recent::Active, 10).await?,
                endorsed: threads::recent(&app.db, spaces, Recent::Endorsed, 5).await?,
                rows: Default::default(),
            }))
        })
        .await
}
