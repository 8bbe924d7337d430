//! Invitations: who may invite whom, the email written through lettre, single use, expiry.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The invitation links in every .eml file the file transport wrote, oldest first.
fn mailed_links(app: &TestApp) -> Vec<(String, String)> {
    let dir = app.data_dir.path().join("mail");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .into_iter()
        .filter_map(|p| {
            let raw = std::fs::read_to_string(&p)
                .ok()?
                .replace("=\r\n", "")
                .replace("=\n", "");
            let start = raw.find("/invitations/")? + "/invitations/".len();
            let token: String = raw[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some((raw, token))
        })
        .collect()
}

async fn accept(app: &TestApp, token: &str, password: &str) -> (StatusCode, serde_json::Value) {
    app.request(
        Method::POST,
        "/api/v1/invitations/accept",
        None,
        Some(json!({"token": token, "display_name": "Dana Invited", "password": password})),
    )
    .await
}

#[tokio::test]
async fn an_invitation_is_mailed_used_once_and_then_refused() {
    on_each_backend(|app| async move {
        let org = app.add_org("Kent Police", "force");
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let (s, made) = app
            .post(
                "/api/v1/invitations",
                &admin,
                json!({"email": "New.Person@Kent.Example", "role": "pcc", "organisation_id": org}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["email"], "new.person@kent.example");
        let links = mailed_links(&app);
        assert_eq!(links.len(), 1, "one email written");
        let (raw, token) = &links[0];
        assert!(
            raw.contains("new.person@kent.example"),
            "addressed to the invitee"
        );
        assert!(
            raw.contains("Subject: OFFICIAL: Your invitation to Roundtable"),
            "{raw}"
        );
        assert!(token.len() >= 40, "token {token}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM invitations WHERE used_at IS NULL")
                .await,
            1
        );

        let (s, shown) = app
            .request(
                Method::GET,
                &format!("/api/v1/invitations/{token}"),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{shown}");
        assert_eq!(shown["organisation"], "Kent Police");
        let (s, body) = accept(&app, token, "short").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "weak password: {body}");
        let (s, body) = accept(&app, token, "a perfectly fine passphrase").await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (s, tokens) = app
            .login_full("new.person@kent.example", "a perfectly fine passphrase")
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, me) = app
            .get("/api/v1/me", tokens["access_token"].as_str().unwrap())
            .await;
        assert_eq!(me["role"], "pcc");
        assert_eq!(me["display_name"], "Dana Invited");

        let (s, body) = accept(&app, token, "a perfectly fine passphrase").await;
        assert_eq!(s, StatusCode::GONE, "used link: {body}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already been used"));
        let (s, _) = accept(&app, "no-such-token", "a perfectly fine passphrase").await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // An expired link gets its own clear answer.
        let (s, _) = app
            .post(
                "/api/v1/invitations",
                &admin,
                json!({"email": "late@kent.example", "role": "staff", "organisation_id": org}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, late_token) = mailed_links(&app)
            .into_iter()
            .find(|(raw, _)| raw.contains("late@kent.example"))
            .unwrap();
        let db = app.db().await;
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "UPDATE invitations SET expires_at = created_at WHERE email = 'late@kent.example'",
        )
        .await
        .unwrap();
        let (s, body) = accept(&app, &late_token, "a perfectly fine passphrase").await;
        assert_eq!(s, StatusCode::GONE);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired"),
            "{body}"
        );
        assert!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite'")
                .await
                >= 2
        );
    })
    .await;
}

#[tokio::test]
async fn chiefs_and_pccs_invite_only_their_own_staff() {
    on_each_backend(|app| async move {
        let kent = app.add_org("Kent Police", "force");
        let essex = app.add_org("Essex Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        app.add_user("staff@kent.example", "Kent Police", "staff");
        let chief = app.login("chief@kent.example").await;
        let staff = app.login("staff@kent.example").await;
        let cases = [
            (
                &chief,
                json!({"email": "a@kent.example", "role": "staff"}),
                StatusCode::CREATED,
            ),
            (
                &chief,
                json!({"email": "b@kent.example", "role": "staff", "organisation_id": kent}),
                StatusCode::CREATED,
            ),
            (
                &chief,
                json!({"email": "c@essex.example", "role": "staff", "organisation_id": essex}),
                StatusCode::FORBIDDEN,
            ),
            (
                &chief,
                json!({"email": "d@kent.example", "role": "pcc"}),
                StatusCode::FORBIDDEN,
            ),
            (
                &chief,
                json!({"email": "e@kent.example", "role": "admin"}),
                StatusCode::FORBIDDEN,
            ),
            (
                &staff,
                json!({"email": "f@kent.example", "role": "staff"}),
                StatusCode::FORBIDDEN,
            ),
            (
                &chief,
                json!({"email": "not an email", "role": "staff"}),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                &chief,
                json!({"email": "g@kent.example", "role": "emperor"}),
                StatusCode::BAD_REQUEST,
            ),
            // An existing account answers like a new address (it is mailed no link).
            (
                &chief,
                json!({"email": "staff@kent.example", "role": "staff"}),
                StatusCode::CREATED,
            ),
        ];
        for (token, body, want) in cases {
            let (s, answer) = app.post("/api/v1/invitations", token, body.clone()).await;
            assert_eq!(s, want, "{body} -> {answer}");
        }
        assert_eq!(mailed_links(&app).len(), 2);
    })
    .await;
}
