//! Invite someone by email, look at an invitation, and accept it.
use crate::accounts::{self, may_invite, NewInvitation};
use crate::auth::Viewer;
use crate::db::entities::organisation;
use crate::domain::{Email, Role};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    #[schema(value_type = String, example = "staff")]
    pub role: Role,
    /// Defaults to the inviter's organisation.
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
    responses((status = 201, body = InvitationCreated), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: web::Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = Email::parse(&body.email).map_err(|e| ApiError::validation("email", e.0))?;
    let org = body.organisation_id.unwrap_or(viewer.organisation_id);
    may_invite(viewer.role, viewer.organisation_id, body.role, org)?;
    let made = accounts::invite(
        &state.db,
        &state.mailer,
        state.settings.public_url(),
        NewInvitation {
            email: &email,
            role: body.role,
            organisation_id: org,
            invited_by: Some(viewer.id),
        },
        state.settings.auth.invitation_days,
        Utc::now(),
    )
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
#[utoipa::path(get, path = "/api/v1/invitations/{token}", tag = "accounts",
    responses((status = 200, body = InvitationView), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
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
    pub display_name: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AcceptedView {
    pub user_id: i32,
    pub email: String,
}

/// Uses an invitation: sets the name and password. Works once; a used or expired link is 410.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "accounts", request_body = AcceptRequest,
    responses((status = 201, body = AcceptedView), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/invitations/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    body: web::Json<AcceptRequest>,
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
