//! Signing in with a password and renewing a session with its refresh token. Shared by the
//! JSON API (`/api/v1/auth/*`) and the sign-in page, so both count failures, audit and
//! rotate the same way.
use crate::accounts::find_user;
use crate::audit::{self, AuditEntry};
use crate::auth::jwt::Claims;
use crate::auth::sessions::{self, NewSession, Rotation, RotationPolicy};
use crate::auth::{cookies, login_throttle, password};
use crate::domain::Email;
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::second_factor;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie};
use chrono::Utc;

/// A live session just started or renewed, with the tokens that carry it.
pub struct Session {
    pub user_id: i32,
    pub session_id: String,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The session's CSRF token, for cookie-authenticated writes and forms.
    pub csrf_token: String,
}

impl Session {
    pub(crate) fn issue(
        app: &AppState,
        user_id: i32,
        session: NewSession,
    ) -> Result<Self, ApiError> {
        let now = Utc::now().timestamp();
        let expires_in = i64::from(app.settings.auth.access_token_minutes) * 60;
        let access_token = app.keys.access.issue(&Claims {
            sub: user_id.to_string(),
            sid: session.id.clone(),
            iat: now,
            exp: now + expires_in,
        })?;
        Ok(Session {
            user_id,
            csrf_token: app.keys.csrf.token(&session.id),
            session_id: session.id,
            access_token,
            refresh_token: session.refresh_token,
            expires_in,
        })
    }

    /// The access and refresh cookies for this session.
    pub fn cookies(&self, app: &AppState) -> [Cookie<'static>; 2] {
        let server = &app.settings.server;
        let refresh_age = CookieDuration::days(app.settings.auth.refresh_token_days.into());
        [
            cookies::access(
                server,
                self.access_token.clone(),
                CookieDuration::seconds(self.expires_in),
            ),
            cookies::refresh(server, self.refresh_token.clone(), refresh_age),
        ]
    }
}

/// Where a right password leads.
pub enum SignIn {
    /// Signed in.
    Done(Session),
    /// The account has a second factor, or its role requires one (`set_up`: it must first
    /// set up an app): the code must follow with this token (`second_factor::finish_sign_in`)
    /// before any session exists.
    SecondFactorNeeded { token: String, set_up: bool },
}

/// Checks an email and password and starts a session, or, for an account with a second
/// factor, the second step of the sign-in. After repeated failures for one
/// account from one address, or from one address for any account, each further attempt must
/// wait longer (`TooManyRequests`). The attempt is counted before the slow password check and
/// taken back on success; every failure is audited.
pub async fn with_password(
    app: &AppState,
    email: &str,
    candidate: String,
    client_ip: &str,
) -> Result<SignIn, ApiError> {
    let account_key: String = email.trim().to_lowercase().chars().take(320).collect();
    let throttle = &app.login_throttle;
    let now = Utc::now();
    if let Some(retry_after_secs) =
        login_throttle::wait_before_attempt(&app.db, throttle, &account_key, client_ip, now).await?
    {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    login_throttle::count_attempt(&app.db, throttle, &account_key, client_ip, now).await?;
    let found = match Email::parse(email) {
        Ok(email) => find_user(&app.db, &email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let verified =
        tokio::task::spawn_blocking(move || password::verify(&candidate, stored.as_deref()))
            .await
            .map_err(anyhow::Error::new)?;
    let user = match found {
        Some(u) if verified && !u.disabled => u,
        other => {
            let user_id = other.map(|u| u.id);
            login_throttle::audit_failure(&app.db, &account_key, client_ip, user_id, now).await?;
            return Err(ApiError::Unauthenticated(
                "email or password is not right".into(),
            ));
        }
    };
    let has_factor = second_factor::has_second_factor(&app.db, user.id).await?;
    if has_factor || app.settings.auth.second_factor_required(&user.role) {
        // The attempt stays counted until the code is right.
        let token = second_factor::challenge(&app.db, user.id, !has_factor).await?;
        return Ok(SignIn::SecondFactorNeeded {
            token,
            set_up: !has_factor,
        });
    }
    login_throttle::record_success(&app.db, &account_key, client_ip).await?;
    let session = sessions::start(
        &app.db,
        user.id,
        app.settings.auth.refresh_token_days,
        Utc::now(),
    )
    .await?;
    Session::issue(app, user.id, session).map(SignIn::Done)
}

/// Swaps a refresh token for a new pair. The old refresh token stops working; presenting it
/// again after the grace period ends the whole session and is audited.
pub async fn renew(app: &AppState, refresh_token: &str) -> Result<Session, ApiError> {
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let policy = RotationPolicy {
        refresh_days: app.settings.auth.refresh_token_days,
        reuse_grace: chrono::Duration::seconds(
            app.settings.auth.refresh_reuse_grace_seconds.into(),
        ),
    };
    match sessions::rotate(&txn, refresh_token, policy, now).await? {
        Rotation::Rotated(owner, session) => {
            txn.commit().await?;
            Session::issue(app, owner.id, session)
        }
        Rotation::ReuseDetected {
            session_id,
            user_id,
        } => {
            audit::record(
                &txn,
                AuditEntry {
                    actor_id: None,
                    action: "session.refresh_token_reused",
                    target_type: "user",
                    target_id: Some(user_id),
                    detail: serde_json::json!({ "session_id": session_id }),
                },
                now,
            )
            .await?;
            txn.commit().await?;
            tracing::warn!(
                user_id,
                "a retired refresh token was presented; session ended"
            );
            Err(ApiError::Unauthenticated(
                "this sign-in has ended for your safety; sign in again".into(),
            ))
        }
        Rotation::Refused => Err(ApiError::Unauthenticated(
            "the refresh token is not valid; sign in again".into(),
        )),
    }
}
