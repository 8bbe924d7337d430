//! Setting up, confirming and turning off the viewer's authenticator app.
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::client_ip;
use crate::routes::json_body::{self, JsonBody};
use crate::state::AppState;
use crate::use_cases::second_factor;
use actix_web::{delete, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// For a sensitive act: the password, needed only when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default).
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ItIsMe {
    pub password: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuthenticatorEnrolment {
    /// The secret in base32, for typing into the app by hand.
    pub secret: String,
    /// The `otpauth://totp/…` address, for a QR code.
    pub otpauth_url: String,
}

impl From<second_factor::Enrolment> for AuthenticatorEnrolment {
    fn from(enrolment: second_factor::Enrolment) -> Self {
        AuthenticatorEnrolment {
            secret: enrolment.secret,
            otpauth_url: enrolment.otpauth_url,
        }
    }
}

/// Starts setting up an authenticator app (TOTP: SHA-1, six digits, 30 seconds). Nothing
/// changes until a code from it is confirmed; starting again replaces a secret not yet
/// confirmed. Needs a sign-in from the last `auth.recent_sign_in_minutes` (15 by default), or the password.
#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth",
    request_body(content = ItIsMe, description = "Optional: the password, when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default)"),
    responses((status = 200, body = AuthenticatorEnrolment),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes` and no password was given; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 409, body = ErrorBody, description = "An authenticator app is already set up"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/me/totp")]
pub async fn start(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    let enrolment = second_factor::start_authenticator(&state, &viewer, body.password, &ip).await?;
    Ok(HttpResponse::Ok().json(AuthenticatorEnrolment::from(enrolment)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticatorCode {
    /// The six digits the app shows now.
    #[schema(max_length = 64)]
    pub code: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes for when the app is lost. Shown this once only.
    pub recovery_codes: Vec<String>,
}

/// Confirms the authenticator app with a code from it: from now on, signing in with the
/// password also asks for a code. Answers with ten recovery codes, shown once; every other
/// session ends.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", request_body = AuthenticatorCode,
    responses((status = 200, body = RecoveryCodes),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 409, body = ErrorBody, description = "No authenticator app is being set up, or one is already set up"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The code is not right")))]
#[post("/me/totp/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<AuthenticatorCode>,
) -> Result<HttpResponse, ApiError> {
    let recovery_codes =
        second_factor::confirm_authenticator(&state, &viewer, &body.into_inner().code).await?;
    Ok(HttpResponse::Ok().json(RecoveryCodes { recovery_codes }))
}

/// Turns the second factor off: the authenticator app and the recovery codes are removed and
/// every other session ends. Needs a sign-in from the last `auth.recent_sign_in_minutes` (15 by default), or the password.
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "auth",
    request_body(content = ItIsMe, description = "Optional: the password, when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default)"),
    responses((status = 204, description = "Turned off"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes` and no password was given; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 404, body = ErrorBody, description = "No authenticator app is set up"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[delete("/me/totp")]
pub async fn turn_off(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    second_factor::turn_off(&state, &viewer, body.password, &ip).await?;
    Ok(HttpResponse::NoContent().finish())
}
