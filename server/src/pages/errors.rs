//! How a page request fails: a trip to sign-in, or an error page in the site's layout (404 also
//! for what the viewer may not read, exactly as if it did not exist).
use super::render::Chrome;
use crate::error::ApiError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in (or the sign-in has lapsed): go to sign-in, then come back to `next`.
    #[error("sign in to continue")]
    SignIn { next: String },
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sea_orm::DbErr> for PageError {
    fn from(err: sea_orm::DbErr) -> Self {
        PageError::Api(err.into())
    }
}

impl From<crate::permissions::AccessError> for PageError {
    fn from(err: crate::permissions::AccessError) -> Self {
        PageError::Api(err.into())
    }
}

impl From<crate::accounts::AccountError> for PageError {
    fn from(err: crate::accounts::AccountError) -> Self {
        PageError::Api(err.into())
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::Api(ApiError::Internal(anyhow::Error::new(err)))
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    title: &'a str,
    message: String,
    status: u16,
}

/// Where a signed-out visitor is sent: the page that renews a lapsed sign-in from the refresh
/// cookie (which only travels to `/api/v1/auth`), and otherwise goes on to the sign-in form.
pub fn resume_url(next: &str) -> String {
    format!(
        "/api/v1/auth/resume?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    )
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn error_page(status: StatusCode, title: &str, message: String) -> HttpResponse {
    let page = ErrorPage {
        chrome: Chrome::bare(),
        title,
        message,
        status: status.as_u16(),
    };
    match page.render() {
        Ok(html) => super::render::respond(status, html, super::render::BASE_CSP),
        Err(e) => {
            tracing::error!(error = %e, "rendering the error page failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(title.to_string())
        }
    }
}

pub fn not_found_page() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "If you typed the web address, check it is correct. If you followed a link, the page \
         may have moved, or it may be somewhere you have not been given access to."
            .into(),
    )
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } | PageError::Api(ApiError::Unauthenticated(_)) => {
                StatusCode::SEE_OTHER
            }
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let api = match self {
            PageError::SignIn { next } => return see_other(&resume_url(next)),
            PageError::Api(ApiError::Unauthenticated(_)) => return see_other("/login"),
            PageError::Api(api) => api,
        };
        let status = api.status_code();
        let mut response = match api {
            ApiError::NotFound(_) => not_found_page(),
            ApiError::Forbidden(why) => error_page(
                status,
                "You cannot do that here",
                format!(
                    "{}. If you think you should be able to, ask an administrator.",
                    capitalise(why)
                ),
            ),
            ApiError::TooManyRequests { retry_after_secs } => error_page(
                status,
                "Too many attempts",
                format!("Please wait {retry_after_secs} seconds, then try again."),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "page request failed");
                error_page(
                    status,
                    "Sorry, something went wrong",
                    "Nothing you did caused this. Please try again in a few minutes; the \
                     problem has been recorded."
                        .into(),
                )
            }
            ApiError::Upstream(why) => error_page(
                status,
                "Sorry, a service we rely on did not answer",
                format!("{}. Please try again in a few minutes.", capitalise(why)),
            ),
            other => error_page(status, "There is a problem", capitalise(&other.to_string())),
        };
        if let ApiError::TooManyRequests { retry_after_secs } = api {
            if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// "this thread is locked" → "This thread is locked".
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
