//! `/search`: the search box's results, with facets that narrow the search by adding a
//! filter to the query (so the query shows people the syntax), sorting and paging.
use super::errors::PageError;
use super::render::{self, when, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::search::{run, SearchInput};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

const PER_PAGE: usize = 20;

pub struct Hit {
    pub title: String,
    pub marking: String,
    pub sensitive: bool,
    pub href: String,
    /// A document hit's kind of file ("PDF", "Word document"); `None` for a discussion.
    pub file_type: Option<&'static str>,
    pub space: String,
    pub snippet_html: String,
    pub when: String,
    /// "Best practice", "Best practice: under review" or "Superseded".
    pub standing: Option<&'static str>,
    /// What supersedes it: (link, title), when the viewer may read it.
    pub superseded_by: Option<(String, String)>,
    pub successor_sensitive: bool,
}

pub struct FacetValue {
    pub label: String,
    pub count: u64,
    pub href: String,
}

pub struct Facet {
    pub name: &'static str,
    pub values: Vec<FacetValue>,
}

#[derive(Template)]
#[template(path = "pages/search.html")]
struct SearchPage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    q: String,
    error: Option<String>,
    total: usize,
    hits: Vec<Hit>,
    facets: Vec<Facet>,
    sort: &'static str,
    relevance_href: String,
    date_href: String,
    previous: Option<String>,
    next: Option<String>,
    page: usize,
    /// This search's feed address, once the person has feed links.
    feed: Option<String>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
}

fn href(q: &str, sort: &str, page: usize) -> String {
    let mut out = format!(
        "/search?q={}",
        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    if sort == "date" {
        out.push_str("&sort=date");
    }
    if page > 1 {
        out.push_str(&format!("&page={page}"));
    }
    out
}

/// The filter a facet value adds to the query.
fn filter(facet: &str, value: &str) -> Option<String> {
    let quoted = |v: &str| {
        if v.chars().any(|c| c.is_whitespace() || c == ':') {
            format!("\"{}\"", v.replace('"', ""))
        } else {
            v.to_string()
        }
    };
    Some(match facet {
        "space" => format!("space:{}", quoted(value)),
        "tag" => format!("tag:{}", quoted(value)),
        "force" => format!("force:{}", quoted(value)),
        "type" => format!("type:{}", quoted(value)),
        "year" => {
            let year: i32 = value.parse().ok()?;
            format!("after:{year}-01-01 before:{}-01-01", year + 1)
        }
        _ => return None,
    })
}

fn facet_title(name: &str) -> Option<&'static str> {
    Some(match name {
        "space" => "Space",
        "tag" => "Tag",
        "force" => "Organisation",
        "year" => "Year",
        "type" => "Type",
        _ => return None,
    })
}

#[get("/search")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: SearchQuery = query(&req)?;
    let q = asked.q.unwrap_or_default().trim().to_string();
    let sort: &'static str = if asked.sort.as_deref() == Some("date") {
        "date"
    } else {
        "relevance"
    };
    let page = asked
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1usize)
        .clamp(1, 1000);
    let mut view = SearchPage {
        chrome: who.chrome.with_query(&q),
        marking: "OFFICIAL".into(),
        sensitive: false,
        relevance_href: href(&q, "relevance", 1),
        date_href: href(&q, "date", 1),
        q: q.clone(),
        error: None,
        total: 0,
        hits: Vec::new(),
        facets: Vec::new(),
        sort,
        previous: None,
        next: None,
        page,
        feed: None,
    };
    if q.is_empty() {
        return render::page(&state, &view);
    }
    let input = SearchInput {
        members_only: false,
        q: q.clone(),
        page: Some(page),
        per_page: Some(PER_PAGE),
        sort: Some(sort.to_string()),
    };
    let found = match run(&state, &who.viewer, input).await {
        Ok(found) => found,
        Err(ApiError::BadRequest { message, .. }) => {
            view.error = Some(super::errors::capitalise(&message));
            return render::page_with_status(&state, StatusCode::BAD_REQUEST, &view);
        }
        Err(other) => return Err(other.into()),
    };
    view.total = found.total;
    view.hits = found
        .hits
        .into_iter()
        .map(|h| Hit {
            standing: h.best_practice.as_ref().map(|b| match b.status {
                crate::best_practice::Status::Current => "Best practice",
                crate::best_practice::Status::UnderReview => "Best practice: under review",
                crate::best_practice::Status::Superseded => "Superseded",
            }),
            superseded_by: h
                .best_practice
                .as_ref()
                .and_then(|b| b.superseded_by.as_ref())
                .map(|s| (s.path.clone(), s.title.clone())),
            successor_sensitive: h
                .best_practice
                .as_ref()
                .and_then(|b| b.superseded_by.as_ref())
                .is_some_and(|s| s.marking != "OFFICIAL"),
            href: h.page_path(),
            file_type: h
                .file_type
                .as_deref()
                .and_then(crate::library::file_type::FileType::parse)
                .map(|t| t.label()),
            sensitive: h.marking != "OFFICIAL",
            marking: h.marking,
            title: h.title,
            space: h.space,
            snippet_html: h.snippet_html,
            when: when(h.created_at),
        })
        .collect();
    (view.marking, view.sensitive) = super::views::page_marking(
        view.hits
            .iter()
            .map(|h| h.sensitive || h.successor_sensitive)
            .collect::<Vec<_>>()
            .iter(),
    );
    view.facets = found
        .facets
        .into_iter()
        .filter_map(|(name, values)| {
            let title = facet_title(&name)?;
            let mut values: Vec<FacetValue> = values
                .into_iter()
                .filter_map(|(value, count)| {
                    let narrowed = format!("{q} {}", filter(&name, &value)?);
                    Some(FacetValue {
                        href: href(&narrowed, sort, 1),
                        label: value,
                        count,
                    })
                })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
            values.truncate(10);
            (!values.is_empty()).then_some(Facet {
                name: title,
                values,
            })
        })
        .collect();
    view.feed = crate::use_cases::feeds::token(&state, &who.viewer)
        .await?
        .map(|token| {
            let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
            format!("{}/feeds/{token}/search?q={q}", state.settings.public_url())
        });
    if page > 1 {
        view.previous = Some(href(&q, sort, page - 1));
    }
    if page * PER_PAGE < found.total {
        view.next = Some(href(&q, sort, page + 1));
    }
    render::page(&state, &view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_become_filters_people_can_read() {
        assert_eq!(filter("space", "it-digital").unwrap(), "space:it-digital");
        assert_eq!(
            filter("force", "Kent Police").unwrap(),
            "force:\"Kent Police\""
        );
        assert_eq!(
            filter("year", "2026").unwrap(),
            "after:2026-01-01 before:2027-01-01"
        );
        assert_eq!(filter("year", "soon"), None);
        assert_eq!(filter("colour", "red"), None);
    }
}
