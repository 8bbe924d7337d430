//! `/`: the signed-in person's spaces and what is going on in them.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::views::{rows, ThreadRow};
use crate::state::AppState;
use crate::use_cases;
use actix_web::{get, web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    chrome: Chrome,
    name: String,
    spaces: Vec<use_cases::home::SpaceCard>,
    pinned: Vec<ThreadRow>,
    latest: Vec<ThreadRow>,
    endorsed: Vec<ThreadRow>,
}

#[get("/")]
pub async fn show(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    let home = use_cases::home::overview(&state, &who.viewer).await?;
    render::page(
        &state,
        &HomePage {
            name: who.viewer.display_name.clone(),
            chrome: who.chrome,
            spaces: home.spaces,
            pinned: rows(home.pinned),
            latest: rows(home.latest),
            endorsed: rows(home.endorsed),
        },
    )
}
