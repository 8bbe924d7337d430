//! Passkeys as the second factor, through the API as a browser would use it, with
//! webauthn-authenticator-rs's software passkey as the authenticator (it makes and signs real
//! WebAuthn answers for the origin it is given).
use crate::helpers::{Backend, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs_proto::{CreationChallengeResponse, RequestChallengeResponse};

const CHIEF: &str = "chief@kent.example";

/// A server whose public address has a domain name (passkeys are scoped to one).
async fn spawn_at_localhost(backend: Backend) -> (TestApp, url::Url) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let public = format!("http://localhost:{port}");
    let app = TestApp::spawn_with(
        backend,
        &[
            ("ROUNDTABLE__SERVER__BIND", &format!("127.0.0.1:{port}")),
            ("ROUNDTABLE__SERVER__PUBLIC_URL", &public),
            // Refused answers count as failed sign-ins; these tests make several on purpose.
            ("ROUNDTABLE__AUTH__LOGIN_FAILURES_PER_ACCOUNT", "50"),
        ],
    )
    .await;
    app.add_org("Kent Police", "force");
    app.add_user(CHIEF, "Kent Police", "chief_officer");
    (app, url::Url::parse(&public).unwrap())
}

fn soft_key() -> WebauthnAuthenticator<SoftPasskey> {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

/// Adds a passkey made by `key` to the holder of `token`; the server's answer.
async fn add(
    app: &TestApp,
    token: &str,
    key: &mut WebauthnAuthenticator<SoftPasskey>,
    origin: &url::Url,
    name: &str,
) -> (StatusCode, Value) {
    let (status, offered) = app
        .post("/api/v1/me/passkeys/options", token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{offered}");
    let options: CreationChallengeResponse = serde_json::from_value(offered).unwrap();
    let made = key
        .do_registration(origin.clone(), options)
        .expect("the authenticator makes a passkey");
    app.post(
        "/api/v1/me/passkeys",
        token,
        json!({"name": name, "credential": made}),
    )
    .await
}

async fn password_step(app: &TestApp) -> String {
    let (status, body) = app.login_full(CHIEF, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mfa_required"], json!(true), "{body}");
    body["mfa_token"].as_str().unwrap().to_string()
}

async fn anonymous(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::POST, path, None, Some(body)).await
}

/// The second step answered by `key` for `origin`.
async fn sign_in_with(
    app: &TestApp,
    mfa_token: &str,
    key: &mut WebauthnAuthenticator<SoftPasskey>,
    origin: &url::Url,
) -> (StatusCode, Value, Value) {
    let (status, offered) = anonymous(
        app,
        "/api/v1/auth/mfa/passkey/options",
        json!({"mfa_token": mfa_token}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{offered}");
    let options: RequestChallengeResponse = serde_json::from_value(offered).unwrap();
    let answer = key
        .do_authentication(origin.clone(), options)
        .expect("the authenticator answers");
    let answer = serde_json::to_value(answer).unwrap();
    let (status, body) = anonymous(
        app,
        "/api/v1/auth/mfa/passkey",
        json!({"mfa_token": mfa_token, "credential": answer}),
    )
    .await;
    (status, body, answer)
}

#[tokio::test]
async fn a_passkey_is_added_then_asked_for_at_sign_in_and_each_answer_works_once() {
    for backend in crate::helpers::backends() {
        let (app, origin) = spawn_at_localhost(backend).await;
        let token = app.login(CHIEF).await;
        let elsewhere = app.login(CHIEF).await;
        let mut key = soft_key();

        // Bad input is refused, naming the field.
        let (status, body) = app
            .post(
                "/api/v1/me/passkeys",
                &token,
                json!({"name": "Laptop", "credential": {"id": "x"}}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "credential");
        let (status, body) = add(&app, &token, &mut key, &origin, "  ").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "name");

        // Added: the first second factor comes with recovery codes; other sessions end.
        let (status, added) = add(&app, &token, &mut key, &origin, "Work laptop").await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["recovery_codes"].as_array().unwrap().len(), 10);
        assert_eq!(
            app.get("/api/v1/me", &elsewhere).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, listed) = app.get("/api/v1/me/passkeys", &token).await;
        assert_eq!(listed[0]["name"], "Work laptop");
        assert!(listed[0]["last_used_at"].is_null());
        // The same authenticator cannot be added twice (its credential is excluded).
        let (status, _) = app
            .post("/api/v1/me/passkeys/options", &token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);

        // The password alone no longer signs in; the passkey finishes it.
        let mfa = password_step(&app).await;
        let (status, body, answer) = sign_in_with(&app, &mfa, &mut key, &origin).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["access_token"].is_string());
        // The same answer again, to the same or a new sign-in, is refused.
        let (status, _) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey",
            json!({"mfa_token": mfa, "credential": answer}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let fresh = password_step(&app).await;
        let (status, _) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey/options",
            json!({"mfa_token": fresh}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey",
            json!({"mfa_token": fresh, "credential": answer}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a replayed answer: {body}"
        );

        // An answer made for another site (a phishing page's origin) is refused.
        let phishing = url::Url::parse("http://localhost:1").unwrap();
        let mfa = password_step(&app).await;
        let (status, body, _) = sign_in_with(&app, &mfa, &mut key, &phishing).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "another origin: {body}");
        // An answer from someone else's passkey (to their own sign-in) is refused here.
        app.add_user("staff@kent.example", "Kent Police", "staff");
        let staff = app.login("staff@kent.example").await;
        let mut stranger = soft_key();
        let (status, _) = add(&app, &staff, &mut stranger, &origin, "Theirs").await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, theirs) = app.login_full("staff@kent.example", PASSWORD).await;
        let their_mfa = theirs["mfa_token"].as_str().unwrap();
        let (_, offered) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey/options",
            json!({"mfa_token": their_mfa}),
        )
        .await;
        let their_answer = stranger
            .do_authentication(origin.clone(), serde_json::from_value(offered).unwrap())
            .unwrap();
        let mfa = password_step(&app).await;
        let (status, _) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey/options",
            json!({"mfa_token": mfa}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = anonymous(
            &app,
            "/api/v1/auth/mfa/passkey",
            json!({"mfa_token": mfa, "credential": their_answer}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a passkey not theirs");
        assert!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed' \
                 AND detail LIKE '%{CHIEF}%'"
            ))
            .await
                >= 3,
            "each refused answer is a failed sign-in"
        );

        // Used once: the list says when.
        let (_, listed) = app.get("/api/v1/me/passkeys", &token).await;
        assert!(listed[0]["last_used_at"].is_string(), "{listed}");

        // Removing it takes the password (recent sign-in or given) and is audited.
        let id = listed[0]["id"].as_i64().unwrap();
        let (status, _) = app
            .request(
                Method::DELETE,
                &format!("/api/v1/me/passkeys/{id}"),
                Some(&token),
                Some(json!({"password": "not mine"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _) = app
            .request(
                Method::DELETE,
                &format!("/api/v1/me/passkeys/{id}"),
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE action IN \
                 ('second_factor.passkey_added', 'second_factor.passkey_removed') \
                 AND actor_id = (SELECT id FROM users WHERE email = 'chief@kent.example')"
            )
            .await,
            2
        );
        let (status, body) = app.login_full(CHIEF, PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["access_token"].is_string(), "no second factor is left");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = \
                 (SELECT id FROM users WHERE email = 'chief@kent.example')"
            )
            .await,
            0,
            "the last second factor gone, its recovery codes go too"
        );
    }
}

#[tokio::test]
async fn nobody_else_sees_or_removes_a_passkey_and_other_sites_cannot_ask() {
    let (app, origin) = spawn_at_localhost(Backend::Sqlite).await;
    app.add_user("staff@kent.example", "Kent Police", "staff");
    let token = app.login(CHIEF).await;
    let (status, added) = add(&app, &token, &mut soft_key(), &origin, "Key").await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let other = app.login("staff@kent.example").await;
    let (_, theirs) = app.get("/api/v1/me/passkeys", &other).await;
    assert_eq!(theirs, json!([]));
    let id = added["id"].as_i64().unwrap();
    let (status, _) = app
        .request(
            Method::DELETE,
            &format!("/api/v1/me/passkeys/{id}"),
            Some(&other),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "as if it did not exist");
    // A sign-in's second step started by another site.
    let mfa = password_step(&app).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/mfa/passkey/options"))
        .header("origin", "https://evil.example")
        .json(&json!({"mfa_token": mfa}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A huge answer is refused cleanly.
    let huge = "A".repeat(900_000);
    let (status, _) = anonymous(
        &app,
        "/api/v1/auth/mfa/passkey",
        json!({"mfa_token": mfa, "credential": {"id": huge}}),
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    // A server reached by IP address has no passkeys, and says why.
    let by_ip = TestApp::spawn(Backend::Sqlite).await;
    by_ip.add_org("Kent Police", "force");
    by_ip.add_user(CHIEF, "Kent Police", "chief_officer");
    let t = by_ip.login(CHIEF).await;
    let (status, body) = by_ip
        .post("/api/v1/me/passkeys/options", &t, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("domain name"));
}
