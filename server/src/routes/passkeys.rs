//! Passkeys and security keys: adding, listing and removing the viewer's, and a sign-in's
//! second step answered with one. The options and answers are WebAuthn's own JSON
//! (`navigator.credentials.create` and `.get`, with binary fields as base64url).
use crate::auth::{csrf, Viewer};
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::{client_ip, tokens_response};
use crate::routes::json_body::{self, JsonBody};
use crate::routes::second_factor::ItIsMe;
use crate::state::AppState;
use crate::use_cases::passkeys::{self, PasskeyView};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// The browser's answer, refused with 422 naming the field when it is not WebAuthn's shape.
fn webauthn_answer<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::validation("credential", format!("not a WebAuthn answer: {e}")))
}

/// Starts adding a passkey: the options to give `navigator.credentials.create`
/// (`{"publicKey": …}`). Needs a sign-in from the last `auth.recent_sign_in_minutes`, or the
/// password.
#[utoipa::path(post, path = "/api/v1/me/passkeys/options", tag = "auth",
    request_body(content = ItIsMe, description = "Optional: the password, when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default)"),
    responses((status = 200, body = Object, description = "WebAuthn's PublicKeyCredentialCreationOptions, as `{\"publicKey\": …}`"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes` and no password was given; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 409, body = ErrorBody, description = "Ten passkeys already, or the server is not reached at a domain name"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/me/passkeys/options")]
pub async fn adding_options(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    let offered = passkeys::start_adding(&state, &viewer, body.password, &ip).await?;
    Ok(HttpResponse::Ok().json(offered))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasskey {
    /// What to call it, such as "Work laptop".
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What `navigator.credentials.create` answered (a RegisterPublicKeyCredential).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PasskeyAdded {
    pub id: i32,
    pub name: String,
    /// Ten single-use codes, when this is the account's first second factor; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

/// Adds the passkey the browser made with the options: from now on, signing in with the
/// password asks for it (or the app's code). Every other session ends.
#[utoipa::path(post, path = "/api/v1/me/passkeys", tag = "auth", request_body = NewPasskey,
    responses((status = 201, body = PasskeyAdded),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 409, body = ErrorBody, description = "No passkey is being added (ask for options first), or it is registered already"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The name is empty or too long, or the credential is refused")))]
#[post("/me/passkeys")]
pub async fn add(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<NewPasskey>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let credential = webauthn_answer(body.credential)?;
    let added = passkeys::finish_adding(&state, &viewer, &body.name, &credential).await?;
    Ok(HttpResponse::Created().json(PasskeyAdded {
        id: added.id,
        name: added.name,
        recovery_codes: added.recovery_codes,
    }))
}

/// The viewer's passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "auth",
    responses((status = 200, body = Vec<PasskeyView>),
        (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/me/passkeys")]
pub async fn list(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(passkeys::list(&state, &viewer).await?))
}

/// Removes one of the viewer's passkeys; every other session ends. Needs a sign-in from the
/// last `auth.recent_sign_in_minutes`, or the password.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "auth",
    params(("id" = i32, Path, description = "The passkey")),
    request_body(content = ItIsMe, description = "Optional: the password, when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default)"),
    responses((status = 204, description = "Removed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes` and no password was given; the role requires a second factor and this is the last; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 404, body = ErrorBody, description = "No such passkey of yours"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[delete("/me/passkeys/{id:\\d+}")]
pub async fn remove(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = super::id_from_path(&id)?;
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    passkeys::remove(&state, &viewer, id, body.password, &ip).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySignInStart {
    pub mfa_token: String,
}

/// For a sign-in's second step on an account with a passkey: the options to give
/// `navigator.credentials.get` (`{"publicKey": …}`). A request started by another site is
/// refused.
#[utoipa::path(post, path = "/api/v1/auth/mfa/passkey/options", tag = "auth", request_body = PasskeySignInStart, security(()),
    responses((status = 200, body = Object, description = "WebAuthn's PublicKeyCredentialRequestOptions, as `{\"publicKey\": …}`"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "The sign-in has expired, was finished or took too many wrong answers"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 409, body = ErrorBody, description = "The account has no passkey"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A field holds a NUL character")))]
#[post("/auth/mfa/passkey/options")]
pub async fn sign_in_options(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PasskeySignInStart>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let offered = passkeys::start_sign_in(&state, &body.into_inner().mfa_token).await?;
    Ok(HttpResponse::Ok().json(offered))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySignIn {
    pub mfa_token: String,
    /// What `navigator.credentials.get` answered (a PublicKeyCredential).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// The second step of signing in, answered with a passkey: signed in as with `/auth/mfa`. A
/// refused answer counts as a wrong code.
#[utoipa::path(post, path = "/api/v1/auth/mfa/passkey", tag = "auth", request_body = PasskeySignIn, security(()),
    responses((status = 200, body = crate::routes::auth::TokenResponse, description = "Signed in; the tokens are also set as cookies"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "The passkey was not accepted, or the sign-in has expired, was finished or took too many wrong answers"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The credential is not WebAuthn's shape, or a field holds a NUL character"),
        (status = 429, body = ErrorBody, description = "Too many failed sign-ins from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/auth/mfa/passkey")]
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<PasskeySignIn>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let body = body.into_inner();
    let answer = webauthn_answer(body.credential)?;
    let ip = client_ip(&state, &req);
    let finished = passkeys::finish_sign_in(&state, &body.mfa_token, &answer, &ip).await?;
    Ok(tokens_response(
        &state,
        finished.session,
        finished.recovery_codes,
    ))
}
