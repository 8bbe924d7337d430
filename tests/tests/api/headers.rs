//! Every response carries the security headers; cookies are Secure and prefixed on HTTPS; what
//! is written to disk is private, and the request log holds no token and no address a client
//! chose.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert!(
        get("content-security-policy").contains("frame-ancestors 'none'"),
        "{what}: {}",
        get("content-security-policy")
    );
    assert_eq!(get("cache-control"), "no-store", "{what}");
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it").await;
        let (thread, _) = app.start_thread(&token, "it", "Headers", "Body").await;
        let get = |path: String, auth: bool| {
            let mut req = app.client.get(app.url(&path));
            if auth {
                req = req.bearer_auth(&token);
            }
            req.send()
        };
        for (what, path, auth, status) in [
            ("health", "/healthz".to_string(), false, StatusCode::OK),
            ("me", "/api/v1/me".to_string(), true, StatusCode::OK),
            (
                "thread",
                format!("/api/v1/threads/{thread}"),
                true,
                StatusCode::OK,
            ),
            (
                "no route",
                "/nowhere".to_string(),
                false,
                StatusCode::NOT_FOUND,
            ),
            (
                "unauthenticated",
                "/api/v1/me".to_string(),
                false,
                StatusCode::UNAUTHORIZED,
            ),
            (
                "bad unsubscribe link",
                "/api/v1/unsubscribe/weekly/1.AAAA".to_string(),
                false,
                StatusCode::NOT_FOUND,
            ),
        ] {
            let res = get(path, auth).await.unwrap();
            assert_eq!(res.status(), status, "{what}");
            assert_security_headers(&res, what);
            assert!(
                res.headers().get("strict-transport-security").is_none(),
                "no HSTS over plain HTTP"
            );
        }
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": "chief@kent.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_security_headers(&res, "login");
        for cookie in res.headers().get_all("set-cookie") {
            let c = cookie.to_str().unwrap();
            assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
            assert!(!c.contains("Secure"), "plain HTTP trial: {c}");
        }
    })
    .await;
}

#[tokio::test]
async fn on_https_cookies_are_secure_and_prefixed_and_hsts_is_sent() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[(
            "ROUNDTABLE__SERVER__PUBLIC_URL",
            "https://roundtable.example",
        )],
    )
    .await;
    app.add_org("Kent Police", "force");
    app.add_user("chief@kent.example", "Kent Police", "chief_officer");
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "chief@kent.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age=")));
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let access = cookies.iter().find(|c| c.starts_with("__Host-rt_access="));
    let refresh = cookies
        .iter()
        .find(|c| c.starts_with("__Secure-rt_refresh="));
    for c in [access, refresh] {
        let c = c.unwrap_or_else(|| panic!("prefixed cookies: {cookies:?}"));
        assert!(c.contains("Secure") && c.contains("HttpOnly"), "{c}");
    }
    assert!(access.unwrap().contains("Path=/;") || access.unwrap().ends_with("Path=/"));
    // The prefixed cookie is the one that signs in.
    let value = access.unwrap().split(';').next().unwrap().to_string();
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_its_files_are_private() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.add_org("Roundtable Operations", "operator");
    app.add_user("admin@ops.example", "Roundtable Operations", "admin");
    let admin = app.login("admin@ops.example").await;
    let (s, body) = app
        .post(
            "/api/v1/invitations",
            &admin,
            json!({"email": "new@kent.example", "role": "admin"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let data = app.data_dir.path();
    assert_eq!(mode(data), 0o700, "data folder");
    assert_eq!(mode(&data.join("mail")), 0o700, "mail folder");
    for entry in std::fs::read_dir(data.join("mail")).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    for name in ["roundtable.db", "jwt.key"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
}

#[tokio::test]
async fn the_request_log_holds_no_token_and_no_client_chosen_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("ROUNDTABLE__LOG__LEVEL", "info")]).await;
    let token = "q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6j7K8l9Z0x1C";
    let res = app
        .client
        .get(app.url(&format!("/api/v1/invitations/{token}")))
        .header("x-forwarded-for", "203.0.113.77")
        .header("forwarded", "for=203.0.113.78")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let log_path = app.data_dir.path().join("server.log");
    let mut log = String::new();
    for _ in 0..50 {
        log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.contains("[redacted]") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(log.contains("/api/v1/invitations/[redacted]"), "{log}");
    assert!(!log.contains(token), "{log}");
    assert!(
        !log.contains("203.0.113.77") && !log.contains("203.0.113.78"),
        "{log}"
    );
    assert!(
        log.contains("127.0.0.1"),
        "the peer's address is logged: {log}"
    );
}
