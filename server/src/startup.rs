//! Builds the HTTP server from settings: connect, migrate, load keys and mail, bind.
use crate::auth::keys::Keys;
use crate::delivery::Delivery;
use crate::error::{extractors, no_route};
use crate::mail::Mailer;
use crate::request_log::RedactingSpan;
use crate::settings::Settings;
use crate::state::{AppState, Parts};
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing_actix_web::{RequestId, TracingLogger};

pub struct Application {
    addr: SocketAddr,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        // Installed before anything registers a metric (the caches keep their counters).
        crate::metrics::handle();
        let settings = Arc::new(settings);
        let secret = crate::auth::jwt::load_secret(&settings)?;
        let keys = Keys::from_master(&secret);
        let clock = crate::clock::from_settings(&settings)?;
        let db = crate::db::connect(&settings).await?;
        crate::db::migrate(&db).await?;
        let mailer = Mailer::from_settings(&settings)?;
        let search = crate::search::SearchService::start(&db, &settings.search.index_dir).await?;
        search.clone().spawn_indexer(db.clone());
        crate::nodes::spawn(
            db.clone(),
            search.clone(),
            crate::delivery::worker_name(),
            crate::nodes::Policy::from_settings(&settings.nodes),
        );
        let library = crate::library::Library::from_settings(&settings)?;
        crate::library::worker::spawn(library.clone(), db.clone(), search.clone());
        if settings.digest.scheduler {
            Arc::new(Delivery {
                db: db.clone(),
                mailer: mailer.clone(),
                settings: settings.clone(),
                unsubscribe: keys.unsubscribe.clone(),
                clock,
                worker: crate::delivery::worker_name(),
            })
            .spawn();
        }
        let caches = Arc::new(crate::cache::Caches::new(
            settings.cache.thread_megabytes,
            settings.database.max_connections,
        ));
        let follower = crate::cache::follower::Follower::start(db.clone(), caches).await?;
        let indexer = search.clone();
        follower.clone().spawn(move || indexer.changed());
        let state = web::Data::new(AppState::new(
            settings.clone(),
            Parts {
                db,
                keys,
                mailer,
                search,
                library,
                follower,
                oidc: Arc::new(crate::oidc::Oidc::new(
                    settings.auth.sso_clock_skew_seconds,
                )?),
            },
        ));
        state.reads.clone().spawn_writer(state.db.clone());
        let body_limit = settings.limits.body_bytes;
        let server_settings = settings.server.clone();

        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(
                    crate::cache::follower::catch_up_after_writes,
                ))
                .wrap(actix_web::middleware::from_fn(refuse_nul_in_url))
                .wrap(crate::security_headers::middleware(&server_settings))
                .wrap(actix_web::middleware::from_fn(echo_request_id))
                .wrap(TracingLogger::<RedactingSpan>::new())
                .wrap(actix_web::middleware::from_fn(crate::metrics::record))
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(body_limit)
                        .error_handler(extractors::json(body_limit)),
                )
                .app_data(web::PayloadConfig::default().limit(body_limit))
                .app_data(web::PathConfig::default().error_handler(extractors::path))
                .app_data(web::QueryConfig::default().error_handler(extractors::query))
                .configure(crate::routes::configure)
                .default_service(web::to(no_route))
        });
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server
            .bind(settings.bind_addr()?)
            .with_context(|| format!("server.bind: cannot listen on {}", settings.server.bind))?;
        let addr = *server.addrs().first().context("no listening address")?;
        Ok(Application {
            addr,
            server: server.run(),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// A NUL character (`%00`) in the path or query is refused with 400 before any handler sees
/// it: no name, slug, token or search holds one, and PostgreSQL cannot store one.
async fn refuse_nul_in_url(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<
    actix_web::dev::ServiceResponse<actix_web::body::EitherBody<impl actix_web::body::MessageBody>>,
    actix_web::Error,
> {
    let nul = req.uri().path_and_query().is_some_and(|pq| {
        pq.as_str()
            .as_bytes()
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    });
    if nul {
        let refused =
            crate::error::ApiError::bad_request("the address must not contain NUL characters");
        let response = actix_web::ResponseError::error_response(&refused);
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Returns the request id that tracing gave the request as `X-Request-Id`.
async fn echo_request_id(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(id) = id.and_then(|i| actix_web::http::header::HeaderValue::from_str(&i).ok()) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            id,
        );
    }
    Ok(res)
}
