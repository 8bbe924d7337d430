//! `/password/forgot` and `/password/reset/{token}`: asking for a reset link and using it.
use super::auth::PreSession;
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::Chrome;
use super::views::password_hint;
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::password_reset;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pages/password_forgot.html")]
struct ForgotPage {
    chrome: Chrome,
    csrf_token: String,
    errors: FormErrors,
    sent_to: Option<String>,
}

fn forgot_page(
    state: &AppState,
    req: &HttpRequest,
    errors: FormErrors,
    sent_to: Option<String>,
) -> Result<HttpResponse, PageError> {
    PreSession::render(state, req, errors.status(), |csrf_token| ForgotPage {
        chrome: Chrome::bare(),
        csrf_token,
        errors,
        sent_to,
    })
}

#[get("/password/forgot")]
pub async fn forgot(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    forgot_page(&state, &req, FormErrors::default(), None)
}

#[post("/password/forgot")]
pub async fn send_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = PreSession::verify(&state, &req, form)?;
    let email = f.get("email").trim().to_string();
    if email.is_empty() {
        let mut errors = FormErrors::default();
        errors.add("email", "Enter your email address");
        return forgot_page(&state, &req, errors, None);
    }
    password_reset::request(&state, &email).await?;
    forgot_page(&state, &req, FormErrors::default(), Some(email))
}

#[derive(Template)]
#[template(path = "pages/password_reset.html")]
struct ResetPage {
    chrome: Chrome,
    csrf_token: String,
    token: String,
    errors: FormErrors,
    password_hint: String,
    gone: bool,
}

async fn reset_page(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let gone = match password_reset::open(state, token).await {
        Ok(_) => false,
        Err(ApiError::Gone(_)) => true,
        Err(other) => return Err(other.into()),
    };
    let status = if gone {
        StatusCode::GONE
    } else {
        errors.status()
    };
    PreSession::render(state, req, status, |csrf_token| ResetPage {
        chrome: Chrome::bare(),
        csrf_token,
        token: token.to_string(),
        errors,
        password_hint: password_hint(),
        gone,
    })
}

#[get("/password/reset/{token}")]
pub async fn reset_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    reset_page(&state, &req, &token, FormErrors::default()).await
}

#[post("/password/reset/{token}")]
pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = PreSession::verify(&state, &req, form)?;
    let mut errors = FormErrors::default();
    if f.get("password") != f.get("confirm_password") {
        errors.add("confirm_password", "The passwords do not match");
    } else {
        match password_reset::complete(&state, &token, f.get("password")).await {
            Ok(()) => return Ok(see_other("/login?changed=1")),
            Err(e @ ApiError::Validation { .. }) => {
                errors = FormErrors::from_api(&e, &[("password", "password")])
                    .ok_or(PageError::Api(e))?
            }
            Err(ApiError::Gone(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    reset_page(&state, &req, &token, errors).await
}
