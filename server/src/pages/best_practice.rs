//! The best-practice library: endorsed threads and documents, overall (`/best-practice`) and
//! per space (`/spaces/{slug}/best-practice`), current first, superseded items pointing to
//! what replaced them.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::page_marking;
use crate::routes::best_practice::parse_status;
use crate::state::AppState;
use crate::use_cases::best_practice::{self, EndorsementView};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "pages/best_practice.html")]
struct LibraryPage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    space: Option<(String, String)>,
    status: String,
    items: Vec<EndorsementView>,
    base: String,
}

#[derive(Deserialize)]
struct LibraryQuery {
    status: Option<String>,
}

async fn library(
    state: &AppState,
    who: SignedIn,
    space: Option<&str>,
    req: &HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: LibraryQuery = query(req)?;
    let status = parse_status(asked.status.as_deref())?;
    let items = best_practice::library(state, &who.viewer, space, status).await?;
    let space = match space {
        Some(slug) => crate::spaces::find_by_slug(&state.db, slug)
            .await?
            .map(|s| (s.slug, s.name)),
        None => None,
    };
    let sensitive: Vec<bool> = items
        .iter()
        .map(|i| {
            i.item.marking != "OFFICIAL"
                || i.superseded_by
                    .as_ref()
                    .is_some_and(|s| s.marking != "OFFICIAL")
        })
        .collect();
    let (marking, sensitive) = page_marking(sensitive.iter());
    let base = match &space {
        Some((slug, _)) => format!("/spaces/{slug}/best-practice"),
        None => "/best-practice".to_string(),
    };
    render::page(
        state,
        &LibraryPage {
            chrome: who.chrome,
            marking,
            sensitive,
            space,
            status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            items,
            base,
        },
    )
}

#[get("/best-practice")]
pub async fn overall(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    library(&state, who, None, &req).await
}

#[get("/spaces/{slug}/best-practice")]
pub async fn in_space(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    library(&state, who, Some(&slug), &req).await
}
