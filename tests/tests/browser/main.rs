//! Page tests in a real browser: each starts the real server (as the API tests do) and drives
//! headless Chromium through WebDriver against it, as a person would, with scripts on and off;
//! axe-core checks every page type, and screenshots go to `target/screenshots/`.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod browser;
mod case_studies;
#[allow(dead_code)]
#[path = "../api/oidc_provider.rs"]
mod oidc_provider;
mod world;

mod admin;
mod feeds;
mod flows;
mod keyboard;
mod library;
mod mail_links;
mod passkeys;
mod registration;
mod roles;
mod single_sign_on;
mod two_step;
mod xss;
mod your_data;
