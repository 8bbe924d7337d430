//! The spaces a viewer may read, and their administration.
use crate::auth::Viewer;
use crate::domain::Slug;
use crate::error::{ApiError, ErrorBody};
use crate::permissions::{access_from, decide, Action, Subject};
use crate::routes::json_body::JsonBody;
use crate::spaces::{NewSpace, SpaceChanges};
use crate::state::AppState;
use crate::use_cases;
use crate::use_cases::spaces::{emails, roles};
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SpaceView {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub read_roles: Vec<String>,
    pub post_roles: Vec<String>,
    /// A private working group: only listed members may read it.
    pub members_only: bool,
    pub archived: bool,
    /// Whether the viewer may start threads here.
    pub can_post: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SpaceList {
    pub spaces: Vec<SpaceView>,
}

fn view(
    space: crate::db::entities::space::Model,
    access: &crate::permissions::SpaceAccess,
    can_post: bool,
) -> SpaceView {
    SpaceView {
        id: space.id,
        slug: space.slug,
        name: space.name,
        description: space.description,
        read_roles: access
            .read_roles
            .names()
            .into_iter()
            .map(String::from)
            .collect(),
        post_roles: access
            .post_roles
            .names()
            .into_iter()
            .map(String::from)
            .collect(),
        members_only: space.members_only,
        archived: space.archived,
        can_post,
    }
}

/// The spaces the viewer may read. Admins see all (their reads are audited per space opened).
#[utoipa::path(get, path = "/api/v1/spaces", tag = "spaces",
    responses((status = 200, body = SpaceList), (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/spaces")]
pub async fn list(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, ApiError> {
    let subject = Subject::from(&viewer);
    let out = crate::permissions::readable_by_viewer(&state, &viewer)
        .await?
        .into_iter()
        .map(|r| {
            let can_post = decide(&subject, &r.access, Action::StartThread).allowed();
            view(r.space, &r.access, can_post)
        })
        .collect();
    Ok(HttpResponse::Ok().json(SpaceList { spaces: out }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSpace {
    #[schema(schema_with = super::openapi::fields::slug)]
    pub slug: String,
    #[schema(schema_with = super::openapi::fields::space_name)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Who may read it; at least one role.
    #[schema(schema_with = super::openapi::fields::some_roles)]
    pub read_roles: Vec<String>,
    /// Who may start threads and reply; may be empty.
    #[schema(schema_with = super::openapi::fields::roles)]
    pub post_roles: Vec<String>,
    /// Present: a private working group with exactly these members (emails of existing
    /// users; an unknown one is 422).
    #[schema(schema_with = super::openapi::fields::member_emails)]
    pub members: Option<Vec<String>>,
    #[serde(default)]
    pub archived: bool,
}

/// Creates a space (admin).
#[utoipa::path(post, path = "/api/v1/spaces", tag = "spaces", request_body = CreateSpace,
    responses((status = 201, body = SpaceView, description = "Created"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 409, body = ErrorBody, description = "The slug is taken"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A value breaks a rule: `slug`, `name`, the roles, or `members` naming no user")))]
#[post("/spaces")]
pub async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<CreateSpace>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let created = use_cases::spaces::create(&state, &viewer, || {
        Ok(NewSpace {
            slug: Slug::parse(&body.slug).map_err(|e| ApiError::validation("slug", e.0))?,
            name: body.name,
            description: body.description,
            read_roles: roles("read_roles", &body.read_roles)?,
            post_roles: roles("post_roles", &body.post_roles)?,
            members: body.members.as_deref().map(emails).transpose()?,
            archived: body.archived,
        })
    })
    .await?;
    let access = access_from(&created, false)?;
    let can_post = !created.archived;
    Ok(HttpResponse::Created().json(view(created, &access, can_post)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSpace {
    #[schema(schema_with = super::openapi::fields::space_name_or_null)]
    pub name: Option<String>,
    pub description: Option<String>,
    /// At least one role.
    #[schema(schema_with = super::openapi::fields::some_roles_or_null)]
    pub read_roles: Option<Vec<String>>,
    #[schema(schema_with = super::openapi::fields::roles_or_null)]
    pub post_roles: Option<Vec<String>>,
    /// A list makes the space members-only with exactly these members; `[]` with
    /// `members_only: false` opens it to its roles again.
    #[schema(schema_with = super::openapi::fields::member_emails)]
    pub members: Option<Vec<String>>,
    pub members_only: Option<bool>,
    pub archived: Option<bool>,
}

/// Changes a space's name, audience, members or archived flag (admin).
#[utoipa::path(patch, path = "/api/v1/spaces/{slug}", tag = "spaces", request_body = UpdateSpace,
    params(("slug" = String, Path, description = "The space's slug")),
    responses((status = 200, body = SpaceView, description = "Changed"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not an admin"),
        (status = 404, body = ErrorBody, description = "No such space"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A value breaks a rule: `name`, the roles, or `members` naming no user")))]
#[patch("/spaces/{slug}")]
pub async fn update(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    body: JsonBody<UpdateSpace>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let updated = use_cases::spaces::change(&state, &viewer, &slug, |existing| {
        let members = match (body.members_only, body.members) {
            (Some(false), _) => Some(None),
            (_, Some(wanted)) => Some(Some(emails(&wanted)?)),
            (Some(true), None) if !existing.members_only => Some(Some(Vec::new())),
            _ => None,
        };
        Ok(SpaceChanges {
            name: body.name,
            description: body.description,
            read_roles: body
                .read_roles
                .as_deref()
                .map(|r| roles("read_roles", r))
                .transpose()?,
            post_roles: body
                .post_roles
                .as_deref()
                .map(|r| roles("post_roles", r))
                .transpose()?,
            members,
            archived: body.archived,
        })
    })
    .await?;
    let access = access_from(&updated, false)?;
    let can_post = !updated.archived;
    Ok(HttpResponse::Ok().json(view(updated, &access, can_post)))
}
