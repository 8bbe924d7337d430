//! One-click unsubscribe (RFC 8058), with no login: the link in each email carries a signed
//! token for its recipient and list. `POST` stops the mail; `GET` (a person following the
//! link, or a scanner fetching it) only shows a page with a button, and changes nothing.
use crate::digest::preferences;
use crate::digest::unsubscribe::List;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;

fn recipient(state: &AppState, list: &str, token: &str) -> Result<(List, i32), ApiError> {
    let invalid = || ApiError::NotFound("this unsubscribe link is not valid".into());
    let list = List::parse(list).ok_or_else(invalid)?;
    let user_id = state
        .keys
        .unsubscribe
        .verify(list, token)
        .ok_or_else(invalid)?;
    Ok((list, user_id))
}

fn what(list: List) -> &'static str {
    match list {
        List::Weekly => "the Roundtable weekly digest",
        List::Notifications => "Roundtable reply notifications",
    }
}

/// Stops one kind of mail for the token's recipient. The body may be
/// `List-Unsubscribe=One-Click` (what mail clients send) or empty.
#[utoipa::path(post, path = "/api/v1/unsubscribe/{list}/{token}", tag = "preferences", security(()),
    params(("list" = String, Path, description = "`weekly` or `notifications`; anything else is 404"),
        ("token" = String, Path, description = "From the email's `List-Unsubscribe` header")),
    responses((status = 200, description = "Stopped", body = super::openapi::Unsubscribed),
        (status = 404, body = ErrorBody, description = "The link is not valid")))]
#[post("/unsubscribe/{list}/{token}")]
pub async fn one_click(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (list, user_id) = recipient(&state, &path.0, &path.1)?;
    stop(&state, list, user_id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "unsubscribed": list.as_str(),
        "message": format!("You will no longer receive {}.", what(list)),
    })))
}

/// A page with one button that stops the mail (a `GET` never changes anything).
#[utoipa::path(get, path = "/api/v1/unsubscribe/{list}/{token}", tag = "preferences", security(()),
    params(("list" = String, Path, description = "`weekly` or `notifications`; anything else is 404"),
        ("token" = String, Path, description = "From the email's `List-Unsubscribe` header")),
    responses((status = 200, description = "A page with an Unsubscribe button", content_type = "text/html", body = String),
        (status = 404, body = ErrorBody, description = "The link is not valid")))]
#[get("/unsubscribe/{list}/{token}")]
pub async fn confirm_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (list, _) = recipient(&state, &path.0, &path.1)?;
    crate::pages::unsubscribe::confirm(&state, list, &path.1, what(list))
}

/// The button on the confirmation page: stops the mail and says so, as a page.
#[post("/unsubscribe/{list}/{token}")]
pub async fn from_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (list, user_id) = recipient(&state, &path.0, &path.1)?;
    stop(&state, list, user_id).await?;
    crate::pages::unsubscribe::done(&state, what(list))
}

async fn stop(state: &AppState, list: List, user_id: i32) -> Result<(), ApiError> {
    let mut p = preferences::load(&state.db, user_id).await?;
    match list {
        List::Weekly => p.digest_enabled = false,
        List::Notifications => {
            p.notify_replies = false;
            p.notify_watched = false;
        }
    }
    preferences::save(&state.db, user_id, &p, Utc::now()).await?;
    Ok(())
}
