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
