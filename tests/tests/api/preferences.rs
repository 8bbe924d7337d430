//! Email preferences and reply notifications through the running server.
use crate::digests::{add_person, PUBLIC_URL};
use crate::helpers::{assert_error_shape, on_each_backend, Backend, TestApp};
use crate::mail::parse_all;
use reqwest::{Method, StatusCode};
use roundtable_tests::smtp_sink::SmtpSink;
use serde_json::{json, Value};
use std::time::Duration;

async fn put(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(
        Method::PUT,
        "/api/v1/me/preferences",
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn preferences_have_defaults_change_in_part_and_name_bad_fields() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it-digital").await;
        app.add_space("hidden", "pcc", "pcc", None);
        let (thread, _) = app.start_thread(&token, "it-digital", "Cloud", "Body").await;
        let (status, p) = app.get("/api/v1/me/preferences", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            p,
            json!({
                "digest": {"enabled": true, "weekday": "monday", "hour": 7, "time_zone": "Europe/London"},
                "follow": {"spaces": null, "tags": null},
                "notifications": {"replies": true, "watched": true},
                "threads": {"watching": [], "muted": []}
            })
        );
        let (status, p) = put(
            &app,
            &token,
            json!({"digest": {"weekday": "Friday", "hour": 16, "time_zone": "Europe/Dublin"},
                   "follow": {"spaces": ["it-digital"], "tags": ["cloud"]},
                   "threads": {thread.to_string(): "watching"}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!(p["digest"], json!({"enabled": true, "weekday": "friday", "hour": 16, "time_zone": "Europe/Dublin"}));
        assert_eq!(p["follow"], json!({"spaces": ["it-digital"], "tags": ["cloud"]}));
        assert_eq!(p["threads"]["watching"], json!([thread]));
        // Left out stays; null goes back to "everything".
        let (_, p) = put(&app, &token, json!({"follow": {"spaces": null}})).await;
        assert_eq!(p["follow"], json!({"spaces": null, "tags": ["cloud"]}));
        assert_eq!(p["digest"]["weekday"], json!("friday"));
        let (_, p) = put(&app, &token, json!({"threads": {thread.to_string(): "muted"}})).await;
        assert_eq!(p["threads"], json!({"watching": [], "muted": [thread]}));

        for (body, field) in [
            (json!({"digest": {"weekday": "someday"}}), "digest.weekday"),
            (json!({"digest": {"hour": 24}}), "digest.hour"),
            (json!({"digest": {"time_zone": "Mars/Olympus"}}), "digest.time_zone"),
            (json!({"follow": {"spaces": ["hidden"]}}), "follow.spaces"),
            (json!({"follow": {"spaces": ["no-such-space"]}}), "follow.spaces"),
            (json!({"follow": {"tags": ["not a tag!"]}}), "follow.tags"),
            (json!({"threads": {"999999": "watching"}}), "threads.999999"),
            (json!({"threads": {"abc": "watching"}}), "threads.abc"),
        ] {
            let (status, err) = put(&app, &token, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
            assert_error_shape(&err, &body.to_string());
            assert_eq!(err["error"]["field"], json!(field), "{body}");
        }
        for body in [
            json!({"digest": {"colour": "blue"}}),
            json!({"threads": {"1": "sometimes"}}),
            json!({"digest": {"hour": "seven"}}),
        ] {
            let (status, err) = put(&app, &token, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {err}");
        }
        let (status, _) = app
            .request(Method::GET, "/api/v1/me/preferences", None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, p) = app.get("/api/v1/me/preferences", &token).await;
        assert_eq!(p["digest"]["hour"], json!(16), "refused changes changed nothing");
    })
    .await;
}

#[tokio::test]
async fn replies_notify_authors_and_watchers_once_batched_and_marking_safe() {
    let sink = SmtpSink::start();
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    app.set_env("ROUNDTABLE__MAIL__SMTP_URL", &sink.url());
    app.set_env("ROUNDTABLE__SERVER__PUBLIC_URL", PUBLIC_URL);
    app.set_env("ROUNDTABLE__DIGEST__TICK_SECONDS", "1");
    app.set_env("ROUNDTABLE__DIGEST__NOTIFY_BATCH_SECONDS", "3");
    app.start();
    app.add_org("Kent Police", "force");
    app.add_org("Essex Police", "force");
    add_person(
        &app,
        "author@kent.example",
        "Alex Author",
        "Kent Police",
        "chief_officer",
    );
    add_person(
        &app,
        "replier@essex.example",
        "Sam Replier",
        "Essex Police",
        "chief_officer",
    );
    add_person(
        &app,
        "watcher@essex.example",
        "Wes Watcher",
        "Essex Police",
        "chief_officer",
    );
    add_person(
        &app,
        "muter@kent.example",
        "Mo Muter",
        "Kent Police",
        "chief_officer",
    );
    app.add_space("it-digital", "chief_officer", "chief_officer", None);
    let author = app.login("author@kent.example").await;
    let replier = app.login("replier@essex.example").await;
    let watcher = app.login("watcher@essex.example").await;
    let muter = app.login("muter@kent.example").await;
    let (open, _) = app
        .start_thread(
            &author,
            "it-digital",
            "Body-worn video retention",
            "How long?",
        )
        .await;
    let (status, created) = app
        .post(
            "/api/v1/spaces/it-digital/threads",
            &author,
            json!({"title": "Informant handling ZQXTITLE", "body": "Details", "tags": [], "marking": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["id"].as_i64().unwrap();
    for (token, thread, state) in [(&watcher, open, "watching"), (&muter, open, "muted")] {
        let (status, body) =
            put(&app, token, json!({"threads": {thread.to_string(): state}})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The muter has posted, so would otherwise hear of replies under their post.
    let mine = app.reply(&muter, open, None, "Thirty-one days here.").await;
    app.reply(
        &replier,
        open,
        Some(mine),
        "We keep ninety days: QQREPLYONE",
    )
    .await;
    app.reply(&replier, open, None, "And review it yearly: QQREPLYTWO")
        .await;
    app.reply(&replier, secret, None, "QQSECRETREPLY").await;

    sink.wait_for(2, Duration::from_secs(30));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mails = parse_all(&sink.received());
    let to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(
        mails.len(),
        2,
        "one message each for the author and the watcher: {to:?}"
    );
    assert!(to.contains(&"author@kent.example") && to.contains(&"watcher@essex.example"));
    for m in &mails {
        assert_eq!(
            m.list_id,
            "Roundtable notifications <notifications.127.0.0.1>"
        );
        assert!(m.subject.starts_with("OFFICIAL: "), "{}", m.subject);
        let all = m.everything();
        assert!(
            !all.contains("ZQXTITLE") && !all.contains("QQSECRETREPLY"),
            "sensitive text"
        );
    }
    let to_author = mails
        .iter()
        .find(|m| m.to[0] == "author@kent.example")
        .unwrap();
    assert!(
        to_author.text.contains("QQREPLYONE") && to_author.text.contains("QQREPLYTWO"),
        "batched"
    );
    assert!(to_author
        .text
        .contains("A reply in an OFFICIAL-SENSITIVE thread"));
    assert!(
        to_author.subject.contains("4 new replies"),
        "{}",
        to_author.subject
    );
    let to_watcher = mails
        .iter()
        .find(|m| m.to[0] == "watcher@essex.example")
        .unwrap();
    assert!(
        !to_watcher.text.contains("OFFICIAL-SENSITIVE thread"),
        "not watching that one"
    );
    assert!(to_watcher.text.contains("Thirty-one days") && to_watcher.text.contains("QQREPLYTWO"));
    let sent = app
        .count("SELECT COUNT(*) FROM mail_jobs WHERE kind = 'notification' AND status = 'sent'")
        .await;
    assert_eq!(
        sent, 7,
        "4 replies for the author (3 from the replier, 1 from the muter), 3 for the watcher"
    );
}

#[tokio::test]
async fn a_title_that_looks_like_an_encoded_word_reaches_the_subject_as_written() {
    let sink = SmtpSink::start();
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    app.set_env("ROUNDTABLE__MAIL__SMTP_URL", &sink.url());
    app.set_env("ROUNDTABLE__SERVER__PUBLIC_URL", PUBLIC_URL);
    app.set_env("ROUNDTABLE__DIGEST__TICK_SECONDS", "1");
    app.set_env("ROUNDTABLE__DIGEST__NOTIFY_BATCH_SECONDS", "1");
    app.start();
    app.add_org("Kent Police", "force");
    add_person(
        &app,
        "author@kent.example",
        "Alex Author",
        "Kent Police",
        "chief_officer",
    );
    add_person(
        &app,
        "replier@kent.example",
        "Sam Replier",
        "Kent Police",
        "chief_officer",
    );
    app.add_space("it-digital", "chief_officer", "chief_officer", None);
    let author = app.login("author@kent.example").await;
    let replier = app.login("replier@kent.example").await;
    // The encoded word stands alone between spaces, as lettre would otherwise leave it.
    let title = "Budget =?utf-8?q?URGENT=3A_reset_your_password?= review";
    let (thread, _) = app.start_thread(&author, "it-digital", title, "Body").await;
    app.reply(&replier, thread, None, "A reply").await;
    sink.wait_for(1, Duration::from_secs(30));
    let mails = parse_all(&sink.received());
    let mail = mails
        .iter()
        .find(|m| m.to[0] == "author@kent.example")
        .unwrap();
    assert_eq!(mail.subject, format!("OFFICIAL: New reply in “{title}”"));
    assert!(!mail.raw.contains("=?utf-8?q?URGENT"), "{}", mail.raw);
}
