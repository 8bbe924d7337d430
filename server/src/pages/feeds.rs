//! The Atom feeds: `/feeds/{token}/spaces/{slug}` (a space's latest threads) and
//! `/feeds/{token}/search?q=…` (a saved search, newest first). The token stands for a person;
//! what a feed holds is what that person may read (`use_cases::feeds`).
use super::errors::PageError;
use super::spaces::query;
use crate::error::ApiError;
use crate::forum::threads::ThreadSummary;
use crate::state::AppState;
use crate::use_cases::{self, feeds, search::SearchInput};
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[cfg(test)]
mod tests {
    #[test]
    fn feeds_drop_what_xml_forbids() {
        assert_eq!(super::xml_safe("a\u{0B}b\u{1B}c\td\ne"), "abc\td\ne");
    }
}

const ENTRIES: u64 = 25;

struct Entry {
    title: String,
    url: String,
    updated: String,
    summary: String,
    summary_is_html: bool,
}

#[derive(Template)]
#[template(path = "feeds/atom.xml")]
struct Atom {
    title: String,
    self_url: String,
    page_url: String,
    updated: String,
    entries: Vec<Entry>,
}

fn is_sensitive(marking: &str) -> bool {
    marking != "OFFICIAL"
}

/// A thread as a feed entry; an OFFICIAL-SENSITIVE one without its title or anything else.
fn thread_entry(base: &str, t: &ThreadSummary) -> Entry {
    let url = format!("{base}/threads/{}", t.id);
    let replies = (t.post_count - 1).max(0);
    if is_sensitive(&t.marking) {
        return Entry {
            title: "An OFFICIAL-SENSITIVE thread (sign in to read it)".into(),
            summary: "Its title and text stay on Roundtable.".into(),
            summary_is_html: false,
            updated: t.last_activity_at.to_rfc3339(),
            url,
        };
    }
    Entry {
        title: t.title.clone(),
        summary: format!(
            "{} · {replies} {} · tags: {}",
            t.author
                .as_ref()
                .map(|a| a.display_name.as_str())
                .unwrap_or(""),
            if replies == 1 { "reply" } else { "replies" },
            if t.tags.is_empty() {
                "none".into()
            } else {
                t.tags.join(", ")
            }
        ),
        summary_is_html: false,
        updated: t.last_activity_at.to_rfc3339(),
        url,
    }
}

fn atom(feed: Atom) -> Result<HttpResponse, PageError> {
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header(("x-robots-tag", "noindex"))
        .body(xml_safe(&feed.render()?)))
}

/// Drops the characters XML 1.0 forbids (control characters other than tab, newline and
/// carriage return), which a post may hold and which would make feed readers refuse the
/// whole feed.
fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|&c| !(c.is_control() && c < ' ' && !matches!(c, '\t' | '\n' | '\r')))
        .collect()
}

fn base(state: &AppState) -> String {
    state.settings.public_url().to_string()
}

#[get("/feeds/{token}/spaces/{slug}")]
pub async fn space(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (token, slug) = path.into_inner();
    let reader = feeds::reader(&state, &token).await?;
    let found = feeds::space_listing(&state, &reader, &slug, ENTRIES).await?;
    let base = base(&state);
    let mut threads = found.list.threads.clone();
    threads.sort_by_key(|t| std::cmp::Reverse(t.last_activity_at));
    atom(Atom {
        title: format!("{} – Roundtable", found.space.name),
        self_url: format!("{base}/feeds/{token}/spaces/{slug}"),
        page_url: format!("{base}/spaces/{slug}"),
        updated: threads
            .first()
            .map(|t| t.last_activity_at)
            .unwrap_or(found.space.created_at)
            .to_rfc3339(),
        entries: threads.iter().map(|t| thread_entry(&base, t)).collect(),
    })
}

#[derive(Deserialize)]
struct FeedQuery {
    q: Option<String>,
}

#[get("/feeds/{token}/search")]
pub async fn search(
    state: web::Data<AppState>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: FeedQuery = query(&req)?;
    let q = asked.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(ApiError::validation("q", "a search feed needs a query: add ?q=…").into());
    }
    let reader = feeds::reader(&state, &token).await?;
    let found = use_cases::search::run(
        &state,
        &reader,
        SearchInput {
            members_only: true,
            q: q.clone(),
            page: Some(1),
            per_page: Some(ENTRIES as usize),
            sort: Some("date".into()),
        },
    )
    .await?;
    let base = base(&state);
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    // A search feed leaves the platform with its query as its title: OFFICIAL-SENSITIVE
    // hits are left out altogether, so it does not even say that such material exists.
    let entries: Vec<Entry> = found
        .hits
        .iter()
        .filter(|h| !is_sensitive(&h.marking))
        .map(|h| Entry {
            title: h.title.clone(),
            summary: h.snippet_html.clone(),
            summary_is_html: true,
            updated: h.created_at.to_rfc3339(),
            url: format!("{base}{}", h.page_path()),
        })
        .collect();
    atom(Atom {
        title: format!("Search: {q} – Roundtable"),
        self_url: format!("{base}/feeds/{token}/search?q={encoded}"),
        page_url: format!("{base}/search?q={encoded}"),
        updated: found
            .hits
            .iter()
            .map(|h| h.created_at)
            .max()
            .unwrap_or_else(chrono::Utc::now)
            .to_rfc3339(),
        entries,
    })
}
