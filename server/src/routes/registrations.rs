//! Asking for an account, confirming the address, and sponsors' answers.
use crate::auth::{csrf, Viewer};
use crate::error::{ApiError, ErrorBody};
use crate::routes::auth::client_ip;
use crate::routes::id_from_path;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::registrations::{self, Approval, NewRegistration, RegistrationView};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[schema(schema_with = super::openapi::fields::email)]
    pub email: String,
    #[schema(schema_with = super::openapi::fields::display_name)]
    pub display_name: String,
    #[schema(max_length = 200)]
    pub job_title: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub message: String,
}

/// Asks for an account. The answer is the same whether the address already has an account,
/// its domain is on an organisation's list, or neither: someone whose domain is allowed is
/// emailed a link to confirm the address (valid 24 hours); someone with an account is
/// reminded to sign in; nobody else is mailed. Three requests per address a day and ten per
/// client address an hour. Audited.
#[utoipa::path(post, path = "/api/v1/registrations", tag = "accounts", request_body = RegistrationRequest, security(()),
    responses((status = 202, body = Accepted, description = "The request is taken; what happens next is in the email, if any"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`email`, `display_name` or `job_title` is not valid"),
        (status = 429, body = ErrorBody, description = "Too many requests for this address or from this client",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
#[post("/registrations")]
pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<RegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let body = body.into_inner();
    let ip = client_ip(&state, &req);
    registrations::request(
        &state,
        NewRegistration {
            email: body.email,
            display_name: body.display_name,
            job_title: body.job_title,
        },
        &ip,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        message: format!(
            "If this address can ask for an account, we have emailed it a link to confirm it. \
             The link works for {} hours.",
            registrations::LINK_HOURS
        ),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[schema(max_length = 200)]
    pub token: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Verified {
    /// Always `pending`: the request waits for a sponsor.
    pub status: String,
    pub organisation: String,
}

/// Confirms the address with the emailed link's token, as `/register/{token}` does. The link
/// works once.
#[utoipa::path(post, path = "/api/v1/registrations/verify", tag = "accounts", request_body = VerifyRequest, security(()),
    responses((status = 200, body = Verified, description = "Confirmed: the request waits for a sponsor"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 403, body = ErrorBody, description = "Started by another site"),
        (status = 404, body = ErrorBody, description = "Unknown link"),
        (status = 410, body = ErrorBody, description = "Used or expired"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "The token holds a NUL character")))]
#[post("/registrations/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let opened = registrations::verify(&state, &body.into_inner().token).await?;
    Ok(HttpResponse::Ok().json(Verified {
        status: "pending".into(),
        organisation: opened.organisation,
    }))
}

/// The requests waiting for the signed-in sponsor, oldest first: their own organisation's for
/// a chief officer or PCC, with every supplier's waiting for a sponsor when theirs is a force
/// or PCC office; every open request for an admin.
#[utoipa::path(get, path = "/api/v1/registrations", tag = "accounts",
    responses((status = 200, body = Vec<RegistrationView>),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not a chief officer, PCC or admin")))]
#[get("/registrations")]
pub async fn waiting(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(registrations::waiting(&state, &viewer).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Answered {
    /// `approved` (the person is invited by email) or `sponsored` (a supplier's request: an
    /// admin decides next).
    pub status: String,
}

/// Approves a request: the person is emailed an invitation to set their password, as staff of
/// their organisation (or as a supplier). For a supplier's request, a chief officer's or PCC's
/// approval sponsors it and an admin's approves it. Audited.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/approve", tag = "accounts",
    params(("id" = i32, Path, minimum = 1, description = "The request's id")),
    responses((status = 200, body = Answered),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 404, body = ErrorBody, description = "No such request waiting for you"),
        (status = 409, body = ErrorBody, description = "Answered meanwhile, or a supplier's request not yet sponsored"),
        (status = 502, body = ErrorBody, description = "The invitation could not be mailed")))]
#[post("/registrations/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id_from_path(&id)?;
    let status = match registrations::approve(&state, &viewer, id).await? {
        Approval::Invited | Approval::Admitted => "approved",
        Approval::Sponsored => "sponsored",
    };
    Ok(HttpResponse::Ok().json(Answered {
        status: status.into(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Denial {
    /// Told to the person by email.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// Refuses a request; the person is told the reason by email. Audited.
#[utoipa::path(post, path = "/api/v1/registrations/{id}/deny", tag = "accounts", request_body = Denial,
    params(("id" = i32, Path, minimum = 1, description = "The request's id")),
    responses((status = 204, description = "Refused"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 404, body = ErrorBody, description = "No such request waiting for you"),
        (status = 409, body = ErrorBody, description = "Answered meanwhile"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "No reason, or one over 500 characters")))]
#[post("/registrations/{id}/deny")]
pub async fn deny(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<Denial>,
) -> Result<HttpResponse, ApiError> {
    let id = id_from_path(&id)?;
    registrations::deny(&state, &viewer, id, &body.into_inner().reason).await?;
    Ok(HttpResponse::NoContent().finish())
}
