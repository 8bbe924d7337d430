//! The web pages: server-rendered askama templates (`server/templates/pages/`) over the same
//! use cases as the JSON API. Handlers here parse a form or a query, call one use case and
//! shape HTML; they decide nothing themselves. Every page works without JavaScript.
//!
//! - `session`: the signed-in person (`SignedIn`), from the access cookie only; without one,
//!   a trip through sign-in that comes back to the page.
//! - `form`: a submitted form, opened only once its `csrf_token` is right.
//! - `render`: the page frame (`Chrome`), the pages' Content-Security-Policy, dates.
//! - `errors`: `PageError` and the error pages (404 also for what may not be read).
//! - `assets`: the stylesheet and script, embedded, served under their content hash.
pub mod admin;
pub mod assets;
pub mod auth;
pub mod best_practice;
pub mod case_studies;
pub mod directory;
pub mod errors;
pub mod feeds;
pub mod form;
pub mod help;
pub mod home;
pub mod invitations;
pub mod library;
pub mod organisation_sign_in;
pub mod passkeys;
pub mod password_again;
pub mod password_reset;
pub mod pieces;
pub mod registrations;
pub mod render;
pub mod search;
pub mod session;
pub mod settings;
pub mod spaces;
pub mod threads;
pub mod tree;
pub mod two_step;
pub mod unsubscribe;
pub mod views;
pub mod writing;
pub mod your_data;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The most read pages first (see `routes::configure`).
    cfg.service(threads::show)
        .service(spaces::show)
        .service(home::show)
        .service(assets::serve)
        .service(auth::show)
        .service(auth::submit)
        .service(auth::logout)
        .service(organisation_sign_in::begin)
        .service(organisation_sign_in::callback)
        .service(organisation_sign_in::show)
        .service(organisation_sign_in::link)
        .service(organisation_sign_in::unlink)
        .service(writing::new_thread_form)
        .service(writing::start_thread)
        .service(library::show)
        .service(library::upload)
        .service(library::document)
        .service(library::new_version)
        .service(library::endorse)
        .service(library::attach)
        .service(best_practice::overall)
        .service(best_practice::in_space)
        .service(case_studies::compare)
        .service(case_studies::export)
        .service(case_studies::new_form)
        .service(case_studies::create)
        .service(case_studies::edit_form)
        .service(case_studies::save)
        .service(threads::watch)
        .service(threads::moderate)
        .service(threads::endorse)
        .service(writing::reply_form)
        .service(writing::reply)
        .service(threads::permalink)
        .service(writing::edit_form)
        .service(writing::edit)
        .service(writing::delete_form)
        .service(writing::delete)
        .service(writing::revisions)
        .service(search::show)
        .service(help::search)
        .service(help::writing)
        .service(settings::show)
        .service(settings::sign_out_elsewhere)
        .service(settings::email)
        .service(settings::save_email)
        .service(settings::password)
        .service(settings::change_password)
        .service(settings::feeds)
        .service(settings::reset_feeds)
        .service(two_step::show)
        .service(registrations::show_form)
        .service(registrations::ask)
        .service(registrations::confirm_page)
        .service(registrations::confirm)
        .service(registrations::waiting)
        .service(registrations::approve)
        .service(registrations::deny)
        .service(your_data::show)
        .service(your_data::download)
        .service(your_data::confirm_page)
        .service(your_data::delete)
        .service(two_step::start)
        .service(two_step::show_setup)
        .service(two_step::confirm)
        .service(two_step::turn_off)
        .service(two_step::finish_sign_in)
        .service(two_step::finish_with_passkey)
        .service(passkeys::show)
        .service(passkeys::add)
        .service(passkeys::remove)
        .service(password_reset::forgot)
        .service(password_reset::send_link)
        .service(password_reset::reset_form)
        .service(password_reset::reset)
        .service(invitations::show)
        .service(invitations::accept)
        .service(crate::routes::unsubscribe::from_page)
        .service(feeds::space)
        .service(feeds::search)
        .service(directory::show)
        .service(directory::person)
        .service(directory::profile_form)
        .service(directory::save_profile)
        .service(admin::index)
        .service(admin::show_people)
        .service(admin::invite)
        .service(admin::invitation_act)
        .service(admin::confirm_two_step_reset)
        .service(admin::reset_two_step)
        .service(admin::account_act)
        .service(admin::show_organisations)
        .service(admin::add_domain)
        .service(admin::put_provider)
        .service(admin::confirm_provider_removal)
        .service(admin::remove_provider)
        .service(admin::remove_domain)
        .service(admin::add_organisation)
        .service(admin::show_spaces)
        .service(admin::new_space)
        .service(admin::create_space)
        .service(admin::show_audit)
        .service(admin::show_mail)
        .service(admin::edit_space)
        .service(admin::change_space);
}
