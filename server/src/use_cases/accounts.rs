//! Inviting people and disabling accounts. Accepting an invitation needs no viewer and is
//! `accounts::accept_invitation`, shared with nothing else.
use crate::accounts::{self, Invitation, NewInvitation};
use crate::auth::Viewer;
use crate::db::entities::user;
use crate::domain::{Email, Role};
use crate::error::ApiError;
use crate::permissions::{check_platform, PlatformAction};
use crate::state::AppState;
use chrono::Utc;
use sea_orm::EntityTrait;

/// Invites `email` as `role` into `organisation_id` (the viewer's own when `None`) and mails
/// the link. An address that already has an account is answered the same way (it is sent a
/// reminder, not a link), so inviting reveals nobody's account.
pub async fn invite(
    app: &AppState,
    viewer: &Viewer,
    email: &Email,
    role: Role,
    organisation_id: Option<i32>,
) -> Result<Invitation, ApiError> {
    let org = organisation_id.unwrap_or(viewer.organisation_id);
    check_platform(
        viewer,
        PlatformAction::Invite {
            role,
            own_organisation: org == viewer.organisation_id,
        },
    )?;
    Ok(accounts::invite(
        &app.db,
        &app.mailer,
        app.settings.public_url(),
        NewInvitation {
            email,
            role,
            organisation_id: org,
            invited_by: Some(viewer.id),
        },
        app.settings.auth.invitation_days,
        Utc::now(),
    )
    .await?)
}

/// Disables an account: every session ends at once. Admins only, never their own.
pub async fn disable(app: &AppState, viewer: &Viewer, user_id: i32) -> Result<(), ApiError> {
    check_platform(viewer, PlatformAction::DisableAccounts)?;
    let target = user::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if target.id == viewer.id {
        return Err(ApiError::validation(
            "id",
            "you cannot disable your own account",
        ));
    }
    accounts::disable_user(&app.db, Some(viewer.id), &target, Utc::now()).await?;
    Ok(())
}
