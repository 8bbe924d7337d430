//! Server-side sessions: every access and refresh token belongs to one, and revoking it
//! ends both at once.
use super::{random_token, token_hash};
use crate::db::entities::{session, user};
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

/// Swaps a refresh token for a new one on the same session; the old one stops working.
/// `None` when the token is unknown, expired, revoked or its user disabled.
pub async fn rotate(
    db: &impl ConnectionTrait,
    refresh_token: &str,
    refresh_days: u32,
    now: DateTime<Utc>,
) -> Result<Option<(user::Model, NewSession)>, sea_orm::DbErr> {
    let hash = token_hash(refresh_token);
    let Some(found) = session::Entity::find()
        .filter(session::Column::RefreshTokenHash.eq(hash.clone()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.revoked_at.is_some() || found.expires_at <= now {
        return Ok(None);
    }
    let Some(owner) = user::Entity::find_by_id(found.user_id).one(db).await? else {
        return Ok(None);
    };
    if owner.disabled {
        return Ok(None);
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
        .filter(session::Column::RefreshTokenHash.eq(hash))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    Ok(Some((
        owner,
        NewSession {
            id: found.id,
            refresh_token: new_token,
        },
    )))
}

/// The live session `id` and its enabled user, if both still hold.
pub async fn live_user(
    db: &impl ConnectionTrait,
    session_id: &str,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
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
    Ok(owner.filter(|u| !u.disabled))
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
