//! Signing in with one's organisation's own account: the sign-in page's second form sends the
//! browser to the organisation's provider, which sends it back to the callback; and
//! `/settings/organisation-account`, where an account links or unlinks one.
use super::auth::{next_or_home, organisation_form_refused, signed_in, PreSession};
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::password_again;
use super::registrations::message;
use super::render::{self, Chrome};
use super::session::{MaybeSignedIn, SignedIn};
use super::spaces::query;
use crate::auth::cookies;
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::single_sign_on::{self as sso, Browser, Callback, Outcome};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// The page that sends the browser on to the provider. A redirect answering a form would be
/// held to the pages' `form-action 'self'`, which also covers every redirect the provider
/// makes after it (a federated directory's, say); a page that moves on by itself is not.
#[derive(Template)]
#[template(path = "pages/organisation_redirect.html")]
struct OnToProvider {
    chrome: Chrome,
    url: String,
}

fn on_to(state: &AppState, url: url::Url) -> Result<HttpResponse, PageError> {
    render::page(
        state,
        &OnToProvider {
            chrome: Chrome::bare(),
            url: url.to_string(),
        },
    )
}

/// `POST /login/organisation`: home-realm discovery from the address typed.
#[post("/login/organisation")]
pub async fn begin(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = PreSession::verify(&state, &req, form)?;
    let next = next_or_home(fields.opt("next"));
    let email = fields.get("email").trim().to_string();
    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.add("sso_email", "Enter your work email address");
        return organisation_form_refused(&state, &req, next, email, errors);
    }
    let name = cookies::names(&state.settings.server).pre_session;
    let pre_session = req
        .cookie(name)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    match sso::begin_sign_in(&state, &email, &pre_session, &next).await {
        Ok(url) => on_to(&state, url),
        Err(e) => match FormErrors::from_api(&e, &[("email", "sso_email")]) {
            Some(errors) => organisation_form_refused(&state, &req, next, email, errors),
            None => Err(e.into()),
        },
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Where the provider sends the browser back.
#[get("/login/organisation/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeSignedIn,
) -> Result<HttpResponse, PageError> {
    let q: CallbackQuery = query(&req)?;
    let name = cookies::names(&state.settings.server).pre_session;
    let pre_session = req.cookie(name).map(|c| c.value().to_string());
    let viewer = who.0.as_ref().map(|w| &w.viewer);
    let browser = Browser {
        pre_session: pre_session.as_deref(),
        session_id: viewer.map(|v| v.session_id.as_str()),
    };
    let answer = Callback {
        state: q.state.as_deref(),
        code: q.code.as_deref(),
        error: q.error.as_deref(),
    };
    match sso::finish(&state, answer, browser, viewer).await {
        Ok(Outcome::SignedIn { session, next }) => {
            signed_in(&state, session, &next_or_home(Some(&next)))
        }
        Ok(Outcome::Linked) => Ok(see_other("/settings/organisation-account?done=linked")),
        Ok(Outcome::RequestWaiting) => message(
            &state,
            StatusCode::OK,
            "Your request has gone to your organisation's sponsors",
            &[
                "Nobody on Roundtable has your organisation account yet, so we have asked \
                 your organisation's sponsors (its chief officer, PCC or our administrators) \
                 to approve you.",
                "We will email you when they answer. Then sign in again here with your \
                 organisation's account.",
            ],
        ),
        Err(
            refused
            @ (ApiError::Unauthenticated(_) | ApiError::Conflict(_) | ApiError::Upstream(_)),
        ) => {
            let status = match refused {
                ApiError::Conflict(_) => StatusCode::CONFLICT,
                ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::UNAUTHORIZED,
            };
            let text = super::errors::capitalise(&refused.to_string());
            message(
                &state,
                status,
                "You could not be signed in",
                &[text.as_str()],
            )
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/organisation_account.html")]
struct OrganisationAccountPage {
    chrome: Chrome,
    errors: FormErrors,
    /// The organisation has a provider registered.
    available: bool,
    has_app: bool,
    has_password: bool,
    linked: Vec<sso::Linked>,
    done: Option<&'static str>,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn account_page(
    state: &AppState,
    who: SignedIn,
    status: StatusCode,
    errors: FormErrors,
    done: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let v = &who.viewer;
    let (available, has_app, linked, has_password) = (
        sso::provider_of(&state.db, v.organisation_id)
            .await?
            .is_some(),
        crate::use_cases::second_factor::has_second_factor(&state.db, v.id).await?,
        sso::linked(&state.db, v.id).await?,
        sso::has_password(&state.db, v.id).await?,
    );
    render::page_with_status(
        state,
        status,
        &OrganisationAccountPage {
            chrome: who.chrome,
            errors,
            available,
            has_app,
            has_password,
            linked,
            done,
        },
    )
}

#[get("/settings/organisation-account")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = match asked.done.as_deref() {
        Some("linked") => {
            Some("Your organisation account is linked. Your other devices have been signed out.")
        }
        Some("unlinked") => Some("Your organisation account is unlinked."),
        _ => None,
    };
    account_page(&state, who, StatusCode::OK, FormErrors::default(), done).await
}

/// Links: after the password again, off to the provider.
#[post("/settings/organisation-account/link")]
pub async fn link(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let v = &who.viewer;
    let start_linking =
        async |password, addr: String| sso::begin_link(&state, v, Some(password), &addr).await;
    let errors = match password_again::attempt(&state, &req, &f, start_linking).await? {
        Ok(url) => return on_to(&state, url),
        Err(errors) => errors,
    };
    account_page(&state, who, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
}

#[post("/settings/organisation-account/unlink")]
pub async fn unlink(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let v = &who.viewer;
    let unlinking =
        async |password, addr: String| sso::unlink(&state, v, Some(password), &addr).await;
    let errors = match password_again::attempt(&state, &req, &f, unlinking).await? {
        Ok(()) => return Ok(see_other("/settings/organisation-account?done=unlinked")),
        Err(errors) => errors,
    };
    account_page(&state, who, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
}
