//! `/settings/your-data` (download everything about me) and `/settings/delete-account`.
use super::errors::PageError;
use super::form::{FormErrors, Submitted};
use super::password_again;
use super::render::{self, Chrome};
use super::session::SignedIn;
use crate::state::AppState;
use crate::use_cases::your_data::{self, Deletion};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "pages/your_data.html")]
struct YourDataPage {
    chrome: Chrome,
    errors: FormErrors,
}

#[get("/settings/your-data")]
pub async fn show(state: web::Data<AppState>, who: SignedIn) -> Result<HttpResponse, PageError> {
    render::page_with_status(
        &state,
        StatusCode::OK,
        &YourDataPage {
            chrome: who.chrome,
            errors: FormErrors::default(),
        },
    )
}

/// The download itself, after the password is given again.
#[post("/settings/your-data")]
pub async fn download(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let v = &who.viewer;
    let exporting =
        async |password, addr: String| your_data::export(&state, v, Some(password), &addr).await;
    let errors = match password_again::attempt(&state, &req, &f, exporting).await? {
        Ok(data) => return Ok(crate::routes::your_data::download(&data)),
        Err(errors) => errors,
    };
    render::page_with_status(
        &state,
        StatusCode::UNPROCESSABLE_ENTITY,
        &YourDataPage {
            chrome: who.chrome,
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/delete_account.html")]
struct DeleteAccountPage {
    chrome: Chrome,
    errors: FormErrors,
    remove_posts: bool,
}

#[get("/settings/delete-account")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    who: SignedIn,
) -> Result<HttpResponse, PageError> {
    render::page_with_status(
        &state,
        StatusCode::OK,
        &DeleteAccountPage {
            chrome: who.chrome,
            errors: FormErrors::default(),
            remove_posts: false,
        },
    )
}

/// Deletes the account once the person has ticked that they understand and given their
/// password, then signs this browser out.
#[post("/settings/delete-account")]
pub async fn delete(
    state: web::Data<AppState>,
    who: SignedIn,
    form: Submitted,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let f = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let remove_posts = f.get("remove_posts") == "yes";
    let mut errors = FormErrors::default();
    if f.get("understood") != "yes" {
        errors.add(
            "understood",
            "Tick the box to say you understand that this cannot be undone",
        );
    }
    let given = match password_again::given(&state, &req, &f) {
        Ok(it) => Some(it),
        Err(missing) => {
            errors.list.extend(missing.list);
            None
        }
    };
    if let (true, Some(it)) = (errors.is_empty(), given) {
        let choice = Deletion {
            password: Some(it.password),
            remove_posts,
        };
        match your_data::delete_account(&state, &who.viewer, choice, &it.client_addr).await {
            Ok(()) => {
                return super::auth::to_sign_in_without_cookies(&state, "/login?deleted=1");
            }
            Err(e) => errors = password_again::refused(e)?,
        }
    }
    render::page_with_status(
        &state,
        StatusCode::UNPROCESSABLE_ENTITY,
        &DeleteAccountPage {
            chrome: who.chrome,
            errors,
            remove_posts,
        },
    )
}
