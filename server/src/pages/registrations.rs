//! Asking for an account (`/register`), the emailed link that confirms the address
//! (`/register/{token}`), and the sponsors' page of requests waiting for them
//! (`/registrations`).
use super::auth::PreSession;
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, when, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use crate::error::ApiError;
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases::registrations::{self, Approval, NewRegistration, RegistrationView};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    display_name: String,
    job_title: String,
    errors: FormErrors,
}

/// A page that only tells: the link is sent, the address is confirmed, the link is spent.
#[derive(Template)]
#[template(path = "pages/register_message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
}

pub(super) fn message(
    state: &AppState,
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
) -> Result<HttpResponse, PageError> {
    render::page_with_status(
        state,
        status,
        &MessagePage {
            chrome: Chrome::bare(),
            heading: heading.to_string(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        },
    )
}

#[get("/register")]
pub async fn show_form(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    PreSession::render(&state, &req, StatusCode::OK, |csrf_token| RegisterPage {
        chrome: Chrome::bare(),
        csrf_token,
        email: String::new(),
        display_name: String::new(),
        job_title: String::new(),
        errors: FormErrors::default(),
    })
}

#[post("/register")]
pub async fn ask(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = PreSession::verify(&state, &req, form)?;
    let typed = NewRegistration {
        email: f.get("email").to_string(),
        display_name: f.get("display_name").to_string(),
        job_title: f.get("job_title").to_string(),
    };
    let (email, display_name, job_title) = (
        typed.email.clone(),
        typed.display_name.clone(),
        typed.job_title.clone(),
    );
    let ip = crate::routes::auth::client_ip(&state, &req);
    let errors = match registrations::request(&state, typed, &ip).await {
        Ok(()) => {
            return message(
                &state,
                StatusCode::OK,
                "Check your email",
                &[
                    &format!(
                        "If your organisation is on Roundtable, we have sent a link to {email}. \
                         Open it within {} hours to confirm your address.",
                        registrations::LINK_HOURS
                    ),
                    "Your request then goes to your organisation's chief officer or Police \
                     and Crime Commissioner's office, who approve or refuse it. If they approve \
                     it, we email you a link to choose your password.",
                    "If you already have an account, we have emailed you instead: you can \
                     sign in.",
                ],
            )
        }
        Err(e) => {
            let ids = [
                ("email", "email"),
                ("display_name", "display_name"),
                ("job_title", "job_title"),
            ];
            FormErrors::from_api(&e, &ids).ok_or(PageError::Api(e))?
        }
    };
    PreSession::render(
        &state,
        &req,
        StatusCode::UNPROCESSABLE_ENTITY,
        |csrf_token| RegisterPage {
            chrome: Chrome::bare(),
            csrf_token,
            email,
            display_name,
            job_title,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/register_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    csrf_token: String,
    token: String,
    organisation: String,
    display_name: String,
}

/// A spent or expired link says so (410) and what to do; an unknown one is a 404.
fn link_refused(state: &AppState, err: ApiError) -> Result<HttpResponse, PageError> {
    match err {
        ApiError::Gone(why) => message(
            state,
            StatusCode::GONE,
            "This link no longer works",
            &[
                &super::errors::capitalise(&why),
                "If you have already confirmed your address, your request is with your \
                 organisation's sponsors: we will email you when they answer. Otherwise, ask \
                 for an account again.",
            ],
        ),
        other => Err(other.into()),
    }
}

/// The emailed link opens a page with a button, so that a mail scanner following links does
/// not confirm the address on the person's behalf.
#[get("/register/{token}")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let opened = match registrations::look(&state, &token).await {
        Ok(opened) => opened,
        Err(e) => return link_refused(&state, e),
    };
    PreSession::render(&state, &req, StatusCode::OK, |csrf_token| ConfirmPage {
        chrome: Chrome::bare(),
        csrf_token,
        token: token.to_string(),
        organisation: opened.organisation,
        display_name: opened.display_name,
    })
}

#[post("/register/{token}")]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    PreSession::verify(&state, &req, form)?;
    match registrations::verify(&state, &token).await {
        Ok(opened) => message(
            &state,
            StatusCode::OK,
            "Your address is confirmed",
            &[
                &format!(
                    "Your request to join Roundtable is now with {}'s sponsors.",
                    opened.organisation
                ),
                "When they approve it, we will email you a link to choose your password. If \
                 they refuse it, we will email you their reason.",
            ],
        ),
        Err(e) => link_refused(&state, e),
    }
}

#[derive(Template)]
#[template(path = "pages/registrations.html")]
struct WaitingPage {
    chrome: Chrome,
    requests: Vec<WaitingRow>,
    errors: FormErrors,
    done: Option<&'static str>,
    /// What was typed as the reason, for the row whose refusal failed.
    typed_reason: (i32, String),
}

struct WaitingRow {
    id: i32,
    name: String,
    email: String,
    job_title: String,
    organisation: String,
    confirmed: String,
    sponsored_by: Option<String>,
    /// `decide`, `sponsor` or `await_sponsor`.
    step: String,
}

impl From<RegistrationView> for WaitingRow {
    fn from(r: RegistrationView) -> Self {
        WaitingRow {
            id: r.id,
            name: r.display_name,
            email: r.email,
            job_title: r.job_title,
            organisation: r.organisation,
            confirmed: r.confirmed_at.map(when).unwrap_or_default(),
            sponsored_by: r.sponsored_by,
            step: r.step,
        }
    }
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn waiting_page(
    state: &AppState,
    who: SignedIn,
    done: Option<&'static str>,
    errors: FormErrors,
    typed_reason: (i32, String),
) -> Result<HttpResponse, PageError> {
    let requests = registrations::waiting(state, &who.viewer).await?;
    render::page_with_status(
        state,
        errors.status(),
        &WaitingPage {
            chrome: who.chrome,
            requests: requests.into_iter().map(WaitingRow::from).collect(),
            errors,
            done,
            typed_reason,
        },
    )
}

#[get("/registrations")]
pub async fn waiting(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = match asked.done.as_deref() {
        Some("approved") => Some("Approved. We have emailed them a link to choose a password."),
        Some("sponsored") => Some("Sponsored. An administrator approves it next."),
        Some("denied") => Some("Refused. We have emailed them your reason."),
        _ => None,
    };
    waiting_page(&state, who, done, FormErrors::default(), (0, String::new())).await
}

#[post("/registrations/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let id = id_from_path(&id)?;
    let done = match registrations::approve(&state, &who.viewer, id).await? {
        Approval::Invited | Approval::Admitted => "approved",
        Approval::Sponsored => "sponsored",
    };
    Ok(see_other(&format!("/registrations?done={done}")))
}

#[post("/registrations/{id}/deny")]
pub async fn deny(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let id = id_from_path(&id)?;
    let reason = f.get("reason").to_string();
    match registrations::deny(&state, &who.viewer, id, &reason).await {
        Ok(()) => Ok(see_other("/registrations?done=denied")),
        Err(e) => {
            let field = format!("reason-{id}");
            let errors =
                FormErrors::from_api(&e, &[("reason", field.as_str())]).ok_or(PageError::Api(e))?;
            waiting_page(&state, who, None, errors, (id, reason)).await
        }
    }
}
