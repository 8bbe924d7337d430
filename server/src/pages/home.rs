//! `/`: the signed-in person's spaces and what is going on in them.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::views::{kept_rows, page_marking, render_rows, shown};
use crate::state::AppState;
use crate::use_cases;
use actix_web::{get, web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage<'a> {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    name: String,
    spaces: Vec<use_cases::home::SpaceCard>,
    new_replies: Vec<&'a str>,
    pinned: Vec<&'a str>,
    latest: Vec<&'a str>,
    endorsed: Vec<&'a str>,
}

#[get("/")]
pub async fn show(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    let home = use_cases::home::overview(&state, &who.viewer).await?;
    let unread = &home.marks.unread;
    // The viewer's own list is theirs alone and short: rendered for this view only.
    let new_replies = render_rows(&home.marks.new_replies, None)?;
    let lists = &home.lists;
    let [pinned, latest, endorsed] = kept_rows(&lists.rows, || {
        Ok([
            render_rows(&lists.pinned, None)?,
            render_rows(&lists.latest, None)?,
            render_rows(&lists.endorsed, None)?,
        ])
    })?;
    let (marking, sensitive) = page_marking(
        new_replies
            .iter()
            .chain(pinned)
            .chain(latest)
            .chain(endorsed)
            .map(|r| &r.sensitive),
    );
    render::page(
        &state,
        &HomePage {
            name: who.viewer.display_name.clone(),
            chrome: who.chrome,
            marking,
            sensitive,
            spaces: home.spaces,
            new_replies: shown(&new_replies, unread),
            pinned: shown(pinned, unread),
            latest: shown(latest, unread),
            endorsed: shown(endorsed, unread),
        },
    )
}
