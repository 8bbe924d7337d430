//! Inviting people, disabling accounts and changing one's password. Accepting an invitation
//! needs no viewer and is `accounts::accept_invitation`.
use crate::accounts::{self, Invitation, NewInvitation};
use crate::auth::{login_throttle, password, sessions, Viewer};
use crate::db::entities::user;
use crate::domain::{Email, Role};
use crate::error::ApiError;
use crate::permissions::{check_platform, PlatformAction};
use crate::state::AppState;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

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

/// Checks the viewer's own password before a sensitive act. It is counted and throttled as a
/// sign-in from `client_addr`, and a wrong one is audited as a failed sign-in and answered as a
/// wrong `field`.
pub async fn check_own_password(
    app: &AppState,
    viewer: &Viewer,
    client_addr: &str,
    candidate: String,
    field: &str,
) -> Result<user::Model, ApiError> {
    let now = Utc::now();
    let account_key = viewer.email.to_lowercase();
    let throttle = &app.login_throttle;
    if let Some(retry_after_secs) =
        login_throttle::wait_before_attempt(&app.db, throttle, &account_key, client_addr, now)
            .await?
    {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let account = user::Entity::find_by_id(viewer.id)
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("sign in to continue".into()))?;
    let stored = account.password_hash.clone();
    // Counted before the slow check, so parallel guesses are counted while they run.
    login_throttle::count_attempt(&app.db, throttle, &account_key, client_addr, now).await?;
    let ok = tokio::task::spawn_blocking(move || password::verify(&candidate, stored.as_deref()))
        .await
        .map_err(anyhow::Error::new)?;
    if !ok {
        login_throttle::audit_failure(&app.db, &account_key, client_addr, Some(viewer.id), now)
            .await?;
        return Err(ApiError::validation(field, "the password is not right"));
    }
    login_throttle::record_success(&app.db, &account_key, client_addr).await?;
    Ok(account)
}

/// Changes the viewer's password and ends every session of theirs, this one included. A wrong
/// current password counts as a failed sign-in from `client_addr`, and is audited.
pub async fn change_password(
    app: &AppState,
    viewer: &Viewer,
    client_addr: &str,
    current: String,
    new: String,
) -> Result<(), ApiError> {
    let now = Utc::now();
    password::check_strength(&new).map_err(|m| ApiError::validation("new_password", m))?;
    let account = check_own_password(app, viewer, client_addr, current, "current_password").await?;
    let hash = tokio::task::spawn_blocking(move || password::hash(&new))
        .await
        .map_err(anyhow::Error::new)??;
    let txn = crate::db::begin_write(&app.db).await?;
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(Some(hash));
    active.update(&txn).await?;
    sessions::revoke_all(&txn, viewer.id, now).await?;
    sessions::withdraw_standing_links(&txn, viewer.id, now).await?;
    txn.commit().await?;
    crate::use_cases::password_reset::tell_of_change(app, &viewer.email);
    Ok(())
}
