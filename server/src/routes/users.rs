use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases;
use actix_web::{post, web, HttpResponse};

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
