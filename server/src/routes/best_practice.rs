//! Best practice: endorse a thread or document (or change its review date, status or owner),
//! withdraw the endorsement, and the library of endorsed material.
use crate::auth::Viewer;
use crate::best_practice::{Item, Status};
use crate::error::{ApiError, ErrorBody};
use crate::routes::id_from_path;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::best_practice::{self, EndorsementInput, EndorsementView};
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;

async fn put_endorsement(
    state: &AppState,
    viewer: &Viewer,
    item: Item,
    body: EndorsementInput,
) -> Result<HttpResponse, ApiError> {
    let view = best_practice::endorse(state, viewer, item, body).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Endorses a thread as best practice, or changes its endorsement. Endorsing and changing the
/// owner: an admin; the review date, status and successor: the owner too. Audited.
#[utoipa::path(put, path = "/api/v1/threads/{id}/endorsement", tag = "best practice",
    request_body = EndorsementInput,
    params(("id" = i32, Path, minimum = 1, description = "The thread's id")),
    responses((status = 200, body = EndorsementView, description = "Endorsed or changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read it but not endorse or review it"),
        (status = 404, body = ErrorBody, description = "No such thread, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`owner`, `review_due`, `status` or `superseded_by` breaks a rule")))]
#[put("/threads/{id}/endorsement")]
pub async fn endorse_thread(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<EndorsementInput>,
) -> Result<HttpResponse, ApiError> {
    let item = Item::Thread(id_from_path(&id)?);
    put_endorsement(&state, &viewer, item, body.into_inner()).await
}

/// Endorses a document as best practice, or changes its endorsement (as for threads).
#[utoipa::path(put, path = "/api/v1/documents/{id}/endorsement", tag = "best practice",
    request_body = EndorsementInput,
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    responses((status = 200, body = EndorsementView, description = "Endorsed or changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read it but not endorse or review it"),
        (status = 404, body = ErrorBody, description = "No such document, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "`owner`, `review_due`, `status` or `superseded_by` breaks a rule")))]
#[put("/documents/{id}/endorsement")]
pub async fn endorse_document(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    body: JsonBody<EndorsementInput>,
) -> Result<HttpResponse, ApiError> {
    let item = Item::Document(id_from_path(&id)?);
    put_endorsement(&state, &viewer, item, body.into_inner()).await
}

/// Withdraws a thread's endorsement (admins; audited).
#[utoipa::path(delete, path = "/api/v1/threads/{id}/endorsement", tag = "best practice",
    params(("id" = i32, Path, minimum = 1, description = "The thread's id")),
    responses((status = 204, description = "Withdrawn"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Only a moderator may withdraw it"),
        (status = 404, body = ErrorBody, description = "No such thread or endorsement, or you may not read it")))]
#[delete("/threads/{id}/endorsement")]
pub async fn withdraw_thread(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    best_practice::withdraw(&state, &viewer, Item::Thread(id_from_path(&id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Withdraws a document's endorsement (admins; audited).
#[utoipa::path(delete, path = "/api/v1/documents/{id}/endorsement", tag = "best practice",
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    responses((status = 204, description = "Withdrawn"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Only a moderator may withdraw it"),
        (status = 404, body = ErrorBody, description = "No such document or endorsement, or you may not read it")))]
#[delete("/documents/{id}/endorsement")]
pub async fn withdraw_document(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    best_practice::withdraw(&state, &viewer, Item::Document(id_from_path(&id)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LibraryParams {
    /// One space's library (its slug); every readable space when absent.
    pub space: Option<String>,
    /// `current`, `under_review` or `superseded`.
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
}

/// The best-practice library: endorsed threads and documents the viewer may read, current
/// first, then under review, then superseded (each pointing to its successor).
#[utoipa::path(get, path = "/api/v1/best-practice", tag = "best practice", params(LibraryParams),
    responses((status = 200, body = Vec<EndorsementView>),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 422, body = ErrorBody, description = "An unknown `status`")))]
#[get("/best-practice")]
pub async fn library(
    state: web::Data<AppState>,
    viewer: Viewer,
    params: web::Query<LibraryParams>,
) -> Result<HttpResponse, ApiError> {
    let status = parse_status(params.status.as_deref())?;
    let found = best_practice::library(&state, &viewer, params.space.as_deref(), status).await?;
    Ok(HttpResponse::Ok().json(found))
}

pub fn parse_status(s: Option<&str>) -> Result<Option<Status>, ApiError> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Status::parse(s).map(Some).ok_or_else(|| {
            ApiError::validation("status", "status is current, under_review or superseded")
        }),
    }
}
