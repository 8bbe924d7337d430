use crate::auth::Viewer;
use crate::db::entities::{organisation, user};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use sea_orm::EntityTrait;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: i32,
    pub name: String,
    pub kind: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub job_title: String,
    pub organisation: OrganisationView,
    pub second_factor: SecondFactorView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SecondFactorView {
    /// Whether signing in with the password also asks for a code from an authenticator app.
    pub authenticator: bool,
    /// Recovery codes not yet used.
    pub recovery_codes_left: u64,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/me")]
pub async fn show(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, ApiError> {
    let account = user::Entity::find_by_id(viewer.id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let org = organisation::Entity::find_by_id(account.organisation_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("user {} has no organisation", account.id))
        })?;
    let standing = crate::use_cases::second_factor::standing(&state.db, account.id).await?;
    Ok(HttpResponse::Ok().json(MeView {
        id: account.id,
        email: account.email,
        display_name: account.display_name,
        role: account.role,
        job_title: account.job_title,
        organisation: OrganisationView {
            id: org.id,
            name: org.name,
            kind: org.kind,
        },
        second_factor: SecondFactorView {
            authenticator: standing.authenticator_since.is_some(),
            recovery_codes_left: standing.recovery_codes_left,
        },
    }))
}
