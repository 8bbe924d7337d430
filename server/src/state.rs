//! What every request handler shares.
use crate::auth::keys::Keys;
use crate::auth::login_throttle::ThrottlePolicy;
use crate::cache::follower::Follower;
use crate::cache::Caches;
use crate::forum::input::{PostBody, RenderFailure, RenderedBody};
use crate::mail::Mailer;
use crate::markdown::RenderPolicy;
use crate::search::in_flight::SearchesInFlight;
use crate::search::SearchService;
use crate::settings::Settings;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub keys: Keys,
    pub mailer: Mailer,
    pub login_throttle: ThrottlePolicy,
    pub search: Arc<SearchService>,
    pub render_policy: Arc<RenderPolicy>,
    pub searches: SearchesInFlight,
    /// Markdown previews running, per person: at most two at once each, as for searches.
    pub previews: SearchesInFlight,
    /// Reads of threads noted by page views, written in batches.
    pub reads: crate::reads::ReadMarks,
    /// Shared documents: the file store, the scanner, the extraction budget.
    pub library: Arc<crate::library::Library>,
    /// Sessions, spaces, rendered threads and watches, kept true by `follower`.
    pub caches: Arc<Caches>,
    pub follower: Arc<Follower>,
    /// Talks to organisations' OpenID Connect providers.
    pub oidc: Arc<crate::oidc::Oidc>,
    /// The WebAuthn relying party for passkeys; `None` when `server.public_url` has no domain.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
}

/// What `AppState::new` is built from, besides the settings.
pub struct Parts {
    pub db: DatabaseConnection,
    pub keys: Keys,
    pub mailer: Mailer,
    pub search: Arc<SearchService>,
    pub library: Arc<crate::library::Library>,
    pub follower: Arc<Follower>,
    pub oidc: Arc<crate::oidc::Oidc>,
}

impl AppState {
    pub fn new(settings: Arc<Settings>, parts: Parts) -> Self {
        let login_throttle = ThrottlePolicy::from_settings(&settings.auth);
        AppState {
            db: parts.db,
            keys: parts.keys,
            mailer: parts.mailer,
            login_throttle,
            search: parts.search,
            render_policy: Arc::new(render_policy(&settings)),
            searches: SearchesInFlight::new(settings.search.max_concurrent_per_user),
            previews: SearchesInFlight::new(2),
            reads: crate::reads::ReadMarks::default(),
            library: parts.library,
            caches: parts.follower.caches().clone(),
            follower: parts.follower,
            oidc: parts.oidc,
            webauthn: crate::use_cases::passkeys::relying_party(settings.public_url())
                .map(Arc::new),
            settings,
        }
    }

    /// Renders a post's Markdown off the HTTP workers, within `limits.render_budget_ms`.
    pub async fn render(&self, body: PostBody) -> Result<RenderedBody, RenderFailure> {
        RenderedBody::render_off_workers(
            body,
            self.render_policy.clone(),
            Duration::from_millis(self.settings.limits.render_budget_ms),
        )
        .await
    }
}

/// How posts' Markdown is rendered, from the settings.
pub fn render_policy(settings: &Settings) -> RenderPolicy {
    RenderPolicy {
        allowed_image_hosts: settings.markdown.image_hosts.clone(),
        ..RenderPolicy::default()
    }
}
