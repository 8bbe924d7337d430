//! HTTP routes. Handlers parse input into domain types, ask the permission module, call one
//! domain step inside one transaction, and shape the JSON answer.
pub mod audit_log;
pub mod auth;
pub mod best_practice;
pub mod case_studies;
pub mod directory;
pub mod documents;
pub mod health;
pub mod invitations;
pub mod json_body;
pub mod me;
pub mod method_not_allowed;
pub mod openapi;
pub mod passkeys;
pub mod posts;
pub mod preferences;
pub mod registrations;
pub mod search;
pub mod second_factor;
pub mod spaces;
pub mod threads;
pub mod unsubscribe;
pub mod users;
pub mod your_data;

use crate::error::ApiError;
use crate::permissions::Subject;
use actix_web::web;
use serde::Deserialize;

/// The router tries routes in the order given here and takes the first that matches, so the
/// API's scope (one prefix check for everything else) and the most read pages come first.
/// No two routes here match the same method and path, so the order changes no answer.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(threads::show)
            .service(search::search)
            .service(openapi::document)
            .service(auth::login)
            .service(auth::refresh)
            .service(auth::csrf_token)
            .service(auth::logout)
            .service(crate::pages::auth::resume)
            .service(crate::pages::auth::sign_out_lapsed)
            .service(auth::change_password)
            .service(auth::second_factor)
            .service(auth::second_factor_setup)
            .service(second_factor::start)
            .service(second_factor::confirm)
            .service(second_factor::turn_off)
            .service(passkeys::adding_options)
            .service(passkeys::add)
            .service(passkeys::list)
            .service(passkeys::remove)
            .service(passkeys::sign_in_options)
            .service(passkeys::sign_in)
            .service(me::show)
            .service(your_data::export)
            .service(your_data::export_with_password)
            .service(your_data::delete_account)
            .service(directory::update_me)
            .service(directory::organisations)
            .service(directory::people)
            .service(directory::profile)
            .service(preferences::show)
            .service(preferences::update)
            .service(unsubscribe::one_click)
            .service(unsubscribe::confirm_page)
            .service(invitations::invite)
            .service(registrations::request)
            .service(registrations::verify)
            .service(registrations::waiting)
            .service(registrations::approve)
            .service(registrations::deny)
            .service(invitations::show)
            .service(invitations::accept)
            .service(users::disable)
            .service(users::reset_second_factor)
            .service(spaces::list)
            .service(spaces::create)
            .service(spaces::update)
            .service(documents::upload_to_library)
            .service(documents::library)
            .service(documents::attach_to_post)
            .service(documents::add_version)
            .service(documents::versions)
            .service(documents::download)
            .service(documents::show)
            .service(documents::remove)
            .service(best_practice::endorse_document)
            .service(best_practice::withdraw_document)
            .service(best_practice::endorse_thread)
            .service(best_practice::withdraw_thread)
            .service(best_practice::library)
            .service(case_studies::start)
            .service(case_studies::export)
            .service(case_studies::compare)
            .service(case_studies::show)
            .service(case_studies::update)
            .service(case_studies::areas)
            .service(case_studies::add_area)
            .service(threads::list)
            .service(threads::start)
            .service(threads::update)
            .service(posts::reply)
            .service(posts::show)
            .service(posts::edit)
            .service(posts::delete)
            .service(posts::revisions)
            .service(posts::preview)
            .service(audit_log::list),
    )
    .service(crate::metrics::scrape)
    .service(health::healthz)
    .service(health::readyz)
    .configure(crate::pages::configure);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1 to 100; default 25.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(25),
            Some(n) if (1..=100).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::validation(
                "limit",
                "limit must be between 1 and 100",
            )),
        }
    }
}

pub fn subject(viewer: &crate::auth::Viewer) -> Subject {
    Subject::from(viewer)
}

/// Ids in paths are positive 32-bit numbers; anything else cannot exist.
pub fn id_from_path(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}
