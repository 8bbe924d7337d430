//! Failed sign-ins slow down the guesser, not the account's owner: counted per (account,
//! client address) and per address, in the database, with the address taken from
//! X-Forwarded-For only behind a trusted proxy.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn login_from(app: &TestApp, forwarded_for: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": "admin@ops.example", "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guesser_elsewhere_does_not_lock_the_owner_out_and_a_restart_forgets_nothing() {
    for backend in backends() {
        let mut app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__SERVER__TRUSTED_PROXIES", "127.0.0.1")],
        )
        .await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        for attempt in 0..5 {
            let res = login_from(&app, "198.51.100.1", "wrong guess").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        }
        let res = login_from(&app, "198.51.100.1", PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "the guesser waits"
        );
        let wait: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        // The owner, at another address behind the same proxy, signs in as usual.
        let res = login_from(&app, "203.0.113.5", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "the owner is not locked out");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
                .await,
            5,
            "every failure is audited"
        );
        // The counts live in the database: a restarted server still slows the guesser.
        app.start();
        let res = login_from(&app, "198.51.100.1", "another guess").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() {
    on_each_backend(|app| async move {
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        // No proxy is trusted: each request names a new address, but the peer is what counts.
        for i in 0..5 {
            let res = login_from(&app, &format!("198.51.100.{i}"), "wrong guess").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = login_from(&app, "198.51.100.200", PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "a client cannot escape the count by naming another address"
        );
    })
    .await;
}
