//! Tokens that must not work, session revocation, refresh rotation, rate limiting.
use crate::helpers::*;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The key the server signs access tokens with: derived from the master secret.
fn server_key(app: &TestApp) -> Vec<u8> {
    roundtable::auth::keys::derive(
        &crate::tokens::master_key(app),
        roundtable::auth::keys::Purpose::AccessTokens,
    )
    .to_vec()
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("payload");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("b64");
    serde_json::from_slice(&raw).expect("json claims")
}

async fn setup(app: &TestApp) -> String {
    app.add_org("Kent Police", "force");
    app.add_org("Roundtable Operations", "operator");
    app.add_user("chief@kent.example", "Kent Police", "chief_officer");
    app.add_user("admin@ops.example", "Roundtable Operations", "admin");
    app.login("chief@kent.example").await
}

async fn me_status(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.get("/api/v1/me", token).await
}

#[tokio::test]
async fn forged_expired_and_unsigned_tokens_are_refused() {
    on_each_backend(|app| async move {
        let token = setup(&app).await;
        let (s, me) = me_status(&app, &token).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["email"], "chief@kent.example");
        assert_eq!(me["organisation"]["name"], "Kent Police");

        let claims = claims_of(&token);
        let now = chrono::Utc::now().timestamp();
        let key = server_key(&app);

        let mut expired = claims.clone();
        expired["iat"] = json!(now - 3600);
        expired["exp"] = json!(now - 60);
        let expired_token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &expired,
            &EncodingKey::from_secret(&key),
        )
        .unwrap();

        let other_key_token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&[42u8; 48]),
        )
        .unwrap();

        let none_token = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(serde_json::to_string(&claims).unwrap().as_bytes())
        );
        // Same key, but the claims were changed after signing.
        let mut other_user = claims.clone();
        other_user["sub"] = json!("2");
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(serde_json::to_string(&other_user).unwrap().as_bytes()),
            parts[2]
        );

        for (name, bad) in [
            ("expired", expired_token.as_str()),
            ("another key", other_key_token.as_str()),
            ("alg none", none_token.as_str()),
            ("tampered claims", tampered.as_str()),
            ("garbage", "not.a.token"),
        ] {
            let (s, body) = me_status(&app, bad).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{name}: {body}");
            assert_error_shape(&body, name);
        }
        let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no token");
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "wrong scheme");
    })
    .await;
}

#[tokio::test]
async fn logout_password_change_and_disabling_revoke_every_session() {
    on_each_backend(|app| async move {
        let first = setup(&app).await;
        let second = app.login("chief@kent.example").await;
        let (s, _) = app.post("/api/v1/auth/logout", &first, json!({})).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            me_status(&app, &first).await.0,
            StatusCode::UNAUTHORIZED,
            "token after logout"
        );
        assert_eq!(
            me_status(&app, &second).await.0,
            StatusCode::UNAUTHORIZED,
            "other session after logout"
        );

        // Password change ends every session, and the old password stops working.
        let token = app.login("chief@kent.example").await;
        let (s, b) = app
            .post(
                "/api/v1/auth/password",
                &token,
                json!({"current_password": "wrong one", "new_password": "another long password"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        let (s, _) = app
            .post(
                "/api/v1/auth/password",
                &token,
                json!({"current_password": PASSWORD, "new_password": "another long password"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            me_status(&app, &token).await.0,
            StatusCode::UNAUTHORIZED,
            "token after password change"
        );
        assert_eq!(
            app.login_full("chief@kent.example", PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (s, body) = app
            .login_full("chief@kent.example", "another long password")
            .await;
        assert_eq!(s, StatusCode::OK);
        let token = body["access_token"].as_str().unwrap().to_string();

        // Disabling through the API.
        let admin = app.login("admin@ops.example").await;
        let chief_id = me_status(&app, &token).await.1["id"].as_i64().unwrap();
        let (s, _) = app
            .post(
                &format!("/api/v1/users/{chief_id}/disable"),
                &token,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only admins disable");
        let (s, _) = app
            .post(
                &format!("/api/v1/users/{chief_id}/disable"),
                &admin,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            me_status(&app, &token).await.0,
            StatusCode::UNAUTHORIZED,
            "token of a disabled user"
        );
        assert_eq!(
            app.login_full("chief@kent.example", "another long password")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        let audited = app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.disable'")
            .await;
        assert_eq!(audited, 1);

        // Disabling through the CLI.
        app.add_user("pcc@kent.example", "Kent Police", "pcc");
        let pcc = app.login("pcc@kent.example").await;
        app.cli_id(&["user", "disable", "--email", "PCC@kent.example"], &[]);
        assert_eq!(
            me_status(&app, &pcc).await.0,
            StatusCode::UNAUTHORIZED,
            "token of a user disabled by CLI"
        );
    })
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_stops_working() {
    on_each_backend(|app| async move {
        setup(&app).await;
        let (_, tokens) = app.login_full("chief@kent.example", PASSWORD).await;
        let old_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
        assert!(
            tokens["expires_in"].as_i64().unwrap() <= 900,
            "access tokens live at most 15 minutes"
        );
        let (s, fresh) = app
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": old_refresh})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fresh}");
        assert_ne!(fresh["refresh_token"], old_refresh.as_str());
        let new_access = fresh["access_token"].as_str().unwrap();
        assert_eq!(me_status(&app, new_access).await.0, StatusCode::OK);
        let (s, body) = app
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": old_refresh})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "old refresh token reused: {body}"
        );
        // The access token also works from the HttpOnly cookie the pages will use.
        let res = app
            .client
            .get(app.url("/api/v1/me"))
            .header("cookie", format!("rt_access={new_access}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited() {
    on_each_backend(|app| async move {
        setup(&app).await;
        for attempt in 0..5 {
            let (s, b) = app
                .login_full("chief@kent.example", "not the password")
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {attempt}: {b}");
        }
        let (s, body) = app.login_full("chief@kent.example", PASSWORD).await;
        assert_eq!(
            s,
            StatusCode::TOO_MANY_REQUESTS,
            "even the right password waits: {body}"
        );
        assert_error_shape(&body, "rate limited");
        // Unknown accounts from the same address count towards the address limit.
        let mut limited = false;
        for i in 0..25 {
            let (s, _) = app
                .login_full(&format!("nobody{i}@kent.example"), "x")
                .await;
            if s == StatusCode::TOO_MANY_REQUESTS {
                limited = true;
                break;
            }
        }
        assert!(limited, "the per-address limit applies");
    })
    .await;
}
