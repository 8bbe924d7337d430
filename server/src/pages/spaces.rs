//! `/spaces/{slug}`: a space's threads, pinned first, a page at a time, optionally one tag's.
use super::errors::PageError;
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::views::{kept_rows, page_marking, render_rows, shown};
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PAGE_SIZE: u64 = 25;

#[derive(Template)]
#[template(path = "pages/space.html")]
struct SpacePage<'a> {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    slug: String,
    name: String,
    description: String,
    archived: bool,
    can_post: bool,
    tag: Option<String>,
    rows: Vec<&'a str>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct SpaceQuery {
    cursor: Option<String>,
    tag: Option<String>,
}

/// A page's query string, read without refusing what it does not know (digest links carry
/// extra parameters); one that cannot be read is a 400 page.
pub fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, PageError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| {
            PageError::Api(ApiError::bad_request(format!(
                "the address cannot be read: {e}"
            )))
        })
}

#[get("/spaces/{slug}")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: SpaceQuery = query(&req)?;
    let tag = asked.tag.filter(|t| !t.trim().is_empty());
    let found = use_cases::threads::listing_for_page(
        &state,
        &who.viewer,
        &slug,
        asked.cursor.as_deref(),
        tag.as_deref(),
        PAGE_SIZE,
    )
    .await?;
    let next = found.list.next_cursor.as_ref().map(|c| {
        let mut url = format!("/spaces/{}?cursor={c}", found.space.slug);
        if let Some(t) = &tag {
            url.push_str("&tag=");
            url.extend(url::form_urlencoded::byte_serialize(t.as_bytes()));
        }
        url
    });
    let list = &found.list;
    let rendered = kept_rows(&list.rows, || {
        render_rows(&list.threads, Some(&list.organisations))
    })?;
    let (marking, sensitive) = page_marking(rendered.iter().map(|r| &r.sensitive));
    render::page(
        &state,
        &SpacePage {
            chrome: who.chrome,
            marking,
            sensitive,
            slug: found.space.slug,
            name: found.space.name,
            description: found.space.description,
            archived: found.space.archived,
            can_post: found.can_post,
            tag,
            rows: shown(rendered, &found.unread),
            next,
        },
    )
}
