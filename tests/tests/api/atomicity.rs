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
