//! Help pages: how to search (from `docs/search.md`, so the page and the docs never differ)
//! and how to format posts.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use askama::Template;
use std::sync::LazyLock;

/// The part of `docs/search.md` written for people searching (the rest is for developers).
static SEARCH_HELP: LazyLock<String> = LazyLock::new(|| {
    let doc = include_str!("../../../docs/search.md");
    let for_people = doc.split("\n## The API").next().unwrap_or(doc);
    crate::markdown::render(for_people)
});

#[derive(Template)]
#[template(path = "pages/help_search.html")]
struct SearchHelp {
    chrome: Chrome,
    html: &'static str,
}

#[derive(Template)]
#[template(path = "pages/help_writing.html")]
struct WritingHelp {
    chrome: Chrome,
}

#[get("/help/search")]
pub async fn search(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    render::page(
        &state,
        &SearchHelp {
            chrome: who.chrome,
            html: &SEARCH_HELP,
        },
    )
}

#[get("/help/writing")]
pub async fn writing(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    render::page(&state, &WritingHelp { chrome: who.chrome })
}
