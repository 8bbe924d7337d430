//! Server-side sessions: every access and refresh token belongs to one, and revoking it
//! ends both at once.
use super::{random_token, token_hash};
use crate::db::entities::{retired_refresh_token, session, user};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub struct NewSession {
    pub id: String,
    pub refresh_token: String,
}

pub async fn start(
    db: &impl ConnectionTrait,
    user_id: i32,
    refresh_days: u32,
    now: DateTime<Utc>,
) -> Result<NewSession, sea_orm::DbErr> {
    let id = uuid::Uuid::new_v4().to_string();
    let refresh_token = random_token();
    session::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(user_id),
        refresh_token_hash: Set(token_hash(&refresh_token)),
        created_at: Set(now),
        refreshed_at: Set(now),
        expires_at: Set(now + Duration::days(refresh_days.into())),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(NewSession { id, refresh_token })
}

/// What presenting a refresh token led to.
pub enum Rotation {
    /// A new refresh token on the same session; the presented one stops working.
    Rotated(Box<user::Model>, NewSession),
    /// A token that rotation already replaced, presented again after the grace period: it
    /// was copied, so the session has been ended (OAuth 2.0 Security BCP).
    ReuseDetected { session_id: String, user_id: i32 },
    /// Unknown, expired, revoked, its user disabled, or a concurrent refresh of the same
    /// token within the grace period.
    Refused,
}

/// The session a refresh token currently belongs to, if it is live.
pub async fn find_by_refresh_token(
    db: &impl ConnectionTrait,
    refresh_token: &str,
    now: DateTime<Utc>,
) -> Result<Option<session::Model>, sea_orm::DbErr> {
    Ok(session::Entity::find()
        .filter(session::Column::RefreshTokenHash.eq(token_hash(refresh_token)))
        .one(db)
        .await?
        .filter(|s| s.revoked_at.is_none() && s.expires_at > now))
}

/// How refresh tokens are rotated.
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    pub refresh_days: u32,
    /// A client that sends two refreshes at once (two tabs) presents the same token twice
    /// within a moment; within this grace the loser is refused without ending the session.
    pub reuse_grace: Duration,
}

/// Swaps a refresh token for a new one on the same session. Presenting a retired token after
/// the grace period revokes its session.
pub async fn rotate(
    db: &impl ConnectionTrait,
    refresh_token: &str,
    policy: RotationPolicy,
    now: DateTime<Utc>,
) -> Result<Rotation, sea_orm::DbErr> {
    let refresh_days = policy.refresh_days;
    let hash = token_hash(refresh_token);
    let Some(found) = session::Entity::find()
        .filter(session::Column::RefreshTokenHash.eq(hash.clone()))
        .one(db)
        .await?
    else {
        return reused(db, &hash, policy.reuse_grace, now).await;
    };
    if found.revoked_at.is_some() || found.expires_at <= now {
        return Ok(Rotation::Refused);
    }
    let Some(owner) = user::Entity::find_by_id(found.user_id).one(db).await? else {
        return Ok(Rotation::Refused);
    };
    if owner.disabled {
        return Ok(Rotation::Refused);
    }
    let new_token = random_token();
    // Conditional on the old hash, so two concurrent refreshes cannot both win.
    let updated = session::Entity::update_many()
        .col_expr(
            session::Column::RefreshTokenHash,
            Expr::value(token_hash(&new_token)),
        )
        .col_expr(session::Column::RefreshedAt, Expr::value(now))
        .col_expr(
            session::Column::ExpiresAt,
            Expr::value(now + Duration::days(refresh_days.into())),
        )
        .filter(session::Column::Id.eq(found.id.clone()))
        .filter(session::Column::RefreshTokenHash.eq(hash.clone()))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(Rotation::Refused);
    }
    retired_refresh_token::Entity::delete_many()
        .filter(
            retired_refresh_token::Column::RetiredAt.lt(now - Duration::days(refresh_days.into())),
        )
        .exec(db)
        .await?;
    retired_refresh_token::ActiveModel {
        token_hash: Set(hash),
        session_id: Set(found.id.clone()),
        retired_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Rotation::Rotated(
        Box::new(owner),
        NewSession {
            id: found.id,
            refresh_token: new_token,
        },
    ))
}

/// A token not held by any session: if rotation retired it, its session ends.
async fn reused(
    db: &impl ConnectionTrait,
    hash: &str,
    grace: Duration,
    now: DateTime<Utc>,
) -> Result<Rotation, sea_orm::DbErr> {
    let Some(retired) = retired_refresh_token::Entity::find_by_id(hash.to_string())
        .one(db)
        .await?
    else {
        return Ok(Rotation::Refused);
    };
    if now - retired.retired_at < grace {
        return Ok(Rotation::Refused);
    }
    let Some(owner) = session::Entity::find_by_id(retired.session_id.clone())
        .one(db)
        .await?
    else {
        return Ok(Rotation::Refused);
    };
    revoke_one(db, &retired.session_id, now).await?;
    Ok(Rotation::ReuseDetected {
        session_id: retired.session_id,
        user_id: owner.user_id,
    })
}

/// The live session `id` and its enabled user, if both still hold.
pub async fn live_user(
    db: &impl ConnectionTrait,
    session_id: &str,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<(session::Model, user::Model)>, sea_orm::DbErr> {
    let Some((found, owner)) = session::Entity::find_by_id(session_id.to_string())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.user_id != user_id || found.revoked_at.is_some() || found.expires_at <= now {
        return Ok(None);
    }
    Ok(owner.filter(|u| !u.disabled).map(|u| (found, u)))
}

pub async fn revoke_all(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn revoke_one(
    db: &impl ConnectionTrait,
    session_id: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id.to_string()))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of the account except `keep` (signing out on other devices).
pub async fn revoke_others(
    db: &impl ConnectionTrait,
    user_id: i32,
    keep: &str,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep.to_string()))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Withdraws every other way into the account that outlives a session: unused password-reset
/// links and feed links. Done with every password change, reset and disabling, in the same
/// transaction, so an attacker who once held one of them loses it then.
pub async fn withdraw_standing_links(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use crate::db::entities::{password_reset, user};
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::FeedSecret,
            Expr::value(Option::<String>::None),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
