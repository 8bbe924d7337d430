//! Signing in and out in the browser, and renewing a lapsed sign-in on the way to a page.
use super::errors::{see_other, PageError};
use super::form::{Fields, FormErrors, Submitted};
use super::render::{self, Chrome};
use super::session::{local_path, MaybeSignedIn};
use crate::auth::{cookies, csrf, sessions};
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::sign_in::{self, SignIn};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// The id the sign-in form's CSRF token is bound to, from the pre-session cookie's value.
pub fn pre_session_id(value: &str) -> String {
    format!("pre-session:{value}")
}

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf_token: String,
    next: String,
    email: String,
    /// The address typed into the "organisation's account" form.
    sso_email: String,
    errors: FormErrors,
    notice: Option<&'static str>,
    /// Whether the notice tells of something done (else of something to do again).
    notice_is_success: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    signed_out: Option<String>,
    changed: Option<String>,
    welcome: Option<String>,
    expired: Option<String>,
    deleted: Option<String>,
}

pub fn next_or_home(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or_else(|| "/".into())
}

/// A form for someone not signed in (sign-in, accepting an invitation) carries a CSRF token
/// bound to a random pre-session cookie, made here when the browser has none.
pub struct PreSession {
    pub csrf_token: String,
    fresh: Option<String>,
}

impl PreSession {
    pub fn of(state: &AppState, req: &HttpRequest) -> Self {
        let name = cookies::names(&state.settings.server).pre_session;
        let (value, fresh) = match req.cookie(name) {
            Some(c) if !c.value().is_empty() => (c.value().to_string(), false),
            _ => (hex::encode(rand::random::<[u8; 32]>()), true),
        };
        PreSession {
            csrf_token: state.keys.csrf.token(&pre_session_id(&value)),
            fresh: fresh.then_some(value),
        }
    }

    /// Sets the cookie on the page's response when it is new.
    pub fn set_on(self, state: &AppState, response: &mut HttpResponse) -> Result<(), PageError> {
        if let Some(value) = self.fresh {
            response
                .add_cookie(&cookies::pre_session(&state.settings.server, value))
                .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
        }
        Ok(())
    }

    /// Renders a page whose form carries a pre-session token: `page` is given the token.
    pub fn render<T: Template>(
        state: &AppState,
        req: &HttpRequest,
        status: StatusCode,
        page: impl FnOnce(String) -> T,
    ) -> Result<HttpResponse, PageError> {
        let pre = PreSession::of(state, req);
        let mut response = render::page_with_status(state, status, &page(pre.csrf_token.clone()))?;
        pre.set_on(state, &mut response)?;
        Ok(response)
    }

    /// Opens a form sent from a page made with a pre-session token.
    pub fn verify(
        state: &AppState,
        req: &HttpRequest,
        form: Submitted,
    ) -> Result<Fields, PageError> {
        csrf::refuse_cross_site(req, &state.settings.server.public_origin)?;
        let name = cookies::names(&state.settings.server).pre_session;
        let value = req.cookie(name).map(|c| c.value().to_string());
        form.verified_before_sign_in(&state.keys.csrf, value.as_deref())
    }
}

fn login_form(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    form: LoginPage,
) -> Result<HttpResponse, PageError> {
    PreSession::render(state, req, status, |csrf_token| LoginPage {
        csrf_token,
        ..form
    })
}

#[get("/login")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeSignedIn,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let next = next_or_home(query.next.as_deref());
    if who.0.is_some() {
        return Ok(see_other(&next));
    }
    let notice = if query.signed_out.is_some() {
        Some("You have signed out.")
    } else if query.changed.is_some() {
        Some("Your password has changed. Sign in with your new password.")
    } else if query.welcome.is_some() {
        Some("Your account is ready. Sign in with your email address and your new password.")
    } else if query.deleted.is_some() {
        Some("Your account has been deleted.")
    } else if query.expired.is_some() {
        Some("That sign-in took too long or had too many wrong codes. Sign in again.")
    } else {
        None
    };
    login_form(
        &state,
        &req,
        StatusCode::OK,
        LoginPage {
            chrome: Chrome::bare(),
            csrf_token: String::new(),
            next,
            email: String::new(),
            sso_email: String::new(),
            errors: FormErrors::default(),
            notice,
            notice_is_success: query.expired.is_none(),
        },
    )
}

#[post("/login")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = PreSession::verify(&state, &req, form)?;
    let email = fields.get("email").trim().to_string();
    let next = next_or_home(fields.opt("next"));
    let mut errors = FormErrors::default();
    if email.is_empty() {
        errors.add("email", "Enter your email address");
    }
    if fields.get("password").is_empty() {
        errors.add("password", "Enter your password");
    }
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let ip = crate::client_addr::of_request(&req, &state.settings.server.trusted_proxy_nets)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        match sign_in::with_password(&state, &email, fields.get("password").to_string(), &ip).await
        {
            Ok(SignIn::Done(session)) => return signed_in(&state, session, &next),
            Ok(SignIn::SecondFactorNeeded { token, .. }) => {
                return super::two_step::ask_for_code(
                    &state,
                    &req,
                    StatusCode::OK,
                    token,
                    next,
                    FormErrors::default(),
                )
                .await
            }
            Err(ApiError::Unauthenticated(_)) => {
                status = StatusCode::UNAUTHORIZED;
                errors.add(
                    "email",
                    "The email address or password is not right. Check them and try again.",
                );
            }
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                status = StatusCode::TOO_MANY_REQUESTS;
                errors.add(
                    "email",
                    format!(
                        "There have been too many attempts to sign in. Wait {retry_after_secs} seconds, then try again."
                    ),
                );
            }
            Err(other) => return Err(other.into()),
        }
    }
    login_form(
        &state,
        &req,
        status,
        LoginPage {
            chrome: Chrome::bare(),
            csrf_token: String::new(),
            next,
            email,
            sso_email: String::new(),
            errors,
            notice: None,
            notice_is_success: true,
        },
    )
}

/// The sign-in page again, with `errors` on the "organisation's account" form.
pub fn organisation_form_refused(
    state: &AppState,
    req: &HttpRequest,
    next: String,
    sso_email: String,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    login_form(
        state,
        req,
        StatusCode::UNPROCESSABLE_ENTITY,
        LoginPage {
            chrome: Chrome::bare(),
            csrf_token: String::new(),
            next,
            email: String::new(),
            sso_email,
            errors,
            notice: None,
            notice_is_success: true,
        },
    )
}

/// Sets the new session's cookies and goes on to `next`.
pub fn signed_in(
    state: &AppState,
    session: sign_in::Session,
    next: &str,
) -> Result<HttpResponse, PageError> {
    let [access, refresh] = session.cookies(state);
    let mut done = see_other(next);
    for cookie in [access, refresh] {
        done.add_cookie(&cookie)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    }
    Ok(done)
}

/// Clears both cookies and goes to the sign-in page saying so.
fn signed_out(state: &AppState) -> Result<HttpResponse, PageError> {
    to_sign_in_without_cookies(state, "/login?signed_out=1")
}

/// Clears both cookies and goes to `login_path`, the sign-in page with what to say.
pub fn to_sign_in_without_cookies(
    state: &AppState,
    login_path: &str,
) -> Result<HttpResponse, PageError> {
    let mut done = see_other(login_path);
    for cookie in cookies::cleared(&state.settings.server) {
        done.add_cookie(&cookie)
            .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
    }
    Ok(done)
}

/// Signs this browser out (other devices stay signed in; settings can end them all). When the
/// access cookie has lapsed, the session is known only by the refresh cookie, which travels
/// only under `/api/v1/auth`: the form is sent on there (307 keeps it a POST with its body),
/// so "Sign out" always ends the session and never renews it.
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    who: MaybeSignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let Some(who) = who.0 else {
        return Ok(HttpResponse::TemporaryRedirect()
            .insert_header((actix_web::http::header::LOCATION, "/api/v1/auth/sign-out"))
            .finish());
    };
    form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    sessions::revoke_one(&state.db, &who.viewer.session_id, chrono::Utc::now()).await?;
    signed_out(&state)
}

/// `POST /api/v1/auth/sign-out`: the sign-out form of a page whose access cookie lapsed, found
/// by the refresh cookie. The form must come from our site with that session's token.
#[post("/auth/sign-out")]
pub async fn sign_out_lapsed(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    csrf::refuse_cross_site(&req, &state.settings.server.public_origin)?;
    let now = chrono::Utc::now();
    let name = cookies::names(&state.settings.server).refresh;
    let token = req.cookie(name).map(|c| c.value().to_string());
    let live = match token {
        Some(t) => sessions::find_by_refresh_token(&state.db, &t, now).await?,
        None => None,
    };
    if let Some(session) = live {
        form.verified(&state.keys.csrf, &session.id)?;
        sessions::revoke_one(&state.db, &session.id, now).await?;
    }
    signed_out(&state)
}

#[derive(Deserialize)]
pub struct ResumeQuery {
    next: Option<String>,
}

/// `GET /api/v1/auth/resume?next=/path`: where a page sends a visitor without a live access
/// cookie. The refresh cookie (sent only under `/api/v1/auth`) renews the sign-in and the
/// visitor goes on to `next`; without one, to the sign-in form, which comes back to `next`.
/// A link from another site may start this, as a digest link does: it can only renew the
/// visitor's own sign-in in their own browser, and reveals nothing to the other site.
#[get("/auth/resume")]
pub async fn resume(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: MaybeSignedIn,
    query: web::Query<ResumeQuery>,
) -> Result<HttpResponse, PageError> {
    let next = next_or_home(query.next.as_deref());
    if who.0.is_some() {
        return Ok(see_other(&next));
    }
    let name = cookies::names(&state.settings.server).refresh;
    let to_sign_in = || {
        see_other(&format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ))
    };
    let Some(token) = req.cookie(name).map(|c| c.value().to_string()) else {
        return Ok(to_sign_in());
    };
    match sign_in::renew(&state, &token).await {
        Ok(session) => signed_in(&state, session, &next),
        Err(ApiError::Unauthenticated(_)) => Ok(to_sign_in()),
        Err(other) => Err(other.into()),
    }
}
