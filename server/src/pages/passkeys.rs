//! `/settings/passkeys`: the person's passkeys and security keys, adding one (the page's
//! script asks the browser for it, WebAuthn needing JavaScript) and removing one.
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::two_step::RecoveryCodesPage;
use crate::state::AppState;
use crate::use_cases::passkeys::{self, PasskeyView};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "pages/passkeys.html")]
struct PasskeysPage {
    chrome: Chrome,
    errors: FormErrors,
    keys: Vec<PasskeyView>,
    /// Passkeys work here (Roundtable is reached at a domain name).
    available: bool,
    done: Option<&'static str>,
    name: String,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn passkeys_page(
    state: &AppState,
    who: SignedIn,
    status: StatusCode,
    errors: FormErrors,
    (done, name): (Option<&'static str>, String),
) -> Result<HttpResponse, PageError> {
    let keys = passkeys::list(state, &who.viewer).await?;
    render::page_with_status(
        state,
        status,
        &PasskeysPage {
            chrome: who.chrome,
            errors,
            keys,
            available: state.webauthn.is_some(),
            done,
            name,
        },
    )
}

#[get("/settings/passkeys")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: Done = query(&req)?;
    let done = match asked.done.as_deref() {
        Some("added") => Some("The passkey is added. Your other devices have been signed out."),
        Some("removed") => Some("The passkey is removed. Your other devices have been signed out."),
        _ => None,
    };
    let status = StatusCode::OK;
    passkeys_page(
        &state,
        who,
        status,
        FormErrors::default(),
        (done, String::new()),
    )
    .await
}

/// Adds the passkey the page's script got from the browser (in `credential`).
#[post("/settings/passkeys")]
pub async fn add(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let name = f.get("name").to_string();
    let mut errors = FormErrors::default();
    let credential = serde_json::from_str::<webauthn_rs::prelude::RegisterPublicKeyCredential>(
        f.get("credential"),
    );
    let Ok(credential) = credential else {
        errors.add(
            "name",
            "Your browser did not make a passkey: adding one needs JavaScript, and a passkey \
             or security key",
        );
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return passkeys_page(&state, who, status, errors, (None, name)).await;
    };
    match passkeys::finish_adding(&state, &who.viewer, &name, &credential).await {
        Ok(added) => match added.recovery_codes {
            None => Ok(see_other("/settings/passkeys?done=added")),
            Some(codes) => render::page(
                &state,
                &RecoveryCodesPage {
                    chrome: who.chrome,
                    codes,
                    continue_to: "/settings/passkeys?done=added".into(),
                    at_sign_in: false,
                },
            ),
        },
        Err(e) => {
            let errors = FormErrors::from_api(&e, &[("name", "name"), ("credential", "name")])
                .ok_or(PageError::Api(e))?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            passkeys_page(&state, who, status, errors, (None, name)).await
        }
    }
}

#[post("/settings/passkeys/remove")]
pub async fn remove(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let id = f.get("passkey").parse::<i32>().unwrap_or(0);
    // This form's password field is `remove_password`, the adding form's `password`.
    let password = f.get("password");
    let mut errors = FormErrors::default();
    if password.is_empty() {
        errors.add("remove_password", "Enter your password");
    } else {
        let addr = crate::routes::auth::client_ip(&state, &req);
        let v = &who.viewer;
        match passkeys::remove(&state, v, id, Some(password.to_string()), &addr).await {
            Ok(()) => return Ok(see_other("/settings/passkeys?done=removed")),
            Err(e) => {
                errors = FormErrors::from_api(&e, &[("password", "remove_password")])
                    .ok_or(PageError::Api(e))?
            }
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    passkeys_page(&state, who, status, errors, (None, String::new())).await
}
