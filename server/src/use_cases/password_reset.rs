//! Forgotten passwords: a single-use link by email that lets the person choose a new one.
//! Asking answers the same whether or not the address has an account (nobody learns who is a
//! member), at most one link is sent per account a minute, and using the link ends every
//! session of the account, as a password change does.
use crate::accounts::find_user;
use crate::audit::{self, AuditEntry};
use crate::auth::{password, random_token, sessions, token_hash};
use crate::db::entities::{password_reset, user};
use crate::domain::Email;
use crate::error::ApiError;
use crate::mail::Outgoing;
use crate::state::AppState;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

/// How long a reset link works.
pub const LINK_MINUTES: i64 = 60;
/// The least time between two links for one account.
const RESEND_SECONDS: i64 = 60;
/// The most links sent in a minute, for everyone together: someone asking for links for many
/// addresses cannot flood members' mailboxes.
const LINKS_A_MINUTE: u64 = 20;

/// Sends a reset link to `email` if it is an enabled account's address; otherwise does
/// nothing. Either way the caller tells the person the same thing.
pub async fn request(app: &AppState, email: &str) -> Result<(), ApiError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(account) = find_user(&app.db, &email).await?.filter(|u| !u.disabled) else {
        return Ok(());
    };
    let now = Utc::now();
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(account.id))
        .filter(password_reset::Column::CreatedAt.gt(now - Duration::seconds(RESEND_SECONDS)))
        .one(&app.db)
        .await?;
    if recent.is_some() {
        return Ok(());
    }
    let sent_lately = password_reset::Entity::find()
        .filter(password_reset::Column::CreatedAt.gt(now - Duration::seconds(RESEND_SECONDS)))
        .count(&app.db)
        .await?;
    if sent_lately >= LINKS_A_MINUTE {
        tracing::warn!("password reset links are being asked for faster than {LINKS_A_MINUTE} a minute; not sending");
        return Ok(());
    }
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(&app.db)
        .await?;
    let token = random_token();
    password_reset::ActiveModel {
        user_id: Set(account.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(LINK_MINUTES)),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    let link = format!("{}/password/reset/{token}", app.settings.public_url());
    // Sent after the answer, so that an address with an account is not told apart from one
    // without by how long the answer takes.
    let mailer = app.mailer.clone();
    let user_id = account.id;
    let mail = Outgoing {
        to: account.email.clone(),
        subject: "OFFICIAL: Reset your Roundtable password".into(),
        text: format!(
            "Someone asked to reset the password of your Roundtable account.\n\n\
                 To choose a new password, open this link within {LINK_MINUTES} minutes \
                 (it works once):\n\n{link}\n\n\
                 If it was not you, ignore this email: your password stays as it is.\n"
        ),
        ..Default::default()
    };
    tokio::spawn(async move {
        if let Err(e) = mailer.send(mail).await {
            tracing::error!(error = %e, user_id, "sending a password reset link failed");
        }
    });
    Ok(())
}

/// Whether a reset link can still be used: `Gone` when used or expired, `NotFound` when it
/// was never ours.
pub async fn open(app: &AppState, token: &str) -> Result<password_reset::Model, ApiError> {
    let found = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash(token)))
        .one(&app.db)
        .await?
        .ok_or_else(|| ApiError::NotFound("this reset link is not valid".into()))?;
    if found.used_at.is_some() || found.expires_at <= Utc::now() {
        return Err(ApiError::Gone(
            "this reset link has been used or has expired".into(),
        ));
    }
    Ok(found)
}

/// Sets the new password, uses the link up (once, even when two tabs race) and ends every
/// session of the account.
pub async fn complete(app: &AppState, token: &str, new_password: &str) -> Result<(), ApiError> {
    password::check_strength(new_password).map_err(|m| ApiError::validation("password", m))?;
    let found = open(app, token).await?;
    let owned = new_password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
        .await
        .map_err(anyhow::Error::new)??;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let marked = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(found.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if marked.rows_affected != 1 {
        return Err(ApiError::Gone(
            "this reset link has been used or has expired".into(),
        ));
    }
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
        .filter(user::Column::Id.eq(found.user_id))
        .exec(&txn)
        .await?;
    sessions::revoke_all(&txn, found.user_id, now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(found.user_id),
            action: "user.password_reset",
            target_type: "user",
            target_id: Some(found.user_id),
            detail: serde_json::json!({}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    if let Some(account) = user::Entity::find_by_id(found.user_id).one(&app.db).await? {
        tell_of_change(app, &account.email);
    }
    Ok(())
}

/// Tells the account's owner that its password changed, so that a change they did not make
/// does not go unnoticed. Sent after the change, in the background: a mail failure is logged,
/// never undoes the change.
pub fn tell_of_change(app: &AppState, email: &str) {
    send_notice(
        app,
        email,
        "OFFICIAL: Your Roundtable password has changed",
        format!(
            "The password of your Roundtable account was changed, and every device signed \
             in to it was signed out.\n\n\
             If you did this, there is nothing more to do.\n\n\
             If you did not, choose a new password at once at {}/password/forgot and tell \
             your Roundtable administrator.\n",
            app.settings.public_url()
        ),
    );
}

/// Mails a security notice to `email` in the background: a failure is logged, and never
/// undoes the change it tells of.
pub fn send_notice(app: &AppState, email: &str, subject: &str, text: String) {
    let mailer = app.mailer.clone();
    let mail = Outgoing {
        to: email.to_string(),
        subject: subject.to_string(),
        text,
        ..Default::default()
    };
    tokio::spawn(async move {
        if let Err(e) = mailer.send(mail).await {
            tracing::error!(error = %e, "sending a security notice failed");
        }
    });
}
