//! What the home page shows someone: their spaces, and what is going on in them.
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::forum::threads::{self, Recent, ThreadSummary};
use crate::permissions::{decide, readable_spaces, Action, Subject};
use crate::state::AppState;

pub struct SpaceCard {
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
    pub pinned: Vec<ThreadSummary>,
    pub latest: Vec<ThreadSummary>,
    pub endorsed: Vec<ThreadSummary>,
}

/// The viewer's spaces, and the pinned, latest and newly endorsed threads in those whose
/// audience they belong to (an admin's reach into other spaces is not listed here, so nothing
/// is shown that would have to be audited as a read).
pub async fn overview(app: &AppState, viewer: &Viewer) -> Result<Home, ApiError> {
    let subject = Subject::from(viewer);
    let readable = readable_spaces(&app.db, &subject).await?;
    let mine: Vec<(i32, String)> = readable
        .iter()
        .filter(|r| !r.as_admin)
        .map(|r| (r.space.id, r.space.slug.clone()))
        .collect();
    let spaces = readable
        .into_iter()
        .map(|r| SpaceCard {
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
        pinned: threads::recent(&app.db, &mine, Recent::Pinned, 5).await?,
        latest: threads::recent(&app.db, &mine, Recent::Active, 10).await?,
        endorsed: threads::recent(&app.db, &mine, Recent::Endorsed, 5).await?,
    })
}
