use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::client_ip;
use crate::routes::id_from_path;
use crate::routes::json_body;
use crate::routes::second_factor::ItIsMe;
use crate::state::AppState;
use crate::use_cases;
use actix_web::{post, web, HttpRequest, HttpResponse};

/// Disables an account (admin): every session ends at once and the next request is 401.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "accounts",
    params(("id" = i32, Path, minimum = 1, description = "The user's id")),
    responses((status = 204, description = "Disabled; every session has ended"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 404, body = ErrorBody, description = "No such user"),
        (status = 422, body = ErrorBody, description = "Your own account")))]
#[post("/users/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    use_cases::accounts::disable(&state, &viewer, id_from_path(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a person's authenticator app and recovery codes (admin), for someone who lost both:
/// every session of theirs ends, and they sign in with the password alone, or set up a new app
/// at their next sign-in when `auth.require_second_factor` names their role. Needs the admin's
/// sign-in from the last `auth.recent_sign_in_minutes`, or their password. Audited as
/// `second_factor.reset`; the person is told by email.
#[utoipa::path(post, path = "/api/v1/users/{id}/second-factor/reset", tag = "accounts",
    params(("id" = i32, Path, minimum = 1, description = "The user's id")),
    request_body(content = ItIsMe, description = "Optional: the admin's password, when their sign-in is older than `auth.recent_sign_in_minutes`"),
    responses((status = 204, description = "Removed; every session of theirs has ended"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not an admin; one's own account; a sign-in older than `auth.recent_sign_in_minutes` without the password; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 404, body = ErrorBody, description = "No such user, or no authenticator app set up"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/users/{id}/second-factor/reset")]
pub async fn reset_second_factor(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = id_from_path(&id)?;
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    use_cases::second_factor::reset_for(&state, &viewer, id, body.password, &ip).await?;
    Ok(HttpResponse::NoContent().finish())
}
