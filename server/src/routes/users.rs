use crate::accounts;
use crate::auth::Viewer;
use crate::db::entities::user;
use crate::error::{ApiError, ErrorBody};
use crate::routes::id_from_path;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use chrono::Utc;
use sea_orm::EntityTrait;

/// Disables an account (admin): every session ends at once and the next request is 401.
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "accounts",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/users/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !viewer.is_admin() {
        return Err(ApiError::Forbidden(
            "only an admin may disable accounts".into(),
        ));
    }
    let target = user::Entity::find_by_id(id_from_path(&id)?)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if target.id == viewer.id {
        return Err(ApiError::validation(
            "id",
            "you cannot disable your own account",
        ));
    }
    accounts::disable_user(&state.db, Some(viewer.id), &target, Utc::now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
