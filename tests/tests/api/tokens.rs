//! Refresh tokens that were already rotated out end their session when they come back; each
//! kind of signed token has its own key; unsubscribe links are accepted only as sent.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use roundtable::auth::keys::Keys;
use roundtable::digest::unsubscribe::List;
use serde_json::json;

/// The master secret: the generated key file (SQLite) or the configured one (PostgreSQL).
pub fn master_key(app: &TestApp) -> Vec<u8> {
    match app.backend {
        Backend::Sqlite => {
            let hex_key = std::fs::read_to_string(app.data_dir.path().join("jwt.key"))
                .expect("generated key file");
            hex::decode(hex_key.trim()).expect("hex key")
        }
        Backend::Postgres { .. } => PG_SECRET.as_bytes().to_vec(),
    }
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

#[tokio::test]
async fn a_rotated_out_refresh_token_presented_again_ends_the_session() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__REFRESH_REUSE_GRACE_SECONDS", "0")],
        )
        .await;
        app.add_org("Kent Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let (s, first) = app.login_full("chief@kent.example", PASSWORD).await;
        assert_eq!(s, StatusCode::OK);
        let stolen = first["refresh_token"].as_str().unwrap().to_string();
        let (s, second) = refresh(&app, &stolen).await;
        assert_eq!(s, StatusCode::OK, "{second}");
        let current = second["refresh_token"].as_str().unwrap().to_string();
        let access = second["access_token"].as_str().unwrap().to_string();
        assert_eq!(app.get("/api/v1/me", &access).await.0, StatusCode::OK);

        let (s, body) = refresh(&app, &stolen).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        assert_error_shape(&body, "reuse");
        // The whole session ended: the current refresh token and the access token too.
        assert_eq!(refresh(&app, &current).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.get("/api/v1/me", &access).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'session.refresh_token_reused'"
            )
            .await,
            1
        );
        // Another session of the same person is not touched.
        assert_eq!(
            app.login_full("chief@kent.example", PASSWORD).await.0,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn within_the_grace_a_second_refresh_is_refused_without_ending_the_session() {
    on_each_backend(|app| async move {
        app.add_org("Kent Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let (_, first) = app.login_full("chief@kent.example", PASSWORD).await;
        let old = first["refresh_token"].as_str().unwrap().to_string();
        let (s, second) = refresh(&app, &old).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(refresh(&app, &old).await.0, StatusCode::UNAUTHORIZED);
        let (s, _) = refresh(&app, second["refresh_token"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "the session lives on");
    })
    .await;
}

#[tokio::test]
async fn signed_tokens_use_a_key_per_purpose_and_unsubscribe_links_only_their_own_form() {
    on_each_backend(|app| async move {
        app.add_org("Kent Police", "force");
        let id = app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let id = i32::try_from(id).unwrap();
        let master = master_key(&app);
        let keys = Keys::from_master(&master);
        let token = keys.unsubscribe.token(List::Weekly, id);
        let (_, mac) = token.split_once('.').unwrap();
        let post = |t: String| {
            app.client
                .post(app.url(&format!("/api/v1/unsubscribe/weekly/{t}")))
                .send()
        };
        for bad in [
            format!("+{id}.{mac}"),
            format!("0{id}.{mac}"),
            format!("%2B{id}.{mac}"),
        ] {
            let res = post(bad.clone()).await.unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
        }
        // A link signed with the master secret itself, as before keys were derived, is refused.
        let legacy = roundtable::digest::unsubscribe::UnsubscribeKey::from_secret(&master)
            .token(List::Weekly, id);
        assert_eq!(post(legacy).await.unwrap().status(), StatusCode::NOT_FOUND);
        assert_eq!(post(token).await.unwrap().status(), StatusCode::OK);

        // An access token signed with the master secret is not an access token.
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": id.to_string(), "sid": "x", "iat": now, "exp": now + 60});
        let forged = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&master),
        )
        .unwrap();
        assert_eq!(
            app.get("/api/v1/me", &forged).await.0,
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}
