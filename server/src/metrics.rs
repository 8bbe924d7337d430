//! Prometheus metrics at `GET /metrics`, for an operator's scraper holding `metrics.token`
//! (without the setting, or with another token, the address does not exist: 404).
//!
//! - Every request: `roundtable_http_requests_total{method,route,status}` and the histogram
//!   `roundtable_http_request_duration_seconds{method,route}`, by route template
//!   (`/api/v1/threads/{id}`), never by the address asked for, so ids never become labels.
//! - Read at each scrape: the search index's lag behind the outbox in rows and seconds, mail jobs
//!   by status, and the database pool's connections in use and idle.
use crate::db::entities::outbox;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use secrecy::ExposeSecret;
use std::sync::OnceLock;
use std::time::Instant;

pub const REQUESTS: &str = "roundtable_http_requests_total";
pub const REQUEST_SECONDS: &str = "roundtable_http_request_duration_seconds";
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often the timings recorded since are added into the histograms.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// The thread that does it.
pub const UPKEEP_THREAD: &str = "metrics-upkeep";

/// The process's recorder, installed on first use, with the thread that keeps it bounded.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_string()), BUCKETS)
            .expect("the request buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (never in the server) leaves this one unfed.
        let _ = metrics::set_global_recorder(recorder);
        // Each timing is kept as it was recorded until the recorder's upkeep adds it into its
        // histogram, which only a scrape does otherwise: unscraped, a busy server kept tens
        // of megabytes of them, growing without end.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name(UPKEEP_THREAD.into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        if let Err(e) = spawned {
            tracing::error!("the metrics' upkeep thread could not start: {e}");
        }
        handle
    })
}

/// Middleware: counts and times every request by its route template.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let result = next.call(req).await;
    // The route is known once the request has been routed, so it is read from the answer.
    let (status, route) = match &result {
        Ok(res) => (res.status().as_u16(), res.request().match_pattern()),
        Err(e) => (e.as_response_error().status_code().as_u16(), None),
    };
    let route = route.unwrap_or_else(|| "unmatched".to_string());
    let (requests, seconds) = request_handles(method, route, status);
    requests.increment(1);
    seconds.record(started.elapsed().as_secs_f64());
    result
}

/// The method as a label: one of HTTP's own, or `OTHER`, so that made-up methods cannot add
/// labels without end.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("OTHER")
}

type HandleKey = (&'static str, String, u16);

thread_local! {
    /// Each worker thread keeps the handles it has used, so a request looks its labels up
    /// in a small map of its own instead of building them for the shared registry.
    static HANDLES: std::cell::RefCell<std::collections::HashMap<HandleKey, (metrics::Counter, metrics::Histogram)>> =
        Default::default();
}

/// How many label sets a thread keeps handles for; beyond it (never with the routes this
/// server has) handles are looked up in the registry each time.
const MAX_HANDLES: usize = 4_096;

fn request_handles(
    method: &'static str,
    route: String,
    status: u16,
) -> (metrics::Counter, metrics::Histogram) {
    let key = (method, route, status);
    if let Some(found) = HANDLES.with_borrow(|h| h.get(&key).cloned()) {
        return found;
    }
    let (method, route, status) = key;
    let made = (
        metrics::counter!(REQUESTS, "method" => method, "route" => route.clone(),
            "status" => status.to_string()),
        metrics::histogram!(REQUEST_SECONDS, "method" => method, "route" => route.clone()),
    );
    HANDLES.with_borrow_mut(|h| {
        if h.len() < MAX_HANDLES {
            h.insert((method, route, status), made.clone());
        }
    });
    made
}

/// Whether the request carries the configured token (compared in constant time).
fn authorised(state: &AppState, req: &HttpRequest) -> bool {
    let expected = state.settings.metrics.token.expose_secret();
    if expected.is_empty() {
        return false;
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn index_lag(state: &AppState) -> anyhow::Result<(f64, f64)> {
    let index = state.search.index();
    let position = tokio::task::spawn_blocking(move || index.position()).await??;
    // Outbox ids are 32-bit in the database (PostgreSQL refuses a 64-bit parameter for them).
    let position = i32::try_from(position).unwrap_or(i32::MAX);
    let behind = outbox::Entity::find()
        .filter(outbox::Column::Id.gt(position))
        .order_by_asc(outbox::Column::Id);
    let rows = sea_orm::PaginatorTrait::count(behind.clone(), &state.db).await?;
    let oldest = behind.one(&state.db).await?;
    let seconds = oldest.map_or(0.0, |o| {
        (Utc::now() - o.created_at).num_milliseconds().max(0) as f64 / 1000.0
    });
    Ok((rows as f64, seconds))
}

/// The pool's (in use, idle) connections.
fn pool(db: &DatabaseConnection) -> (f64, f64) {
    let (size, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => (0, 0),
    };
    (f64::from(size.saturating_sub(idle as u32)), idle as f64)
}

/// Refreshes the gauges read at scrape time.
async fn refresh(state: &AppState) {
    match index_lag(state).await {
        Ok((rows, seconds)) => {
            metrics::gauge!("roundtable_index_lag_rows").set(rows);
            metrics::gauge!("roundtable_index_lag_seconds").set(seconds);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: index lag not read"),
    }
    match crate::delivery::jobs::status_counts(&state.db).await {
        Ok(counts) => {
            use crate::delivery::jobs::{
                DIGEST, FAILED, NOTIFICATION, PENDING, SENDING, SENT, SKIPPED,
            };
            for kind in [DIGEST, NOTIFICATION] {
                for status in [PENDING, SENDING, SENT, SKIPPED, FAILED] {
                    let n = counts
                        .iter()
                        .find(|c| c.kind == kind && c.status == status)
                        .map_or(0, |c| c.count);
                    metrics::gauge!("roundtable_mail_jobs", "kind" => kind, "status" => status)
                        .set(n as f64);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: mail jobs not read"),
    }
    let (in_use, idle) = pool(&state.db);
    metrics::gauge!("roundtable_db_pool_connections", "state" => "in_use").set(in_use);
    metrics::gauge!("roundtable_db_pool_connections", "state" => "idle").set(idle);
}

#[get("/metrics")]
pub async fn scrape(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if !authorised(&state, &req) {
        return actix_web::ResponseError::error_response(&crate::error::ApiError::not_found());
    }
    refresh(&state).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(handle().render())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_recorder_comes_with_the_thread_that_keeps_it_bounded() {
        super::handle();
        let names = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .expect("Linux's /proc")
                .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
                .map(|name| name.trim().to_string())
                .collect()
        };
        // A new thread takes its name only once it runs, a moment after it is spawned.
        let started = std::time::Instant::now();
        while !names().iter().any(|n| n == super::UPKEEP_THREAD)
            && started.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let names = names();
        assert!(
            names.iter().any(|n| n == super::UPKEEP_THREAD),
            "threads: {names:?}"
        );
    }
}
