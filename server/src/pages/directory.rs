//! `/directory`: organisations by kind with their chief officers and PCCs, and people
//! searchable by name, organisation, role and portfolio; `/people/{id}`: a profile;
//! `/settings/profile`: one's own job title and portfolios.
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::{role_name, rows, ThreadRow};
use crate::domain::portfolio::{self, PORTFOLIOS};
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases::directory::{self, PeopleFilter, PersonView};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub struct PersonRow {
    pub id: i32,
    pub name: String,
    pub job_title: String,
    pub organisation: String,
    pub role: &'static str,
    pub portfolios: String,
}

fn labels(keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| portfolio::label(k))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<PersonView> for PersonRow {
    fn from(p: PersonView) -> Self {
        PersonRow {
            role: role_name(&p.role),
            portfolios: labels(&p.portfolios),
            id: p.id,
            name: p.display_name,
            job_title: p.job_title,
            organisation: p.organisation,
        }
    }
}

pub struct OrgGroup {
    pub title: &'static str,
    pub organisations: Vec<OrgCard>,
}

pub struct OrgCard {
    pub id: i32,
    pub name: String,
    pub people: u64,
    pub leaders: Vec<PersonRow>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "pages/directory.html")]
struct DirectoryPage {
    chrome: Chrome,
    q: String,
    searching: bool,
    organisations: Vec<Choice>,
    roles: Vec<Choice>,
    portfolios: Vec<Choice>,
    people: Vec<PersonRow>,
    groups: Vec<OrgGroup>,
    error: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
struct DirectoryQuery {
    q: Option<String>,
    organisation: Option<String>,
    role: Option<String>,
    portfolio: Option<String>,
    page: Option<String>,
}

const KINDS: [(&str, &str); 5] = [
    ("force", "Police forces"),
    ("pcc_office", "Offices of Police and Crime Commissioners"),
    ("national_body", "National bodies"),
    ("supplier", "Admitted suppliers"),
    ("operator", "Roundtable"),
];

fn choices(options: impl Iterator<Item = (String, String)>, selected: &str) -> Vec<Choice> {
    std::iter::once((String::new(), "Any".to_string()))
        .chain(options)
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

#[get("/directory")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: DirectoryQuery = query(&req)?;
    let v = &who.viewer;
    let orgs = directory::organisations(&state, v).await?;
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let filter = PeopleFilter {
        q: asked.q.clone(),
        organisation_id: asked.organisation.as_deref().and_then(|o| o.parse().ok()),
        role: asked.role.clone().filter(|r| !r.is_empty()),
        portfolio: asked.portfolio.clone().filter(|p| !p.is_empty()),
    };
    let searching = filter.q.as_deref().is_some_and(|q| !q.trim().is_empty())
        || filter.organisation_id.is_some()
        || filter.role.is_some()
        || filter.portfolio.is_some();
    let page: u64 = asked
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1u64)
        .clamp(1, 1000);
    let (mut people, mut error, mut next) = (Vec::new(), None, None);
    if searching {
        match directory::people(&state, v, &filter, page).await {
            Ok((found, more)) => {
                people = found.into_iter().map(PersonRow::from).collect();
                if more {
                    let mut url = url::form_urlencoded::Serializer::new(String::new());
                    for (k, val) in [
                        ("q", &asked.q),
                        ("organisation", &asked.organisation),
                        ("role", &asked.role),
                        ("portfolio", &asked.portfolio),
                    ] {
                        if let Some(val) = val.as_deref().filter(|x| !x.is_empty()) {
                            url.append_pair(k, val);
                        }
                    }
                    url.append_pair("page", &(page + 1).to_string());
                    next = Some(format!("/directory?{}", url.finish()));
                }
            }
            Err(crate::error::ApiError::Validation { message, .. }) => {
                error = Some(super::errors::capitalise(&message))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let org_choices = choices(
        orgs.iter().map(|o| (o.id.to_string(), o.name.clone())),
        &text(&asked.organisation),
    );
    let groups = KINDS
        .iter()
        .filter_map(|(kind, title)| {
            let organisations: Vec<OrgCard> = orgs
                .iter()
                .filter(|o| o.kind == *kind)
                .map(|o| OrgCard {
                    id: o.id,
                    name: o.name.clone(),
                    people: o.people,
                    leaders: o.leaders.iter().cloned().map(PersonRow::from).collect(),
                })
                .collect();
            (!organisations.is_empty()).then_some(OrgGroup {
                title,
                organisations,
            })
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render::page_with_status(
        &state,
        status,
        &DirectoryPage {
            chrome: who.chrome,
            q: text(&asked.q),
            searching,
            organisations: org_choices,
            roles: choices(
                ["chief_officer", "pcc", "staff", "supplier", "admin"]
                    .iter()
                    .map(|r| (r.to_string(), role_name(r).to_string())),
                &text(&asked.role),
            ),
            portfolios: choices(
                PORTFOLIOS
                    .iter()
                    .map(|(k, l)| (k.to_string(), l.to_string())),
                &text(&asked.portfolio),
            ),
            people,
            groups,
            error,
            next,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/person.html")]
struct PersonPage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    person: PersonRow,
    threads: Vec<ThreadRow>,
}

#[get("/people/{id}")]
pub async fn person(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let found = directory::profile(&state, &who.viewer, id_from_path(&id)?).await?;
    let threads = rows(&found.recent_threads);
    let (marking, sensitive) = super::views::page_marking(threads.iter().map(|t| &t.sensitive));
    render::page(
        &state,
        &PersonPage {
            chrome: who.chrome,
            marking,
            sensitive,
            person: found.person.into(),
            threads,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/settings_profile.html")]
struct ProfileForm {
    chrome: Chrome,
    errors: FormErrors,
    job_title: String,
    portfolios: Vec<Choice>,
}

fn portfolio_boxes(selected: &[&str]) -> Vec<Choice> {
    PORTFOLIOS
        .iter()
        .map(|(k, l)| Choice {
            value: k.to_string(),
            label: l.to_string(),
            selected: selected.contains(k),
        })
        .collect()
}

#[get("/settings/profile")]
pub async fn profile_form(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    let me = directory::profile(&state, &who.viewer, who.viewer.id)
        .await?
        .person;
    let selected: Vec<&str> = me.portfolios.iter().map(String::as_str).collect();
    render::page(
        &state,
        &ProfileForm {
            portfolios: portfolio_boxes(&selected),
            chrome: who.chrome,
            errors: FormErrors::default(),
            job_title: me.job_title,
        },
    )
}

#[post("/settings/profile")]
pub async fn save_profile(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let portfolios: Vec<String> = f.all("portfolios").into_iter().map(String::from).collect();
    let result = directory::update_profile(
        &state,
        &who.viewer,
        Some(f.get("job_title").to_string()),
        Some(portfolios),
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/people/{}", who.viewer.id))),
        Err(e) => {
            let errors = FormErrors::from_api(
                &e,
                &[("job_title", "job_title"), ("portfolios", "portfolios")],
            )
            .ok_or(PageError::Api(e))?;
            render::page_with_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                &ProfileForm {
                    chrome: who.chrome,
                    errors,
                    job_title: f.get("job_title").to_string(),
                    portfolios: portfolio_boxes(&f.all("portfolios")),
                },
            )
        }
    }
}
