//! Health, readiness, request ids and the OpenAPI document.
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_request_ids_and_openapi() {
    on_each_backend(|app| async move {
        let res = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let id = res
            .headers()
            .get("x-request-id")
            .expect("request id header")
            .to_str()
            .unwrap()
            .to_string();
        let res = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_ne!(
            res.headers()["x-request-id"].to_str().unwrap(),
            id,
            "one id per request"
        );

        let (s, doc) = app
            .request(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
        for path in [
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/me",
            "/api/v1/spaces",
            "/api/v1/spaces/{slug}/threads",
            "/api/v1/threads/{id}",
            "/api/v1/threads/{id}/posts",
            "/api/v1/posts/{id}",
            "/api/v1/posts/{id}/revisions",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} is documented");
        }
        assert!(
            doc["components"]["schemas"]["ErrorBody"].is_object()
                || doc.to_string().contains("ErrorBody")
        );
    })
    .await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Restart against a database path that cannot be opened: start-up must fail with a message.
    app.stop();
    let out = app.cli(
        &["migrate"],
        &[(
            "ROUNDTABLE__DATABASE__URL",
            "sqlite:///no/such/dir/x.db?mode=rw",
        )],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    app.start();
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "restarts cleanly on the same data"
    );
}

const METRICS_TOKEN: &str = "metrics-token-for-the-test-0123456789";

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut req = app.client.get(app.url("/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn metrics_need_their_token_and_count_requests_by_route() {
    // Off by default: the address does not exist.
    let plain = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(scrape(&plain, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(scrape(&plain, Some("")).await.0, StatusCode::NOT_FOUND);
    drop(plain);

    for backend in backends() {
        let app =
            TestApp::spawn_with(backend, &[("ROUNDTABLE__METRICS__TOKEN", METRICS_TOKEN)]).await;
        let chief = app.chief_with_space("metrics").await;
        let (thread, _) = app
            .start_thread(&chief, "metrics", "Counted", "A thread to read.")
            .await;
        for _ in 0..3 {
            let (s, _) = app.get(&format!("/api/v1/threads/{thread}"), &chief).await;
            assert_eq!(s, StatusCode::OK);
        }
        assert_eq!(scrape(&app, None).await.0, StatusCode::NOT_FOUND);
        let wrong = format!("{}x", &METRICS_TOKEN[..METRICS_TOKEN.len() - 1]);
        assert_eq!(scrape(&app, Some(&wrong)).await.0, StatusCode::NOT_FOUND);
        let (status, text) = scrape(&app, Some(METRICS_TOKEN)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let line = text
            .lines()
            .find(|l| {
                l.starts_with("roundtable_http_requests_total{")
                    && l.contains("route=\"/api/v1/threads/{id}\"")
                    && l.contains("status=\"200\"")
            })
            .unwrap_or_else(|| panic!("no count for the thread route: {text}"));
        assert!(line.ends_with(" 3"), "{line}");
        assert!(
            !text.contains(&format!("/api/v1/threads/{thread}\"")),
            "ids never become labels"
        );
        // Three reads of one thread: the first fills the cache, the other two are served from it.
        let counted = |name: &str| -> u64 {
            text.lines()
                .find(|l| l.starts_with(name) && l.contains("cache=\"threads\""))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no {name} for threads: {text}"))
        };
        assert_eq!(counted("roundtable_cache_misses_total{"), 1);
        assert_eq!(counted("roundtable_cache_hits_total{"), 2);
        for wanted in [
            "roundtable_http_request_duration_seconds_bucket{",
            "roundtable_index_lag_rows ",
            "roundtable_index_lag_seconds ",
            "roundtable_mail_jobs{kind=\"digest\",status=\"pending\"}",
            "roundtable_db_pool_connections{state=\"in_use\"}",
        ] {
            assert!(text.contains(wanted), "{wanted} missing: {text}");
        }
    }
}
