//! The directory: organisations, people, profiles, and changing one's own profile.
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::routes::id_from_path;
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::directory::{self, OrganisationEntry, PeopleFilter, PersonView, Profile};
use actix_web::{get, patch, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationList {
    pub organisations: Vec<OrganisationEntry>,
}

/// Every organisation, by kind then name, with its chief officers and PCCs.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "directory",
    responses((status = 200, body = OrganisationList), (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/organisations")]
pub async fn organisations(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(OrganisationList {
        organisations: directory::organisations(&state, &viewer).await?,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeopleQuery {
    /// Part of a name or job title.
    pub q: Option<String>,
    #[param(minimum = 1)]
    pub organisation_id: Option<i32>,
    #[param(schema_with = super::openapi::fields::role)]
    pub role: Option<String>,
    /// A portfolio key, such as `it-digital`.
    #[param(schema_with = super::openapi::fields::portfolio)]
    pub portfolio: Option<String>,
    /// 1-based, at most 1000; 50 people a page.
    #[param(minimum = 1, maximum = 1000)]
    pub page: Option<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PeopleList {
    pub people: Vec<PersonView>,
    /// Whether another page follows.
    pub more: bool,
}

/// Members, by name, narrowed by name, organisation, role and portfolio.
#[utoipa::path(get, path = "/api/v1/people", tag = "directory", params(PeopleQuery),
    responses((status = 200, body = PeopleList),
        (status = 400, body = ErrorBody, description = "The query string cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 422, body = ErrorBody, description = "An unknown `role` or `portfolio`, or `page` out of range")))]
#[get("/people")]
pub async fn people(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    if q.organisation_id.is_some_and(|id| id < 1) {
        return Err(ApiError::validation(
            "organisation_id",
            "organisation_id must be positive",
        ));
    }
    let page = q.page.unwrap_or(1);
    if !(1..=1000).contains(&page) {
        return Err(ApiError::validation(
            "page",
            "page must be between 1 and 1000",
        ));
    }
    let filter = PeopleFilter {
        q: q.q,
        organisation_id: q.organisation_id,
        role: q.role,
        portfolio: q.portfolio,
    };
    let (people, more) = directory::people(&state, &viewer, &filter, page).await?;
    Ok(HttpResponse::Ok().json(PeopleList { people, more }))
}

/// A member's profile, with the threads they started that you may read.
#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "directory",
    params(("id" = i32, Path, minimum = 1, description = "The person's id")),
    responses((status = 200, body = Profile),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such member")))]
#[get("/people/{id}")]
pub async fn profile(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(directory::profile(&state, &viewer, id_from_path(&id)?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    /// Up to 200 characters, one line.
    #[schema(schema_with = super::openapi::fields::job_title_or_null)]
    pub job_title: Option<String>,
    /// Portfolio keys from the managed list.
    #[schema(schema_with = super::openapi::fields::portfolios_or_null)]
    pub portfolios: Option<Vec<String>>,
}

/// Changes your job title or portfolios; what is left out stays as it is.
#[utoipa::path(patch, path = "/api/v1/me", tag = "directory", request_body = ProfileChange,
    responses((status = 200, body = PersonView, description = "Your profile after the change"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A value breaks a rule: `job_title` too long or not one line, an unknown portfolio")))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<ProfileChange>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_inner();
    let saved =
        directory::update_profile(&state, &viewer, change.job_title, change.portfolios).await?;
    Ok(HttpResponse::Ok().json(saved))
}
