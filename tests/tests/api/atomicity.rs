//! A write that fails half way leaves neither the post nor its outbox row. The failure is real:
//! a database trigger refuses the outbox insert that comes after the post insert.
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

async fn refuse_outbox_inserts(app: &TestApp) {
    let db = app.db().await;
    match app.backend {
        Backend::Sqlite => {
            db.execute_unprepared(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox refused by test'); END",
            )
            .await
            .unwrap();
        }
        Backend::Postgres { .. } => {
            db.execute_unprepared(
                "CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox refused by test'; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_outbox();",
            )
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn a_failed_write_leaves_neither_post_nor_outbox_row() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it-digital").await;
        let (thread, opening) = app
            .start_thread(&token, "it-digital", "Before the fault", "ok")
            .await;
        let posts_before = app.count("SELECT COUNT(*) FROM posts").await;
        let threads_before = app.count("SELECT COUNT(*) FROM threads").await;
        let outbox_before = app.count("SELECT COUNT(*) FROM outbox").await;
        let revisions_before = app.count("SELECT COUNT(*) FROM post_revisions").await;

        refuse_outbox_inserts(&app).await;
        let (s, body) = app
            .post(
                &format!("/api/v1/threads/{thread}/posts"),
                &token,
                serde_json::json!({"body": "lost?"}),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::INTERNAL_SERVER_ERROR,
            "the injected fault surfaces: {body}"
        );
        assert_error_shape(&body, "fault");
        assert!(
            !body.to_string().contains("outbox refused"),
            "internal causes are not shown: {body}"
        );
        let (s, _) = app
            .post(
                "/api/v1/spaces/it-digital/threads",
                &token,
                serde_json::json!({"title": "New", "body": "x", "tags": ["cloud"]}),
            )
            .await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{opening}"),
                &token,
                serde_json::json!({"body": "edited?"}),
            )
            .await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);

        assert_eq!(
            app.count("SELECT COUNT(*) FROM posts").await,
            posts_before,
            "no half-written post"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM threads").await,
            threads_before,
            "no half-written thread"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM thread_tags").await,
            0,
            "no half-written tags"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM post_revisions").await,
            revisions_before,
            "no half-written revision"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM outbox").await,
            outbox_before
        );
        let (_, post) = app.get(&format!("/api/v1/posts/{opening}"), &token).await;
        assert_eq!(post["body_markdown"], "ok", "the edit rolled back");
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
        assert_eq!(view["post_count"], 1);
    })
    .await;
}

/// Writes that read before they write, sent all at once, each succeed: on SQLite a transaction
/// that only took its write lock after reading failed at once ("database is locked") whenever
/// another write had committed in between, instead of waiting its turn.
#[tokio::test]
async fn writes_sent_at_the_same_time_all_succeed() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("resilience").await;
        let (thread, opening) = app
            .start_thread(&token, "resilience", "Busy thread", "first")
            .await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let endorsement_path = format!("/api/v1/threads/{thread}/endorsement");
        let (s, body) = app
            .request(
                reqwest::Method::PUT,
                &endorsement_path,
                Some(&admin),
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let replies_path = format!("/api/v1/threads/{thread}/posts");
        let post_path = format!("/api/v1/posts/{opening}");
        let replies = (0..24).map(|i| {
            app.post(
                &replies_path,
                &token,
                serde_json::json!({"body": format!("reply {i}")}),
            )
        });
        let edits = (0..8).map(|i| {
            app.patch(
                &post_path,
                &token,
                serde_json::json!({"body": format!("edit {i}")}),
            )
        });
        let threads = (0..8).map(|i| {
            app.post(
                "/api/v1/spaces/resilience/threads",
                &token,
                serde_json::json!({"title": format!("Thread {i}"), "body": "x"}),
            )
        });
        // Each reads the endorsement, then writes it.
        let reviews = (1..=8).map(|day| {
            app.request(
                reqwest::Method::PUT,
                &endorsement_path,
                Some(&admin),
                Some(serde_json::json!({"review_due": format!("2027-03-{day:02}")})),
            )
        });
        let (replies, edits, threads, reviews) = tokio::join!(
            futures_util::future::join_all(replies),
            futures_util::future::join_all(edits),
            futures_util::future::join_all(threads),
            futures_util::future::join_all(reviews),
        );
        for (s, body) in replies.iter().chain(&threads) {
            assert_eq!(*s, StatusCode::CREATED, "{body}");
        }
        for (s, body) in edits.iter().chain(&reviews) {
            assert_eq!(*s, StatusCode::OK, "{body}");
        }
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
        assert_eq!(view["post_count"], 25);
        // Every edit kept the text it replaced: the revisions and the current text are the
        // opening text and the eight edits, each once.
        let (_, history) = app
            .get(&format!("/api/v1/posts/{opening}/revisions"), &token)
            .await;
        let (_, current) = app.get(&format!("/api/v1/posts/{opening}"), &token).await;
        let mut texts: Vec<String> = history["revisions"]
            .as_array()
            .expect("revisions")
            .iter()
            .chain([&current])
            .map(|r| r["body_markdown"].as_str().expect("text").to_string())
            .collect();
        texts.sort();
        let mut expected: Vec<String> = (0..8).map(|i| format!("edit {i}")).collect();
        expected.push("first".into());
        assert_eq!(texts, expected, "{history}");
    })
    .await;
}
