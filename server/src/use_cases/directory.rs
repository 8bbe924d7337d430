//! The directory: organisations by kind with their leaders, people searchable by name,
//! organisation, role and portfolio, a person's profile with the threads they started that
//! the viewer may read, and changing one's own profile. Every signed-in member may use it;
//! disabled accounts are left out.
use crate::auth::Viewer;
use crate::db::entities::{organisation, thread, user};
use crate::domain::portfolio;
use crate::error::ApiError;
use crate::forum::threads::{self as forum_threads, ThreadSummary};
use crate::state::AppState;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub id: i32,
    pub display_name: String,
    pub job_title: String,
    /// `chief_officer`, `pcc`, `staff`, `supplier` or `admin`.
    pub role: String,
    pub organisation_id: i32,
    pub organisation: String,
    /// Portfolio keys, from the managed list.
    pub portfolios: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganisationEntry {
    pub id: i32,
    pub name: String,
    /// `force`, `pcc_office`, `national_body`, `supplier` or `operator`.
    pub kind: String,
    /// Its chief officers and PCCs.
    pub leaders: Vec<PersonView>,
    /// Enabled members.
    pub people: u64,
}

fn person(u: user::Model, orgs: &HashMap<i32, String>) -> PersonView {
    PersonView {
        id: u.id,
        organisation: orgs.get(&u.organisation_id).cloned().unwrap_or_default(),
        organisation_id: u.organisation_id,
        portfolios: portfolio::keys(&u.portfolios)
            .into_iter()
            .map(String::from)
            .collect(),
        display_name: u.display_name,
        job_title: u.job_title,
        role: u.role,
    }
}

async fn org_names(app: &AppState) -> Result<HashMap<i32, String>, ApiError> {
    Ok(organisation::Entity::find()
        .all(&app.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Every organisation, by kind then name, with its leaders.
pub async fn organisations(
    app: &AppState,
    _viewer: &Viewer,
) -> Result<Vec<OrganisationEntry>, ApiError> {
    let orgs = organisation::Entity::find()
        .order_by_asc(organisation::Column::Kind)
        .order_by_asc(organisation::Column::Name)
        .all(&app.db)
        .await?;
    let names: HashMap<i32, String> = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    let people = user::Entity::find()
        .filter(user::Column::Disabled.eq(false))
        .order_by_asc(user::Column::DisplayName)
        .all(&app.db)
        .await?;
    let mut counts: HashMap<i32, u64> = HashMap::new();
    let mut leaders: HashMap<i32, Vec<PersonView>> = HashMap::new();
    for u in people {
        *counts.entry(u.organisation_id).or_default() += 1;
        if u.role == "chief_officer" || u.role == "pcc" {
            leaders
                .entry(u.organisation_id)
                .or_default()
                .push(person(u, &names));
        }
    }
    Ok(orgs
        .into_iter()
        .map(|o| OrganisationEntry {
            leaders: leaders.remove(&o.id).unwrap_or_default(),
            people: counts.get(&o.id).copied().unwrap_or(0),
            id: o.id,
            name: o.name,
            kind: o.kind,
        })
        .collect())
}

/// Which people to list; every part is optional.
#[derive(Default)]
pub struct PeopleFilter {
    /// Part of a name or job title.
    pub q: Option<String>,
    pub organisation_id: Option<i32>,
    pub role: Option<String>,
    pub portfolio: Option<String>,
}

pub const PEOPLE_PAGE: u64 = 50;

/// People matching the filter, by name, a page of `PEOPLE_PAGE` at a time (1-based).
pub async fn people(
    app: &AppState,
    _viewer: &Viewer,
    filter: &PeopleFilter,
    page: u64,
) -> Result<(Vec<PersonView>, bool), ApiError> {
    let mut query = user::Entity::find().filter(user::Column::Disabled.eq(false));
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::DisplayName)))
                        .like(pattern.clone()),
                )
                .add(Expr::expr(Func::lower(Expr::col(user::Column::JobTitle))).like(pattern)),
        );
    }
    if let Some(org) = filter.organisation_id {
        query = query.filter(user::Column::OrganisationId.eq(org));
    }
    if let Some(role) = filter.role.as_deref() {
        role.parse::<crate::domain::Role>()
            .map_err(|e| ApiError::validation("role", e.0))?;
        query = query.filter(user::Column::Role.eq(role));
    }
    if let Some(key) = filter.portfolio.as_deref() {
        if portfolio::label(key).is_none() {
            return Err(ApiError::validation(
                "portfolio",
                format!("{key:?} is not a portfolio"),
            ));
        }
        query = query.filter(
            Condition::any()
                .add(user::Column::Portfolios.eq(key))
                .add(user::Column::Portfolios.like(format!("{key},%")))
                .add(user::Column::Portfolios.like(format!("%,{key}")))
                .add(user::Column::Portfolios.like(format!("%,{key},%"))),
        );
    }
    let page = page.clamp(1, 1000);
    let mut rows = query
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .offset((page - 1) * PEOPLE_PAGE)
        .limit(PEOPLE_PAGE + 1)
        .all(&app.db)
        .await?;
    let more = rows.len() as u64 > PEOPLE_PAGE;
    rows.truncate(PEOPLE_PAGE as usize);
    let orgs = org_names(app).await?;
    Ok((rows.into_iter().map(|u| person(u, &orgs)).collect(), more))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Profile {
    #[serde(flatten)]
    pub person: PersonView,
    /// The latest threads they started, among those the viewer may read.
    pub recent_threads: Vec<ThreadSummary>,
}

/// A person's profile. A disabled account is not found, as if it did not exist.
pub async fn profile(app: &AppState, viewer: &Viewer, person_id: i32) -> Result<Profile, ApiError> {
    let found = user::Entity::find_by_id(person_id)
        .filter(user::Column::Disabled.eq(false))
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let readable: Vec<(i32, String)> = crate::permissions::readable_by_viewer(app, viewer)
        .await?
        .into_iter()
        .filter(|r| !r.as_admin)
        .map(|r| (r.space.id, r.space.slug))
        .collect();
    let ids: Vec<i32> = readable.iter().map(|(id, _)| *id).collect();
    let theirs: Vec<thread::Model> = thread::Entity::find()
        .filter(thread::Column::AuthorId.eq(found.id))
        .filter(thread::Column::SpaceId.is_in(ids))
        .order_by_desc(thread::Column::CreatedAt)
        .limit(10)
        .all(&app.db)
        .await?;
    let recent_threads = forum_threads::summaries_in(&app.db, &readable, theirs).await?;
    let orgs = org_names(app).await?;
    Ok(Profile {
        person: person(found, &orgs),
        recent_threads,
    })
}

/// A job title as stored: trimmed, at most 200 characters, on one line.
pub fn job_title_checked(raw: &str) -> Result<String, ApiError> {
    let title = raw.trim();
    if title.chars().count() > 200 {
        return Err(ApiError::validation(
            "job_title",
            "job title must be at most 200 characters",
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(ApiError::validation(
            "job_title",
            "job title must be one line of text",
        ));
    }
    Ok(title.to_string())
}

/// One's own profile: job title and portfolios; `None` leaves a part as it is.
pub async fn update_profile(
    app: &AppState,
    viewer: &Viewer,
    job_title: Option<String>,
    portfolios: Option<Vec<String>>,
) -> Result<PersonView, ApiError> {
    let account = user::Entity::find_by_id(viewer.id)
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut active: user::ActiveModel = account.into();
    if let Some(title) = job_title {
        active.job_title = Set(job_title_checked(&title)?);
    }
    if let Some(keys) = portfolios {
        active.portfolios =
            Set(portfolio::store(&keys).map_err(|m| ApiError::validation("portfolios", m))?);
    }
    let saved = active.update(&app.db).await?;
    let orgs = org_names(app).await?;
    Ok(person(saved, &orgs))
}
