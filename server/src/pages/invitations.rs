//! `/invitations/{token}`: the link in an invitation email. The invited person chooses the
//! name shown to others and a password; a used or expired link says so and what to do.
use super::auth::PreSession;
use super::errors::{see_other, PageError};
use super::form::{FormErrors, Submitted};
use super::render::{self, Chrome};
use super::views::role_name;
use crate::accounts::{self, AccountError};
use crate::db::entities::organisation;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use sea_orm::EntityTrait;

#[derive(Template)]
#[template(path = "pages/invitation.html")]
struct InvitationPage {
    chrome: Chrome,
    csrf_token: String,
    token: String,
    email: String,
    organisation: String,
    role: &'static str,
    display_name: String,
    errors: FormErrors,
    password_hint: String,
}

#[derive(Template)]
#[template(path = "pages/invitation_gone.html")]
struct GonePage {
    chrome: Chrome,
    used: bool,
}

/// The page for a link that was valid once: used or expired (410), or the form.
async fn invitation_page(
    state: &AppState,
    req: &HttpRequest,
    token: &str,
    display_name: String,
    errors: FormErrors,
) -> Result<HttpResponse, PageError> {
    let found = match accounts::open_invitation(&state.db, token, Utc::now()).await {
        Ok(found) => found,
        Err(e @ (AccountError::InvitationUsed | AccountError::InvitationExpired)) => {
            let used = matches!(e, AccountError::InvitationUsed);
            return render::page_with_status(
                state,
                StatusCode::GONE,
                &GonePage {
                    chrome: Chrome::bare(),
                    used,
                },
            );
        }
        Err(other) => return Err(other.into()),
    };
    let organisation = organisation::Entity::find_by_id(found.organisation_id)
        .one(&state.db)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    PreSession::render(state, req, errors.status(), |csrf_token| InvitationPage {
        chrome: Chrome::bare(),
        csrf_token,
        token: token.to_string(),
        email: found.email,
        organisation,
        role: role_name(&found.role),
        display_name,
        errors,
        password_hint: super::views::password_hint(),
    })
}

#[get("/invitations/{token}")]
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    invitation_page(&state, &req, &token, String::new(), FormErrors::default()).await
}

#[post("/invitations/{token}")]
pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let f = PreSession::verify(&state, &req, form)?;
    let name = f.get("display_name").to_string();
    let mut errors = FormErrors::default();
    if f.get("password") != f.get("confirm_password") {
        errors.add("confirm_password", "The passwords do not match");
    }
    if errors.is_empty() {
        match accounts::accept_invitation(&state.db, &token, &name, f.get("password"), Utc::now())
            .await
        {
            Ok(_) => return Ok(see_other("/login?welcome=1")),
            Err(e) => {
                let api = ApiError::from(e);
                let ids = [("display_name", "display_name"), ("password", "password")];
                match FormErrors::from_api(&api, &ids) {
                    Some(found) => errors = found,
                    None if matches!(api, ApiError::Gone(_)) => {
                        return invitation_page(&state, &req, &token, name, errors).await
                    }
                    None => return Err(api.into()),
                }
            }
        }
    }
    invitation_page(&state, &req, &token, name, errors).await
}
