//! `/`: the signed-in person's spaces and what is going on in them.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::views::{page_marking, rows_marked, ThreadRow};
use crate::state::AppState;
use crate::use_cases;
use actix_web::{get, web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    name: String,
    spaces: Vec<use_cases::home::SpaceCard>,
    new_replies: Vec<ThreadRow>,
    pinned: Vec<ThreadRow>,
    latest: Vec<ThreadRow>,
    endorsed: Vec<ThreadRow>,
}

#[get("/")]
pub async fn show(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    let home = use_cases::home::overview(&state, &who.viewer).await?;
    let new_replies = rows_marked(home.new_replies, &home.unread);
    let pinned = rows_marked(home.pinned, &home.unread);
    let latest = rows_marked(home.latest, &home.unread);
    let endorsed = rows_marked(home.endorsed, &home.unread);
    let (marking, sensitive) = page_marking(
        new_replies
            .iter()
            .chain(&pinned)
            .chain(&latest)
            .chain(&endorsed)
            .map(|t| &t.sensitive),
    );
    render::page(
        &state,
        &HomePage {
            name: who.viewer.display_name.clone(),
            chrome: who.chrome,
            marking,
            sensitive,
            spaces: home.spaces,
            new_replies,
            pinned,
            latest,
            endorsed,
        },
    )
}
