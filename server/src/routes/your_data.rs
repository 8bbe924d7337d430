//! The viewer's own data: the download of everything about them, and the deletion of their
//! account.
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::client_ip;
use crate::routes::json_body::{self, JsonBody};
use crate::routes::second_factor::ItIsMe;
use crate::state::AppState;
use crate::use_cases::your_data::{self, Deletion, Export};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// Everything Roundtable holds about the signed-in person, as a JSON download: profile,
/// organisation, preferences, second factors (without secrets), sign-ins and failed
/// sign-ins, audit entries by or about them, threads, posts (deleted ones too) and their
/// earlier versions, documents, endorsements, watches, reads, memberships, invitations and
/// mail. Needs a sign-in from the last `auth.recent_sign_in_minutes` (15 by default); with an
/// older one, send the password to `POST` instead. Audited, and the owner is told by mail.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "auth",
    responses((status = 200, body = Export, description = "The data, with `Content-Disposition: attachment`"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes`, or another site started the request")))]
#[get("/me/export")]
pub async fn export(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // A link on another site must not start a download (and its audit entry and mail).
    crate::auth::csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let ip = client_ip(&state, &req);
    let data = your_data::export(&state, &viewer, None, &ip).await?;
    Ok(download(&data))
}

/// The same download as `GET`, with the password when the sign-in is older than
/// `auth.recent_sign_in_minutes` (15 by default).
#[utoipa::path(post, path = "/api/v1/me/export", tag = "auth",
    request_body(content = ItIsMe, description = "Optional: the password, when the sign-in is older than `auth.recent_sign_in_minutes` (15 by default)"),
    responses((status = 200, body = Export, description = "The data, with `Content-Disposition: attachment`"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "The sign-in is older than `auth.recent_sign_in_minutes` and no password was given; or a cookie request from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/me/export")]
pub async fn export_with_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: ItIsMe = json_body::optional(&req, payload, state.settings.limits.body_bytes).await?;
    let ip = client_ip(&state, &req);
    let data = your_data::export(&state, &viewer, body.password, &ip).await?;
    Ok(download(&data))
}

/// The file name says whose data and when, without naming the person.
pub fn download(data: &Export) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"roundtable-my-data-{}.json\"",
                data.exported_at.format("%Y-%m-%d")
            ),
        ))
        .json(data)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountDeletion {
    /// The account's password (an account without one needs a recent sign-in instead).
    pub password: Option<String>,
    /// Also delete every post written (default: the posts stay, shown as by "Former member"
    /// and a tag).
    #[serde(default)]
    pub remove_posts: bool,
}

/// Deletes the signed-in person's account, irreversibly: sessions, second factors,
/// preferences, watches, reads, memberships and mail go; name, address, job title and
/// portfolios are wiped; their posts stay readable under "Former member" and a short random
/// tag, unless `remove_posts`. The deletion is audited. The last administrator cannot delete
/// their account.
#[utoipa::path(delete, path = "/api/v1/me", tag = "auth", request_body = AccountDeletion,
    responses((status = 204, description = "Deleted; the cookies are cleared"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`; or, for an account without a password, a sign-in older than `auth.recent_sign_in_minutes`"),
        (status = 409, body = ErrorBody, description = "The only administrator"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The password is missing or not right"),
        (status = 429, body = ErrorBody, description = "Too many wrong passwords from this address",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[delete("/me")]
pub async fn delete_account(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: JsonBody<AccountDeletion>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let ip = client_ip(&state, &req);
    your_data::delete_account(
        &state,
        &viewer,
        Deletion {
            password: body.password,
            remove_posts: body.remove_posts,
        },
        &ip,
    )
    .await?;
    Ok(crate::routes::auth::signed_out(&state))
}
