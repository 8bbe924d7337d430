//! Invite someone by email, look at an invitation, and accept it.
use crate::accounts;
use crate::auth::Viewer;
use crate::db::entities::organisation;
use crate::domain::{Email, Role};
use crate::error::{ApiError, ErrorBody};
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(schema_with = super::openapi::fields::email)]
    pub email: String,
    #[schema(schema_with = super::openapi::fields::role)]
    pub role: Role,
    /// Defaults to the inviter's organisation; one that does not exist is 422.
    #[schema(minimum = 1)]
    pub organisation_id: Option<i32>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationCreated {
    pub id: i32,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// Invites a person by email. Admins invite anyone; chief officers and PCCs invite staff of
/// their own organisation.
#[utoipa::path(post, path = "/api/v1/invitations", tag = "accounts", request_body = InviteRequest,
    responses((status = 201, body = InvitationCreated, description = "Invited (or, for an existing account, reminded)"),
        (status = 400, body = ErrorBody, description = "The body cannot be read, or an unknown `role`"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may not invite this role, or into that organisation"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`email`, or an `organisation_id` that does not exist"),
        (status = 502, body = ErrorBody, description = "The mail could not be sent")))]
#[post("/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation("email", e.0))?;
    let made =
        use_cases::accounts::invite(&state, &viewer, &email, body.role, body.organisation_id)
            .await?;
    Ok(HttpResponse::Created().json(InvitationCreated {
        id: made.id,
        email: made.email.to_string(),
        expires_at: made.expires_at,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub email: String,
    pub role: String,
    pub organisation: String,
    pub expires_at: DateTime<Utc>,
}

/// What an invitation link is for, without using it. No sign-in needed.
#[utoipa::path(get, path = "/api/v1/invitations/{token}", tag = "accounts", security(()),
    params(("token" = String, Path, description = "The token from the invitation link")),
    responses((status = 200, body = InvitationView),
        (status = 404, body = ErrorBody, description = "Unknown token"),
        (status = 410, body = ErrorBody, description = "Used or expired")))]
#[get("/invitations/{token}")]
pub async fn show(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = accounts::open_invitation(&state.db, &token, Utc::now()).await?;
    let org = organisation::Entity::find_by_id(found.organisation_id)
        .one(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(InvitationView {
        email: found.email,
        role: found.role,
        organisation: org.map(|o| o.name).unwrap_or_default(),
        expires_at: found.expires_at,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub token: String,
    #[schema(schema_with = super::openapi::fields::display_name)]
    pub display_name: String,
    #[schema(schema_with = super::openapi::fields::new_password)]
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AcceptedView {
    pub user_id: i32,
    pub email: String,
}

/// Uses an invitation: sets the name and password. Works once; a used or expired link is 410.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "accounts", request_body = AcceptRequest, security(()),
    responses((status = 201, body = AcceptedView, description = "The account is ready; sign in next"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 404, body = ErrorBody, description = "Unknown token"),
        (status = 409, body = ErrorBody, description = "The account already has a password"),
        (status = 410, body = ErrorBody, description = "Used or expired"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`display_name` or `password`")))]
#[post("/invitations/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    body: JsonBody<AcceptRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let account = accounts::accept_invitation(
        &state.db,
        &body.token,
        &body.display_name,
        &body.password,
        Utc::now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(AcceptedView {
        user_id: account.id,
        email: account.email,
    }))
}
