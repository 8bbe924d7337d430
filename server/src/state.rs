//! What every request handler shares.
use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::LoginLimiter;
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
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        settings: Arc<Settings>,
        keys: JwtKeys,
        mailer: Mailer,
        search: Arc<SearchService>,
    ) -> Self {
        let auth = &settings.auth;
        let login_limiter = LoginLimiter::new(
            auth.login_failures_per_account,
            auth.login_failures_per_ip,
            Duration::from_secs(auth.login_window_seconds),
        );
        AppState {
            db,
            settings,
            keys,
            mailer,
            login_limiter,
            search,
        }
    }
}
