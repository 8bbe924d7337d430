//! Sign in, refresh, sign out and change password.
use crate::accounts::find_user;
use crate::auth::jwt::Claims;
use crate::auth::sessions::{self, NewSession};
use crate::auth::{password, Viewer, ACCESS_COOKIE, REFRESH_COOKIE};
use crate::db::entities::user;
use crate::domain::Email;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, TransactionTrait};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub token_type: &'static str,
}

fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    path: &'a str,
    max_age: CookieDuration,
) -> Cookie<'a> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(state.settings.server.secure_cookies)
        .same_site(SameSite::Lax)
        .path(path)
        .max_age(max_age)
        .finish()
}

/// Issues the access token for a session and answers with both tokens, also as cookies.
fn tokens_response(
    state: &AppState,
    user_id: i32,
    session: NewSession,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now().timestamp();
    let lifetime = i64::from(state.settings.auth.access_token_minutes) * 60;
    let access = state.keys.issue(&Claims {
        sub: user_id.to_string(),
        sid: session.id,
        iat: now,
        exp: now + lifetime,
    })?;
    let refresh_age = CookieDuration::days(state.settings.auth.refresh_token_days.into());
    Ok(HttpResponse::Ok()
        .cookie(cookie(
            state,
            ACCESS_COOKIE,
            access.clone(),
            "/",
            CookieDuration::seconds(lifetime),
        ))
        .cookie(cookie(
            state,
            REFRESH_COOKIE,
            session.refresh_token.clone(),
            "/api/v1/auth",
            refresh_age,
        ))
        .json(TokenResponse {
            access_token: access,
            refresh_token: session.refresh_token,
            expires_in: lifetime,
            token_type: "Bearer",
        }))
}

fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Signs in with email and password. Repeated failures for one account or from one address
/// are answered 429 for a while.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let ip = client_ip(&req);
    let account_key = body.email.trim().to_lowercase();
    if let Some(retry_after_secs) = state.login_limiter.retry_after(&account_key, &ip) {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let found = match Email::parse(&body.email) {
        Ok(email) => find_user(&state.db, &email).await?,
        Err(_) => None,
    };
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let candidate = body.password;
    let verified =
        tokio::task::spawn_blocking(move || password::verify(&candidate, stored.as_deref()))
            .await
            .map_err(anyhow::Error::new)?;
    let user = match found {
        Some(u) if verified && !u.disabled => u,
        _ => {
            state.login_limiter.record_failure(&account_key, &ip);
            return Err(ApiError::Unauthenticated(
                "email or password is not right".into(),
            ));
        }
    };
    state.login_limiter.record_success(&account_key);
    let session = sessions::start(
        &state.db,
        user.id,
        state.settings.auth.refresh_token_days,
        Utc::now(),
    )
    .await?;
    tokens_response(&state, user.id, session)
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Optional when the refresh cookie is sent.
    pub refresh_token: Option<String>,
}

/// Swaps a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Option<web::Json<RefreshRequest>>,
) -> Result<HttpResponse, ApiError> {
    let token = body
        .and_then(|b| b.into_inner().refresh_token)
        .or_else(|| req.cookie(REFRESH_COOKIE).map(|c| c.value().to_string()))
        .ok_or_else(|| ApiError::Unauthenticated("no refresh token".into()))?;
    let (owner, session) = sessions::rotate(
        &state.db,
        &token,
        state.settings.auth.refresh_token_days,
        Utc::now(),
    )
    .await?
    .ok_or_else(|| {
        ApiError::Unauthenticated("the refresh token is not valid; sign in again".into())
    })?;
    tokens_response(&state, owner.id, session)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogoutQuery {
    /// `all` (default) ends every session of the account; `this` only the current one.
    pub scope: Option<String>,
}

fn cleared(name: &str, path: &str) -> Cookie<'static> {
    let mut c = Cookie::build(name.to_string(), "")
        .path(path.to_string())
        .finish();
    c.make_removal();
    c
}

/// Signs out. By default every session of the account ends at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", params(LogoutQuery),
    responses((status = 204), (status = 401, body = ErrorBody)))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<LogoutQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    match query.scope.as_deref() {
        None | Some("all") => {
            sessions::revoke_all(&state.db, viewer.id, now).await?;
        }
        Some("this") => sessions::revoke_one(&state.db, &viewer.session_id, now).await?,
        Some(other) => {
            return Err(ApiError::validation(
                "scope",
                format!("unknown scope {other:?}; use all or this"),
            ))
        }
    }
    Ok(HttpResponse::NoContent()
        .cookie(cleared(ACCESS_COOKIE, "/"))
        .cookie(cleared(REFRESH_COOKIE, "/api/v1/auth"))
        .finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password and ends every session, this one included.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let ip = client_ip(&req);
    if let Some(retry_after_secs) = state.login_limiter.retry_after(&viewer.email, &ip) {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    password::check_strength(&body.new_password)
        .map_err(|m| ApiError::validation("new_password", m))?;
    let account = user::Entity::find_by_id(viewer.id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("sign in to continue".into()))?;
    let stored = account.password_hash.clone();
    let (current, new) = (body.current_password, body.new_password);
    let (ok, hash) = tokio::task::spawn_blocking(move || {
        let ok = password::verify(&current, stored.as_deref());
        (ok, if ok { password::hash(&new).ok() } else { None })
    })
    .await
    .map_err(anyhow::Error::new)?;
    if !ok {
        state.login_limiter.record_failure(&viewer.email, &ip);
        return Err(ApiError::validation(
            "current_password",
            "the current password is not right",
        ));
    }
    let hash =
        hash.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("hashing the new password failed")))?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut active: user::ActiveModel = account.into();
    active.password_hash = Set(Some(hash));
    active.update(&txn).await?;
    sessions::revoke_all(&txn, viewer.id, now).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent()
        .cookie(cleared(ACCESS_COOKIE, "/"))
        .cookie(cleared(REFRESH_COOKIE, "/api/v1/auth"))
        .finish())
}
