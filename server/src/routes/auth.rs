//! Sign in, refresh, sign out and change password.
use crate::auth::{cookies, csrf, sessions, Viewer};
use crate::error::{ApiError, ErrorBody};
use crate::routes::json_body::{self, JsonBody};
use crate::state::AppState;
use crate::use_cases::{self, sign_in, sign_in::Session, sign_in::SignIn};
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
    /// Only when the sign-in set up an authenticator app: ten single-use recovery codes,
    /// shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// Answers with both tokens, also as cookies, and the session's CSRF token for
/// cookie-authenticated writes.
pub(crate) fn tokens_response(
    state: &AppState,
    session: Session,
    recovery_codes: Option<Vec<String>>,
) -> HttpResponse {
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
            recovery_codes,
        })
}

pub fn client_ip(state: &AppState, req: &HttpRequest) -> String {
    crate::client_addr::of_request(req, &state.settings.server.trusted_proxy_nets)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn signed_out(state: &AppState) -> HttpResponse {
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
    responses((status = 200, body = LoginAnswer, description = "Signed in, with the tokens also set as cookies; or, for an account with a second factor, `mfa_required` and the token to send with the code to `/api/v1/auth/mfa`"),
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
    match sign_in::with_password(&state, &body.email, body.password, &ip).await? {
        SignIn::Done(session) => Ok(tokens_response(&state, session, None)),
        SignIn::SecondFactorNeeded { token, set_up } => {
            Ok(HttpResponse::Ok().json(SecondFactorNeeded {
                mfa_required: true,
                mfa_token: token,
                mfa_setup_required: set_up,
            }))
        }
    }
}

/// The answer to a right password on an account with a second factor: no session yet.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SecondFactorNeeded {
    /// Always `true`.
    pub mfa_required: bool,
    /// Send with the code to `POST /api/v1/auth/mfa` within five minutes. Single use; five
    /// wrong codes spend it.
    pub mfa_token: String,
    /// `true` when a setting requires a second factor for the account's role and it has no
    /// authenticator app yet: get one set up with `POST /api/v1/auth/mfa/setup`, then send its
    /// first code to `/api/v1/auth/mfa`.
    pub mfa_setup_required: bool,
}

/// What a sign-in answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LoginAnswer {
    Tokens(TokenResponse),
    SecondFactor(SecondFactorNeeded),
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorRequest {
    pub mfa_token: String,
    /// The six digits the authenticator app shows, or one of the recovery codes.
    #[schema(max_length = 64)]
    pub code: String,
}

/// The second step of signing in to an account with a second factor: the code from the
/// authenticator app, or a recovery code, with the token the password step gave. A code is
/// accepted once only; wrong codes are throttled like wrong passwords. A request started by
/// another site is refused.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth", request_body = SecondFactorRequest, security(()),
    responses((status = 200, body = TokenResponse, description = "Signed in; the tokens are also set as cookies"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "The code is not right, or the sign-in has expired, was finished or took too many wrong codes"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field holds a NUL character"),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/auth/mfa")]
pub async fn second_factor(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SecondFactorRequest>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let body = body.into_inner();
    let ip = client_ip(&state, &req);
    let finished =
        use_cases::second_factor::finish_sign_in(&state, &body.mfa_token, &body.code, &ip).await?;
    Ok(tokens_response(
        &state,
        finished.session,
        finished.recovery_codes,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupAtSignIn {
    pub mfa_token: String,
}

/// For a sign-in whose role requires a second factor and which has no authenticator app yet
/// (`mfa_setup_required`): the app's secret and `otpauth://` address. The same until the app's
/// first code, sent to `/api/v1/auth/mfa`, confirms it and finishes the sign-in (whose answer
/// then carries ten recovery codes). A request started by another site is refused.
#[utoipa::path(post, path = "/api/v1/auth/mfa/setup", tag = "auth", request_body = SetupAtSignIn, security(()),
    responses((status = 200, body = crate::routes::second_factor::AuthenticatorEnrolment),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "The sign-in has expired, was finished or took too many wrong codes"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 409, body = ErrorBody, description = "This sign-in does not set up an app: it asks for the code of the one set up"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field holds a NUL character")))]
#[post("/auth/mfa/setup")]
pub async fn second_factor_setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<SetupAtSignIn>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let enrolment =
        use_cases::second_factor::setup_at_sign_in(&state, &body.into_inner().mfa_token).await?;
    Ok(
        HttpResponse::Ok().json(crate::routes::second_factor::AuthenticatorEnrolment::from(
            enrolment,
        )),
    )
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// Optional when the refresh cookie is sent.
    pub refresh_token: Option<String>,
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
    let body: RefreshRequest =
        json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let now = Utc::now();
    let origin = &state.settings.server.public_origin;
    let cookie_name = cookies::names(&state.settings.server).refresh;
    let token = match body.refresh_token {
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
    Ok(tokens_response(&state, session, None))
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
