//! Cross-site request forgery: a write that rides on the cookies must come from our own origin
//! and carry the session's CSRF token. Bearer requests are unchanged.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The default `server.public_url`, so the origin a same-site browser would send.
pub const OWN_ORIGIN: &str = "http://127.0.0.1:8080";
const EVIL: &str = "https://evil.example";

/// Signs in and returns the cookies as one `Cookie` header value, and the login answer.
pub async fn cookie_login(app: &TestApp, email: &str) -> (String, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_string))
        .collect();
    let body: Value = res.json().await.expect("json");
    (cookies.join("; "), body)
}

/// A request with cookies and the given extra headers, as a browser would send it.
pub async fn with_cookies(
    app: &TestApp,
    method: Method,
    path: &str,
    cookies: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("cookie", cookies);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn disabled(app: &TestApp, id: i64) -> bool {
    app.count(&format!(
        "SELECT COUNT(*) FROM users WHERE id = {id} AND disabled = TRUE"
    ))
    .await
        == 1
}

#[tokio::test]
async fn a_cookie_write_needs_our_origin_and_the_session_token() {
    on_each_backend(|app| async move {
        app.add_org("Roundtable Operations", "operator");
        app.add_org("Kent Police", "force");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let victim = app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let (cookies, login) = cookie_login(&app, "admin@ops.example").await;
        let csrf = login["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_string();
        let path = format!("/api/v1/users/{victim}/disable");

        let refused: [(&str, Vec<(&str, &str)>); 5] = [
            ("another site's Origin", vec![("origin", EVIL)]),
            (
                "another site's Origin, even with the token",
                vec![("origin", EVIL), ("x-csrf-token", &csrf)],
            ),
            ("an opaque Origin", vec![("origin", "null")]),
            (
                "Sec-Fetch-Site: cross-site",
                vec![("sec-fetch-site", "cross-site")],
            ),
            ("our Origin but no token", vec![("origin", OWN_ORIGIN)]),
        ];
        for (what, headers) in refused {
            let (s, body) = with_cookies(&app, Method::POST, &path, &cookies, &headers, None).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{what}: {body}");
            assert_error_shape(&body, what);
            assert!(!disabled(&app, victim).await, "{what} disabled the account");
        }
        let (s, _) = with_cookies(
            &app,
            Method::POST,
            &path,
            &cookies,
            &[("origin", OWN_ORIGIN), ("x-csrf-token", "not-the-token")],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "a wrong token");

        // The token from GET /auth/csrf is the session's, the same as login gave.
        let (s, fetched) =
            with_cookies(&app, Method::GET, "/api/v1/auth/csrf", &cookies, &[], None).await;
        assert_eq!(s, StatusCode::OK, "{fetched}");
        assert_eq!(fetched["csrf_token"], csrf.as_str());

        let (s, body) = with_cookies(
            &app,
            Method::POST,
            &path,
            &cookies,
            &[("origin", OWN_ORIGIN), ("x-csrf-token", &csrf)],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        assert!(disabled(&app, victim).await);
    })
    .await;
}

#[tokio::test]
async fn bearer_requests_and_cookie_reads_are_unchanged() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it").await;
        let (cookies, _) = cookie_login(&app, "chief@kent.example").await;
        // A Bearer token is never sent by a browser on its own: no token needed, any Origin.
        let res = app
            .client
            .post(app.url("/api/v1/spaces/it/threads"))
            .bearer_auth(&token)
            .header("origin", EVIL)
            .json(&json!({"title": "Bearer write", "body": "Fine", "tags": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        // Reading with the cookie needs no token.
        let (s, _) = with_cookies(&app, Method::GET, "/api/v1/me", &cookies, &[], None).await;
        assert_eq!(s, StatusCode::OK);
        // A cookie write from our own site with the token works.
        let (_, login) = cookie_login(&app, "chief@kent.example").await;
        let (cookies2, _) = (cookies.clone(), login);
        let (s, csrf) =
            with_cookies(&app, Method::GET, "/api/v1/auth/csrf", &cookies2, &[], None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, body) = with_cookies(
            &app,
            Method::POST,
            "/api/v1/spaces/it/threads",
            &cookies2,
            &[
                ("sec-fetch-site", "same-origin"),
                ("x-csrf-token", csrf["csrf_token"].as_str().unwrap()),
            ],
            Some(json!({"title": "Cookie write", "body": "Fine", "tags": []})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    })
    .await;
}

#[tokio::test]
async fn refresh_by_cookie_needs_the_same_defence_and_a_json_body() {
    on_each_backend(|app| async move {
        app.add_org("Kent Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let (cookies, login) = cookie_login(&app, "chief@kent.example").await;
        let csrf = login["csrf_token"].as_str().unwrap().to_string();

        // A cross-site form can only send text/plain: it must not fall back to the cookie.
        let res = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header("cookie", &cookies)
            .header("origin", EVIL)
            .header("content-type", "text/plain")
            .body("refresh_token=x")
            .send()
            .await
            .unwrap();
        assert!(
            res.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE
                || res.status() == StatusCode::FORBIDDEN,
            "text/plain cross-site refresh: {}",
            res.status()
        );
        for headers in [
            vec![("origin", EVIL)],
            vec![("origin", OWN_ORIGIN)],
            vec![
                ("sec-fetch-site", "cross-site"),
                ("x-csrf-token", csrf.as_str()),
            ],
        ] {
            let (s, body) = with_cookies(
                &app,
                Method::POST,
                "/api/v1/auth/refresh",
                &cookies,
                &headers,
                None,
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{headers:?}: {body}");
        }
        let (s, body) = with_cookies(
            &app,
            Method::POST,
            "/api/v1/auth/refresh",
            &cookies,
            &[("origin", OWN_ORIGIN), ("x-csrf-token", &csrf)],
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            body["csrf_token"],
            csrf.as_str(),
            "same session, same token"
        );
        // A refresh with the token in a JSON body needs no CSRF token: no cookie is used.
        let (s, body) = app
            .request(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": body["refresh_token"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    })
    .await;
}

#[tokio::test]
async fn another_site_cannot_sign_someone_in() {
    on_each_backend(|app| async move {
        app.add_org("Kent Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("origin", EVIL)
            .json(&json!({"email": "chief@kent.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.headers().get("set-cookie").is_none());
    })
    .await;
}
