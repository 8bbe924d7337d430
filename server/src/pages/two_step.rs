//! `/settings/two-step`: turning two-step sign-in (an authenticator app) on and off, and the
//! second step of signing in (`/login/code`).
use super::auth::PreSession;
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::password_again;
use super::render::{self, Chrome};
use super::session::{local_path, SignedIn};
use super::spaces::query;
use crate::error::ApiError;
use crate::state::AppState;
use crate::use_cases::passkeys;
use crate::use_cases::second_factor::{self, Enrolment};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/two_step.html")]
struct TwoStepPage {
    chrome: Chrome,
    errors: FormErrors,
    /// When it was turned on, as a date; `None` when it is off.
    on_since: Option<String>,
    recovery_codes_left: u64,
    passkeys: u64,
    done: Option<&'static str>,
}

async fn two_step_page(
    state: &AppState,
    who: SignedIn,
    status: StatusCode,
    errors: FormErrors,
    done: Option<&'static str>,
) -> Result<HttpResponse, PageError> {
    let standing = second_factor::standing(&state.db, who.viewer.id).await?;
    render::page_with_status(
        state,
        status,
        &TwoStepPage {
            chrome: who.chrome,
            errors,
            on_since: standing
                .authenticator_since
                .map(|at| at.format("%-d %B %Y").to_string()),
            recovery_codes_left: standing.recovery_codes_left,
            passkeys: passkeys::count(&state.db, who.viewer.id).await?,
            done,
        },
    )
}

#[get("/settings/two-step")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = match asked.done.as_deref() {
        Some("off") => Some("Two-step sign-in is off. You sign in with your password alone."),
        _ => None,
    };
    two_step_page(&state, who, StatusCode::OK, FormErrors::default(), done).await
}

/// Starts setting up an authenticator app, after the password is given again.
#[post("/settings/two-step/start")]
pub async fn start(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let v = &who.viewer;
    let starting = async |password, addr: String| {
        second_factor::start_authenticator(&state, v, Some(password), &addr).await
    };
    let errors = match password_again::attempt(&state, &req, &f, starting).await? {
        Ok(_) => return Ok(see_other("/settings/two-step/setup")),
        Err(errors) => errors,
    };
    two_step_page(&state, who, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
}

/// What the pages show to set up an app.
pub struct AppSetup {
    /// The QR code of the `otpauth://` address, as inline SVG.
    pub qr_svg: String,
    /// The secret in groups of four, for typing in by hand.
    pub secret_groups: String,
}

impl AppSetup {
    fn of(enrolment: &Enrolment) -> Result<Self, ApiError> {
        Ok(AppSetup {
            qr_svg: qr_svg(enrolment)?,
            secret_groups: in_groups_of_four(&enrolment.secret),
        })
    }
}

#[derive(Template)]
#[template(path = "pages/two_step_setup.html")]
struct SetupPage {
    chrome: Chrome,
    errors: FormErrors,
    setup: AppSetup,
}

async fn setup_page(
    state: &AppState,
    who: SignedIn,
    status: StatusCode,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let Some(enrolment) = second_factor::pending_enrolment(state, &who.viewer).await? else {
        return Ok(see_other("/settings/two-step"));
    };
    render::page_with_status(
        state,
        status,
        &SetupPage {
            chrome: who.chrome,
            errors,
            setup: AppSetup::of(&enrolment)?,
        },
    )
}

/// The QR code as an SVG image that says what it is to a screen reader.
fn qr_svg(enrolment: &Enrolment) -> Result<String, ApiError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(enrolment.otpauth_url.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("making the QR code: {e}")))?;
    let image = code.render::<svg::Color>().min_dimensions(200, 200).build();
    let svg_at = image.find("<svg").unwrap_or(0);
    Ok(image[svg_at..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code to scan with your authenticator app\" ",
        1,
    ))
}

fn in_groups_of_four(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[get("/settings/two-step/setup")]
pub async fn show_setup(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    setup_page(&state, who, StatusCode::OK, FormErrors::default()).await
}

#[derive(Template)]
#[template(path = "pages/two_step_codes.html")]
pub(super) struct RecoveryCodesPage {
    pub(super) chrome: Chrome,
    pub(super) codes: Vec<String>,
    /// Where "Continue" goes: settings, or the page a sign-in was on its way to.
    pub(super) continue_to: String,
    /// Whether the app was set up while signing in (else from settings).
    pub(super) at_sign_in: bool,
}

/// Confirms the app with a code from it and shows the recovery codes, this once.
#[post("/settings/two-step/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let mut errors = FormErrors::default();
    if f.get("code").trim().is_empty() {
        errors.add("code", "Enter the six-digit code your app shows");
    } else {
        match second_factor::confirm_authenticator(&state, &who.viewer, f.get("code")).await {
            Ok(codes) => {
                return render::page(
                    &state,
                    &RecoveryCodesPage {
                        chrome: who.chrome,
                        codes,
                        continue_to: "/settings".into(),
                        at_sign_in: false,
                    },
                )
            }
            Err(e) => {
                errors = FormErrors::from_api(&e, &[("code", "code")]).ok_or(PageError::Api(e))?
            }
        }
    }
    setup_page(&state, who, StatusCode::UNPROCESSABLE_ENTITY, errors).await
}

/// Turns two-step sign-in off, after the password is given again.
#[post("/settings/two-step/off")]
pub async fn turn_off(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let v = &who.viewer;
    let turning_off = async |password, addr: String| {
        second_factor::turn_off(&state, v, Some(password), &addr).await
    };
    let errors = match password_again::attempt(&state, &req, &f, turning_off).await? {
        Ok(()) => return Ok(see_other("/settings/two-step?done=off")),
        Err(errors) => errors,
    };
    two_step_page(&state, who, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
}

// ---- The second step of signing in ----------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/login_code.html")]
pub struct CodePage {
    pub chrome: Chrome,
    pub csrf_token: String,
    pub next: String,
    pub token: String,
    pub errors: FormErrors,
    /// When the person's role requires an app they have not set up: the app to set up first.
    pub setup: Option<AppSetup>,
    /// Whether the account has a passkey to answer with instead.
    pub passkey: bool,
}

/// The page that asks for the code, carrying the sign-in's token; for a sign-in that must set
/// up an app, with the app's QR code and key first.
pub async fn ask_for_code(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    token: String,
    next: String,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let setup = match second_factor::setup_at_sign_in(state, &token).await {
        Ok(enrolment) => Some(AppSetup::of(&enrolment)?),
        Err(ApiError::Conflict(_)) => None,
        Err(ApiError::Unauthenticated(_)) => return Ok(sign_in_again(&next)),
        Err(other) => return Err(other.into()),
    };
    let passkey = setup.is_none() && passkeys::offered_at(state, &token).await?;
    PreSession::render(state, req, status, |csrf_token| CodePage {
        chrome: Chrome::bare(),
        csrf_token,
        next,
        token,
        errors,
        setup,
        passkey,
    })
}

/// Back to the sign-in form, which says the sign-in took too long or too many codes.
fn sign_in_again(next: &str) -> HttpResponse {
    see_other(&format!(
        "/login?expired=1&next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    ))
}

#[post("/login/code")]
pub async fn finish_sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = PreSession::verify(&state, &req, form)?;
    let next = fields
        .opt("next")
        .and_then(local_path)
        .unwrap_or_else(|| "/".into());
    let token = fields.get("token").to_string();
    let mut errors = FormErrors::default();
    let code = fields.get("code");
    if code.trim().is_empty() {
        errors.add(
            "code",
            "Enter the code from your authenticator app, or a recovery code",
        );
        return ask_for_code(
            &state,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            token,
            next,
            errors,
        )
        .await;
    }
    let ip = crate::routes::auth::client_ip(&state, &req);
    let finished = second_factor::finish_sign_in(&state, &token, code, &ip).await;
    after_second_step(&state, &req, finished, token, next, errors).await
}

/// Where a sign-in's second step leads: in (with the recovery codes first, when it set up an
/// app), or the code page again saying what was wrong.
async fn after_second_step(
    state: &AppState,
    req: &HttpRequest,
    finished: Result<second_factor::Finished, ApiError>,
    token: String,
    next: String,
    mut errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    match finished {
        Ok(finished) => match finished.recovery_codes {
            None => super::auth::signed_in(state, finished.session, &next),
            Some(codes) => {
                // Shown once, on the way in: the session's cookies come with the page.
                let mut page = render::page(
                    state,
                    &RecoveryCodesPage {
                        chrome: Chrome::bare(),
                        codes,
                        continue_to: next,
                        at_sign_in: true,
                    },
                )?;
                for cookie in finished.session.cookies(state) {
                    page.add_cookie(&cookie)
                        .map_err(|e| ApiError::Internal(anyhow::Error::new(e)))?;
                }
                Ok(page)
            }
        },
        Err(ApiError::Unauthenticated(message)) if message == second_factor::WRONG_CODE => {
            errors.add(
                "code",
                "That code is not right. Enter the code your app shows now, or a recovery code.",
            );
            ask_for_code(state, req, StatusCode::UNAUTHORIZED, token, next, errors).await
        }
        Err(ApiError::Unauthenticated(message)) if message == passkeys::REFUSED => {
            errors.add(
                "code",
                "The passkey was not accepted. Try it again, or enter the code from your app.",
            );
            ask_for_code(state, req, StatusCode::UNAUTHORIZED, token, next, errors).await
        }
        Err(ApiError::Unauthenticated(_)) => Ok(sign_in_again(&next)),
        Err(ApiError::TooManyRequests { retry_after_secs }) => {
            errors.add(
                "code",
                format!(
                    "There have been too many attempts to sign in. Wait {retry_after_secs} seconds, then try again."
                ),
            );
            ask_for_code(
                state,
                req,
                StatusCode::TOO_MANY_REQUESTS,
                token,
                next,
                errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// The second step answered with a passkey: the page's script put the browser's answer in
/// `credential`.
#[post("/login/passkey")]
pub async fn finish_with_passkey(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = PreSession::verify(&state, &req, form)?;
    let next = fields
        .opt("next")
        .and_then(local_path)
        .unwrap_or_else(|| "/".into());
    let token = fields.get("token").to_string();
    let mut errors = FormErrors::default();
    let answer =
        serde_json::from_str::<webauthn_rs::prelude::PublicKeyCredential>(fields.get("credential"));
    let Ok(answer) = answer else {
        errors.add(
            "code",
            "Your browser did not give a passkey: it needs JavaScript for one. Enter the code \
             from your app instead.",
        );
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return ask_for_code(&state, &req, status, token, next, errors).await;
    };
    let ip = crate::routes::auth::client_ip(&state, &req);
    let finished = passkeys::finish_sign_in(&state, &token, &answer, &ip).await;
    after_second_step(&state, &req, finished, token, next, errors).await
}
