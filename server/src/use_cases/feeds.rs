//! Atom feeds of a space and of a saved search, for feed readers that cannot sign in: each
//! person's feed links carry a token (`auth::feed_tokens`) and the feed holds only what that
//! person may read, decided by the same use cases as the pages. A feed leaves the platform as
//! an email does, so OFFICIAL-SENSITIVE threads appear only as a link, never with a title or
//! text.
use crate::audit::{self, AuditEntry};
use crate::auth::feed_tokens::FeedKey;
use crate::auth::Viewer;
use crate::db::entities::user;
use crate::error::ApiError;
use crate::state::AppState;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The viewer's feed token, if they have asked for feed links (reading never makes one).
pub async fn token(app: &AppState, viewer: &Viewer) -> Result<Option<String>, ApiError> {
    let account = user::Entity::find_by_id(viewer.id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(account
        .feed_secret
        .map(|secret| app.keys.feeds.token(viewer.id, &secret)))
}

/// Makes the viewer's feed links, or new ones that cut off every link given out before.
pub async fn reset(app: &AppState, viewer: &Viewer) -> Result<(), ApiError> {
    let account = user::Entity::find_by_id(viewer.id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let txn = crate::db::begin_write(&app.db).await?;
    let mut active: user::ActiveModel = account.into();
    active.feed_secret = Set(Some(new_secret()));
    active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "feeds.reset",
            target_type: "user",
            target_id: Some(viewer.id),
            detail: serde_json::json!({}),
        },
        Utc::now(),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The person a feed token stands for: enabled, with the secret the token was made with. Any
/// other token is "not found", whatever is wrong with it.
pub async fn reader(app: &AppState, token: &str) -> Result<Viewer, ApiError> {
    let id = FeedKey::claimed_user(token).ok_or_else(ApiError::not_found)?;
    let account = user::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(ApiError::not_found)?;
    let secret = account
        .feed_secret
        .as_deref()
        .ok_or_else(ApiError::not_found)?;
    if !app.keys.feeds.verify(token, id, secret) {
        return Err(ApiError::not_found());
    }
    let role = account
        .role
        .parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("user {id} has a bad role: {e}")))?;
    Ok(Viewer {
        id,
        email: account.email,
        display_name: account.display_name,
        role,
        organisation_id: account.organisation_id,
        session_id: String::new(),
        memberships: None,
        signed_in_at: None,
    })
}

/// A space's latest threads for its feed: only a space the reader may read as a member of its
/// audience (an admin's reach into other spaces stays on the platform).
pub async fn space_listing(
    app: &AppState,
    reader: &Viewer,
    slug: &str,
    limit: u64,
) -> Result<crate::use_cases::threads::Listing, ApiError> {
    let member_of =
        crate::permissions::readable_spaces(&app.db, &crate::permissions::Subject::from(reader))
            .await?
            .into_iter()
            .any(|r| !r.as_admin && r.space.slug == slug);
    if !member_of {
        return Err(ApiError::not_found());
    }
    crate::use_cases::threads::listing(app, reader, slug, None, None, limit).await
}
