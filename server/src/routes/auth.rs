//! Sign in, refresh, sign out and change password.
use crate::auth::{cookies, csrf, sessions, Viewer};
use crate::error::{ApiError, ErrorBody};
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::{self, sign_in, sign_in::Session};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
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
    /// Send as `X-CSRF-Token` with every write made with the cookies instead of the Bearer
    /// token. The same for the whole session.
    pub csrf_token: String,
}

/// Answers with both tokens, also as cookies, and the session's CSRF token for
/// cookie-authenticated writes.
fn tokens_response(state: &AppState, session: Session) -> HttpResponse {
    let [access_cookie, refresh_cookie] = session.cookies(state);
    HttpResponse::Ok()
        .cookie(access_cookie)
        .cookie(refresh_cookie)
        .json(TokenResponse {
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            expires_in: session.expires_in,
            token_type: "Bearer",
            csrf_token: session.csrf_token,
        })
}

pub fn client_ip(state: &AppState, req: &HttpRequest) -> String {
    crate::client_addr::of_request(req, &state.settings.server.trusted_proxy_nets)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn signed_out(state: &AppState) -> HttpResponse {
    let [access_cookie, refresh_cookie] = cookies::cleared(&state.settings.server);
    HttpResponse::NoContent()
        .cookie(access_cookie)
        .cookie(refresh_cookie)
        .finish()
}

/// Signs in with email and password. After repeated failures for one account from one address,
/// or from one address for any account, each further attempt must wait longer (429 with
/// `Retry-After`). A request started by another site is refused.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, security(()),
    responses((status = 200, body = TokenResponse, description = "Signed in; the tokens are also set as cookies"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Wrong email or password, or a disabled account"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field holds a NUL character"),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let body = body.into_inner();
    let ip = client_ip(&state, &req);
    let session = sign_in::with_password(&state, &body.email, body.password, &ip).await?;
    Ok(tokens_response(&state, session))
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Optional when the refresh cookie is sent.
    pub refresh_token: Option<String>,
}

/// The body of a refresh, which may be empty: a JSON body when one is sent, never a body of
/// another type silently ignored.
fn refresh_body(req: &HttpRequest, raw: &[u8]) -> Result<RefreshRequest, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(RefreshRequest::default());
    }
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(raw)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    crate::routes::json_body::parse(value)
}

/// The whole body, refused with our 413 past `limit` bytes.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Swaps a refresh token for a new pair; the old refresh token stops working, and presenting
/// it again later ends the session. With the refresh cookie instead of a body, the request
/// must come from our own site with the `X-CSRF-Token` header.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body(content = RefreshRequest, description = "Optional: without it the refresh cookie is used"),
    responses((status = 200, body = TokenResponse, description = "A new token pair"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "The refresh token is unknown, used, expired or revoked"),
        (status = 403, body = ErrorBody, description = "A cookie refresh from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`refresh_token` holds a NUL character")))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let raw = read_body(payload, state.settings.limits.body_bytes).await?;
    let now = Utc::now();
    let origin = &state.settings.server.public_origin;
    let cookie_name = cookies::names(&state.settings.server).refresh;
    let token = match refresh_body(&req, &raw)?.refresh_token {
        Some(token) => token,
        None => {
            let token = req
                .cookie(cookie_name)
                .map(|c| c.value().to_string())
                .ok_or_else(|| ApiError::Unauthenticated("no refresh token".into()))?;
            csrf::refuse_cross_site(&req, origin)?;
            if let Some(live) = sessions::find_by_refresh_token(&state.db, &token, now).await? {
                csrf::check_cookie_request(&req, origin, &state.keys.csrf, &live.id)?;
            }
            token
        }
    };
    let session = sign_in::renew(&state, &token).await?;
    Ok(tokens_response(&state, session))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CsrfToken {
    /// Send as `X-CSRF-Token` with every write made with the cookies.
    pub csrf_token: String,
}

/// The CSRF token of the current session.
#[utoipa::path(get, path = "/api/v1/auth/csrf", tag = "auth",
    responses((status = 200, body = CsrfToken), (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/auth/csrf")]
pub async fn csrf_token(state: web::Data<AppState>, viewer: Viewer) -> HttpResponse {
    HttpResponse::Ok().json(CsrfToken {
        csrf_token: state.keys.csrf.token(&viewer.session_id),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogoutQuery {
    /// `all` (default) ends every session of the account; `this` only the current one.
    #[param(schema_with = super::openapi::fields::logout_scope)]
    pub scope: Option<String>,
}

/// Signs out. By default every session of the account ends at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", params(LogoutQuery),
    responses((status = 204, description = "Signed out; the cookies are cleared"),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 422, body = ErrorBody, description = "Another `scope`")))]
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
    Ok(signed_out(&state))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    #[schema(schema_with = super::openapi::fields::new_password)]
    pub new_password: String,
}

/// Changes the password and ends every session, this one included.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed; every session has ended, sign in again"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`current_password` is wrong"),
        (status = 429, body = ErrorBody, description = "Too many failed attempts from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: JsonBody<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let ip = client_ip(&state, &req);
    use_cases::accounts::change_password(
        &state,
        &viewer,
        &ip,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(signed_out(&state))
}
