//! What every request handler shares.
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
use crate::clock::Clock;
use crate::digest::unsubscribe::UnsubscribeKey;
use crate::mail::Mailer;
use crate::search::SearchService;
use crate::settings::Settings;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: JwtKeys,
    pub mailer: Mailer,
    pub login_limiter: LoginLimiter,
    pub search: Arc<SearchService>,
    pub unsubscribe: UnsubscribeKey,
    pub clock: Arc<dyn Clock>,
}

/// What `AppState::new` is built from, besides the settings.
pub struct Parts {
    pub db: DatabaseConnection,
    pub keys: JwtKeys,
    pub mailer: Mailer,
    pub search: Arc<SearchService>,
    pub unsubscribe: UnsubscribeKey,
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    pub fn new(settings: Arc<Settings>, parts: Parts) -> Self {
        let auth = &settings.auth;
        let login_limiter = LoginLimiter::new(
            auth.login_failures_per_account,
            auth.login_failures_per_ip,
            Duration::from_secs(auth.login_window_seconds),
        );
        AppState {
            db: parts.db,
            settings,
            keys: parts.keys,
            mailer: parts.mailer,
            login_limiter,
            search: parts.search,
            unsubscribe: parts.unsubscribe,
            clock: parts.clock,
        }
    }
}
