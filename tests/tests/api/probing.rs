//! What someone can learn by probing: hidden things answer exactly as missing ones, whatever
//! the body holds; markings are lowered only by admins, and every change is audited; inviting
//! reveals nobody's account; a mail failure shows no transport detail.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_hidden_thread_answers_as_a_missing_one_whatever_the_body() {
    on_each_backend(|app| async move {
        app.add_org("Essex Police", "force");
        app.add_org("Supplier Ltd", "supplier");
        app.add_user("chief@essex.example", "Essex Police", "chief_officer");
        app.add_user("rep@supplier.example", "Supplier Ltd", "supplier");
        app.add_space("chiefs", "chief_officer", "chief_officer", None);
        app.add_space(
            "open",
            "chief_officer,supplier",
            "chief_officer,supplier",
            None,
        );
        let chief = app.login("chief@essex.example").await;
        let supplier = app.login("rep@supplier.example").await;
        let (hidden, _) = app.start_thread(&chief, "chiefs", "Chiefs only", "x").await;
        for body in [
            json!({"title": ""}),
            json!({"tags": ["a tag that is far too long to be accepted as a tag anywhere at all"]}),
            json!({"marking": "OFFICIAL"}),
            json!({"space": "no-such-space"}),
            json!({"space": "open"}),
            json!({"pinned": true}),
        ] {
            let (h, hb) = app
                .patch(
                    &format!("/api/v1/threads/{hidden}"),
                    &supplier,
                    body.clone(),
                )
                .await;
            let (m, mb) = app
                .patch("/api/v1/threads/999999", &supplier, body.clone())
                .await;
            assert_eq!((h, &hb), (m, &mb), "{body}");
            assert_eq!(h, StatusCode::NOT_FOUND, "{body}");
        }
        // Moving one's own thread: an unreadable space and a missing one answer alike.
        let (own, _) = app
            .start_thread(&supplier, "open", "Supplier thread", "x")
            .await;
        let (a, ab) = app
            .patch(
                &format!("/api/v1/threads/{own}"),
                &supplier,
                json!({"space": "chiefs"}),
            )
            .await;
        let (b, bb) = app
            .patch(
                &format!("/api/v1/threads/{own}"),
                &supplier,
                json!({"space": "nowhere"}),
            )
            .await;
        assert_eq!((a, &ab), (b, &bb));
    })
    .await;
}

#[tokio::test]
async fn only_an_admin_lowers_a_marking_and_every_change_is_audited() {
    on_each_backend(|app| async move {
        app.add_org("Essex Police", "force");
        app.add_org("Roundtable Operations", "operator");
        app.add_user("chief@essex.example", "Essex Police", "chief_officer");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        app.add_space("chiefs", "chief_officer", "chief_officer", None);
        let chief = app.login("chief@essex.example").await;
        let admin = app.login("admin@ops.example").await;
        let (status, created) = app
            .post(
                "/api/v1/spaces/chiefs/threads",
                &chief,
                json!({"title": "Gold group", "body": "x", "tags": [], "marking": "OFFICIAL-SENSITIVE"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let path = format!("/api/v1/threads/{}", created["id"]);
        let (s, body) = app.patch(&path, &chief, json!({"marking": "OFFICIAL"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_error_shape(&body, "lowering");
        let still_sensitive = format!(
            "SELECT COUNT(*) FROM threads WHERE id = {} AND marking = 'OFFICIAL-SENSITIVE'",
            created["id"]
        );
        assert_eq!(app.count(&still_sensitive).await, 1, "still OFFICIAL-SENSITIVE");
        let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'thread.marking'";
        assert_eq!(app.count(audited).await, 0);
        let (s, body) = app.patch(&path, &admin, json!({"marking": "OFFICIAL"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(app.count(audited).await, 1);
        // The author may raise it again, and that is audited too.
        let (s, body) = app
            .patch(&path, &chief, json!({"marking": "OFFICIAL-SENSITIVE"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(app.count(audited).await, 2);
        // Setting the marking it already has changes nothing and is not a change.
        let (s, _) = app
            .patch(&path, &chief, json!({"marking": "OFFICIAL-SENSITIVE"}))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.count(audited).await, 2);
    })
    .await;
}

#[tokio::test]
async fn inviting_an_existing_account_answers_like_a_new_one() {
    on_each_backend(|app| async move {
        app.add_org("Roundtable Operations", "operator");
        app.add_org("Kent Police", "force");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let admin = app.login("admin@ops.example").await;
        let ask = |email: &str| {
            app.post(
                "/api/v1/invitations",
                &admin,
                json!({"email": email, "role": "chief_officer", "organisation_id": 2}),
            )
        };
        let (existing, eb) = ask("chief@kent.example").await;
        let (new, nb) = ask("deputy@kent.example").await;
        assert_eq!(existing, new, "{eb} vs {nb}");
        assert_eq!(existing, StatusCode::CREATED);
        let keys = |v: &serde_json::Value| {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&eb), keys(&nb));
        // The existing account's mail has no link to use; the new one's has.
        let mails: Vec<String> = std::fs::read_dir(app.data_dir.path().join("mail"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        let to_existing = mails
            .iter()
            .find(|m| m.contains("To: chief@kent.example"))
            .unwrap();
        assert!(!to_existing.contains("/invitations/"), "{to_existing}");
        assert!(to_existing.contains("already have an account"));
        let to_new = mails
            .iter()
            .find(|m| m.contains("To: deputy@kent.example"))
            .unwrap();
        assert!(to_new.contains("/invitations/"));
    })
    .await;
}

#[tokio::test]
async fn a_mail_failure_shows_a_plain_message_and_logs_the_cause() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            (
                "ROUNDTABLE__MAIL__SMTP_URL",
                &format!("smtp://127.0.0.1:{closed}"),
            ),
            ("ROUNDTABLE__MAIL__TIMEOUT_SECONDS", "2"),
        ],
    )
    .await;
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
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("try again"), "{message}");
    for raw in [
        "refused",
        "os error",
        "Connection",
        "transport",
        &closed.to_string(),
    ] {
        assert!(!message.contains(raw), "{message} shows {raw}");
    }
    let log = std::fs::read_to_string(app.data_dir.path().join("server.log")).unwrap();
    assert!(log.contains("sending an invitation failed"), "{log}");
}
