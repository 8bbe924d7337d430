//! Creating and changing spaces (admins).
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::space;
use crate::error::ApiError;
use crate::permissions::{check_platform, PlatformAction};
use crate::spaces::{self, NewSpace, SpaceChanges};
use crate::state::AppState;
use chrono::Utc;

async fn audited(
    txn: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    action: &str,
    s: &space::Model,
    now: chrono::DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    audit::record(
        txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action,
            target_type: "space",
            target_id: Some(s.id),
            detail: serde_json::json!({"slug": s.slug}),
        },
        now,
    )
    .await
}

/// Creates a space, audited. `new` reads the request once the viewer may manage spaces, so
/// nobody else learns what the rules for a space are.
pub async fn create(
    app: &AppState,
    viewer: &Viewer,
    new: impl FnOnce() -> Result<NewSpace, ApiError>,
) -> Result<space::Model, ApiError> {
    check_platform(viewer, PlatformAction::ManageSpaces)?;
    let new = new()?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let created = spaces::add(&txn, new, now).await?;
    audited(&txn, viewer, "space.create", &created, now).await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a space, audited. `changes` turns the request into changes once the space is
/// known (what "members only" means depends on what it is now).
pub async fn change(
    app: &AppState,
    viewer: &Viewer,
    slug: &str,
    changes: impl FnOnce(&space::Model) -> Result<SpaceChanges, ApiError>,
) -> Result<space::Model, ApiError> {
    check_platform(viewer, PlatformAction::ManageSpaces)?;
    let existing = spaces::find_by_slug(&app.db, slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let changes = changes(&existing)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let updated = spaces::change(&txn, existing, changes, now).await?;
    audited(&txn, viewer, "space.update", &updated, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A list of role names, each one exact name (no commas, no blanks).
pub fn roles(field: &str, names: &[String]) -> Result<crate::domain::RoleSet, ApiError> {
    for name in names {
        name.parse::<crate::domain::Role>()
            .ok()
            .filter(|_| name.trim() == name)
            .ok_or_else(|| {
                ApiError::validation(field, format!("{name:?} is not a role; use one of chief_officer, pcc, staff, supplier, admin"))
            })?;
    }
    crate::domain::RoleSet::parse(&names.join(",")).map_err(|e| ApiError::validation(field, e.0))
}

pub fn emails(names: &[String]) -> Result<Vec<crate::domain::Email>, ApiError> {
    names
        .iter()
        .map(|n| crate::domain::Email::parse(n).map_err(|e| ApiError::validation("members", e.0)))
        .collect()
}

/// A space as the admin pages show it, with its member list's addresses.
pub struct SpaceForAdmin {
    pub space: space::Model,
    pub members: Vec<String>,
}

/// Every space, for the admin pages.
pub async fn all_for_admin(app: &AppState, viewer: &Viewer) -> Result<Vec<space::Model>, ApiError> {
    check_platform(viewer, PlatformAction::ManageSpaces)?;
    Ok(spaces::all(&app.db).await?)
}

/// One space with its members' addresses, for the admin's edit form.
pub async fn one_for_admin(
    app: &AppState,
    viewer: &Viewer,
    slug: &str,
) -> Result<SpaceForAdmin, ApiError> {
    use crate::db::entities::{space_member, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    check_platform(viewer, PlatformAction::ManageSpaces)?;
    let space = spaces::find_by_slug(&app.db, slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ids: Vec<i32> = space_member::Entity::find()
        .filter(space_member::Column::SpaceId.eq(space.id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    let mut members: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    members.sort();
    Ok(SpaceForAdmin { space, members })
}
