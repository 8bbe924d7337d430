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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(response: HttpResponse) -> String {
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn our_failures_get_a_page_that_helps_and_says_nothing_of_the_cause() {
        let failure = PageError::Api(ApiError::Internal(anyhow::anyhow!(
            "database at 10.0.0.5 refused: password authentication failed for roundtable"
        )));
        let response = failure.error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let page = body_of(response);
        assert!(page.contains("Sorry, something went wrong"));
        assert!(!page.contains("10.0.0.5") && !page.contains("password"));
    }

    #[test]
    fn each_refusal_has_its_page() {
        let too_many = PageError::Api(ApiError::TooManyRequests {
            retry_after_secs: 7,
        })
        .error_response();
        assert_eq!(too_many.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(too_many.headers().get(header::RETRY_AFTER).unwrap(), "7");
        assert!(body_of(too_many).contains("wait 7 seconds"));
        let forbidden =
            PageError::Api(ApiError::Forbidden("this thread is locked".into())).error_response();
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert!(body_of(forbidden).contains("This thread is locked."));
        let hidden = PageError::Api(ApiError::not_found()).error_response();
        let missing = not_found_page();
        assert_eq!(body_of(hidden), body_of(missing));
        let lapsed = PageError::SignIn {
            next: "/threads/4".into(),
        }
        .error_response();
        assert_eq!(lapsed.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            lapsed.headers().get(header::LOCATION).unwrap(),
            "/api/v1/auth/resume?next=%2Fthreads%2F4"
        );
    }
}
