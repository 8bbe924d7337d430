//! The pages behind an email's unsubscribe link: a confirmation with one button (following a
//! link changes nothing, so mail scanners cannot unsubscribe anyone), then what was done.
//! Nobody needs to be signed in: the link's signed token names the person and the list. The
//! routes are `routes::unsubscribe` (the link stays where mail clients' one-click POST goes).
use super::render::{self, Chrome};
use crate::digest::unsubscribe::List;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "pages/unsubscribe.html")]
struct ConfirmPage<'a> {
    chrome: Chrome,
    what: &'a str,
    action: String,
}

#[derive(Template)]
#[template(path = "pages/unsubscribed.html")]
struct DonePage<'a> {
    chrome: Chrome,
    what: &'a str,
}

fn html(state: &AppState, page: &impl Template) -> Result<HttpResponse, ApiError> {
    render::page(state, page).map_err(|e| match e {
        super::errors::PageError::Api(api) => api,
        other => ApiError::Internal(anyhow::anyhow!("{other}")),
    })
}

pub fn confirm(
    state: &AppState,
    list: List,
    token: &str,
    what: &str,
) -> Result<HttpResponse, ApiError> {
    html(
        state,
        &ConfirmPage {
            chrome: Chrome::bare(),
            what,
            action: format!("/unsubscribe/{}/{token}", list.as_str()),
        },
    )
}

pub fn done(state: &AppState, what: &str) -> Result<HttpResponse, ApiError> {
    html(
        state,
        &DonePage {
            chrome: Chrome::bare(),
            what,
        },
    )
}
