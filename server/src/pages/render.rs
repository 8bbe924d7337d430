//! Turning a template into a response: the shared page frame (`Chrome`), the pages' security
//! policy, and dates as people here read them.
use super::errors::PageError;
use crate::auth::Viewer;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use askama::Template;
use chrono::{DateTime, Utc};

/// Scripts and styles only from our own files (never inline), nothing framing us, forms and
/// fetches only to us. Images in posts come from us or the hosts allowed in `[markdown]`.
pub const BASE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// What every page's frame shows: who is signed in, the sign-out form's token, the search box.
pub struct Chrome {
    pub user: Option<ChromeUser>,
    pub csrf_token: String,
    /// What the search box holds.
    pub q: String,
    pub css: &'static str,
    pub js: &'static str,
    /// How often a page with a text box renews the sign-in (half the access token's life).
    pub keepalive_seconds: u64,
}

pub struct ChromeUser {
    pub name: String,
    pub is_admin: bool,
}

impl Chrome {
    /// The frame for a page nobody is signed in to (sign-in, invitations, errors).
    pub fn bare() -> Self {
        Chrome {
            user: None,
            csrf_token: String::new(),
            q: String::new(),
            css: super::assets::stylesheet_url(),
            js: super::assets::script_url(),
            keepalive_seconds: 0,
        }
    }

    pub fn for_viewer(state: &AppState, viewer: &Viewer) -> Self {
        Chrome {
            user: Some(ChromeUser {
                name: viewer.display_name.clone(),
                is_admin: viewer.is_admin(),
            }),
            csrf_token: state.keys.csrf.token(&viewer.session_id),
            keepalive_seconds: (u64::from(state.settings.auth.access_token_minutes) * 30).max(30),
            ..Chrome::bare()
        }
    }

    pub fn with_query(mut self, q: &str) -> Self {
        self.q = q.to_string();
        self
    }
}

/// The policy for pages showing posts: `BASE_CSP` with the image hosts posts may use.
pub fn csp(state: &AppState) -> String {
    let hosts = &state.settings.markdown.image_hosts;
    if hosts.is_empty() {
        return BASE_CSP.to_string();
    }
    let extra: String = hosts.iter().map(|h| format!(" https://{h}")).collect();
    BASE_CSP.replace("img-src 'self'", &format!("img-src 'self'{extra}"))
}

pub fn respond(status: StatusCode, html: String, csp: &str) -> HttpResponse {
    html_response(status, csp).body(html)
}

/// A page's answer before its body: HTML, with the policy `csp`.
pub fn html_response(status: StatusCode, csp: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp));
    response
}

/// Renders a page with status 200.
pub fn page(state: &AppState, template: &impl Template) -> Result<HttpResponse, PageError> {
    page_with_status(state, StatusCode::OK, template)
}

pub fn page_with_status(
    state: &AppState,
    status: StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, PageError> {
    Ok(respond(status, template.render()?, &csp(state)))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "2 December 2026, 14:05" in UK time. Written out by hand: pages show many dates, and
/// chrono's `format` parses its pattern again for each.
pub fn when(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let uk = at.with_timezone(&chrono_tz::Europe::London);
    let month = MONTHS[uk.month0() as usize % 12];
    format!(
        "{} {month} {}, {:02}:{:02}",
        uk.day(),
        uk.year(),
        uk.hour(),
        uk.minute()
    )
}

/// The machine-readable form for `<time datetime>`: "2026-12-02T14:05:00Z".
pub fn iso(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    if !(0..=9999).contains(&at.year()) {
        return at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn dates_are_shown_in_uk_time() {
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 13, 5, 0).unwrap();
        assert_eq!(when(summer), "1 July 2026, 14:05");
        let winter = Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap();
        assert_eq!(when(winter), "2 December 2026, 09:00");
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 7).unwrap();
        assert_eq!(when(new_year), "31 December 2026, 23:59");
    }

    #[test]
    fn machine_dates_match_rfc_3339_in_utc() {
        for at in [
            Utc.with_ymd_and_hms(2026, 7, 1, 13, 5, 9).unwrap(),
            Utc.with_ymd_and_hms(1999, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::milliseconds(999),
        ] {
            assert_eq!(
                iso(at),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            for (day, month) in [(1, 1), (15, 3), (31, 10), (29, 2)] {
                let shifted = Utc.with_ymd_and_hms(2028, month, day, 0, 30, 0).unwrap();
                let by_chrono = shifted
                    .with_timezone(&chrono_tz::Europe::London)
                    .format("%-d %B %Y, %H:%M")
                    .to_string();
                assert_eq!(when(shifted), by_chrono);
            }
        }
    }
}
