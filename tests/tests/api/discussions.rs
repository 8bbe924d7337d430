//! Threads, the reply tree, edits with revisions, soft deletes, moderation and paging.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn setup(app: &TestApp) -> (String, String, String) {
    app.add_org("Kent Police", "force");
    app.add_org("Essex Police", "force");
    app.add_org("Roundtable Operations", "operator");
    app.add_user("chief@kent.example", "Kent Police", "chief_officer");
    app.add_user("chief@essex.example", "Essex Police", "chief_officer");
    app.add_user("admin@ops.example", "Roundtable Operations", "admin");
    app.add_space(
        "resilience",
        "chief_officer,pcc,staff",
        "chief_officer,pcc,staff",
        None,
    );
    (
        app.login("chief@kent.example").await,
        app.login("chief@essex.example").await,
        app.login("admin@ops.example").await,
    )
}

#[tokio::test]
async fn replies_form_a_tree_returned_in_reading_order_with_depths() {
    on_each_backend(|app| async move {
        let (kent, essex, _) = setup(&app).await;
        let (s, created) = app
            .post(
                "/api/v1/spaces/resilience/threads",
                &kent,
                json!({"title": "Mutual aid during flooding", "body": "What did you **charge**?", "tags": ["mutual-aid", "flooding"], "marking": "OFFICIAL-SENSITIVE"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let thread = created["id"].as_i64().unwrap();
        let opening = created["post_id"].as_i64().unwrap();
        let a = app.reply(&essex, thread, None, "Reply A").await;
        let b = app.reply(&kent, thread, Some(opening), "Reply B").await;
        let a1 = app.reply(&kent, thread, Some(a), "Reply A.1").await;
        let a1x = app.reply(&essex, thread, Some(a1), "Reply A.1.x").await;
        let a2 = app.reply(&kent, thread, Some(a), "Reply A.2").await;
        let (s, view) = app.get(&format!("/api/v1/threads/{thread}"), &essex).await;
        assert_eq!(s, StatusCode::OK);
        let order: Vec<(i64, Option<i64>, i64)> = view["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_i64().unwrap(), p["parent_id"].as_i64(), p["depth"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            order,
            vec![(opening, None, 0), (a, Some(opening), 1), (a1, Some(a), 2), (a1x, Some(a1), 3), (a2, Some(a), 2), (b, Some(opening), 1)]
        );
        assert_eq!(view["title"], "Mutual aid during flooding");
        assert_eq!(view["marking"], "OFFICIAL-SENSITIVE");
        assert_eq!(view["tags"], json!(["flooding", "mutual-aid"]));
        assert_eq!(view["post_count"], 6);
        assert_eq!(view["posts"][0]["author"]["organisation"], "Kent Police");
        assert!(view["posts"][0]["body_html"].as_str().unwrap().contains("<strong>charge</strong>"));
        // Each write left its outbox row for the search indexer: space + thread + 6 posts.
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 8);
        // The ETag saves a repeat visit.
        let res = app.client.get(app.url(&format!("/api/v1/threads/{thread}"))).bearer_auth(&essex).send().await.unwrap();
        let etag = res.headers()["etag"].to_str().unwrap().to_string();
        let res = app
            .client
            .get(app.url(&format!("/api/v1/threads/{thread}")))
            .bearer_auth(&essex)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    })
    .await;
}

#[tokio::test]
async fn edits_keep_revisions_and_deletes_leave_a_placeholder() {
    on_each_backend(|app| async move {
        let (kent, essex, admin) = setup(&app).await;
        let (thread, opening) = app
            .start_thread(&kent, "resilience", "Business continuity", "First text")
            .await;
        let reply = app.reply(&essex, thread, None, "Essex view").await;
        let child = app
            .reply(&kent, thread, Some(reply), "Answer to Essex")
            .await;
        for text in ["Second text", "Third text"] {
            let (s, body) = app
                .patch(
                    &format!("/api/v1/posts/{opening}"),
                    &kent,
                    json!({"body": text}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
            assert!(body["edited_at"].is_string());
        }
        let (s, revs) = app
            .get(&format!("/api/v1/posts/{opening}/revisions"), &essex)
            .await;
        assert_eq!(s, StatusCode::OK);
        let texts: Vec<&str> = revs["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["body_markdown"].as_str().unwrap())
            .collect();
        assert_eq!(texts, vec!["First text", "Second text"]);
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{reply}"),
                &kent,
                json!({"body": "not mine"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only the author edits");

        let (s, _) = app.delete(&format!("/api/v1/posts/{reply}"), &essex).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = app.delete(&format!("/api/v1/posts/{reply}"), &essex).await;
        assert_eq!(s, StatusCode::CONFLICT, "already deleted");
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &kent).await;
        let posts = view["posts"].as_array().unwrap();
        let placeholder = posts
            .iter()
            .find(|p| p["id"] == reply)
            .expect("placeholder kept");
        assert_eq!(placeholder["deleted"], true);
        assert_eq!(placeholder["body_html"], "");
        assert!(placeholder["author"].is_null());
        let kid = posts.iter().find(|p| p["id"] == child).expect("child kept");
        assert_eq!(kid["depth"], 2, "the tree keeps its shape");
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{reply}"),
                &essex,
                json!({"body": "back"}),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // A moderator deletes someone else's post, and it is audited.
        let (s, _) = app.delete(&format!("/api/v1/posts/{child}"), &admin).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'post.delete'")
                .await,
            1
        );
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &kent).await;
        assert_eq!(view["post_count"], 1);
    })
    .await;
}

#[tokio::test]
async fn admins_pin_lock_and_endorse_with_an_audit_trail() {
    on_each_backend(|app| async move {
        let (kent, essex, admin) = setup(&app).await;
        let (older, _) = app
            .start_thread(&kent, "resilience", "Older thread", "x")
            .await;
        let (newer, _) = app
            .start_thread(&essex, "resilience", "Newer thread", "y")
            .await;
        let (s, body) = app
            .patch(
                &format!("/api/v1/threads/{older}"),
                &kent,
                json!({"pinned": true}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        let (s, body) = app
            .patch(
                &format!("/api/v1/threads/{older}"),
                &admin,
                json!({"pinned": true, "best_practice": true, "locked": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["pinned"], true);
        assert_eq!(body["best_practice"], true);
        assert_eq!(
            body["can_reply"], true,
            "admins still reply in locked threads"
        );
        let (_, list) = app.get("/api/v1/spaces/resilience/threads", &essex).await;
        let ids: Vec<i64> = list["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![older, newer], "pinned first");
        let (_, view) = app.get(&format!("/api/v1/threads/{older}"), &essex).await;
        assert_eq!(view["can_reply"], false);
        // The author may retitle and retag their own thread.
        let (s, body) = app
            .patch(
                &format!("/api/v1/threads/{newer}"),
                &essex,
                json!({"title": "Renamed", "tags": ["LRF"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["tags"], json!(["LRF"]));
        let (s, _) = app
            .patch(
                &format!("/api/v1/threads/{newer}"),
                &kent,
                json!({"title": "Not yours"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, audit) = app.get("/api/v1/audit", &admin).await;
        assert_eq!(s, StatusCode::OK);
        assert!(audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "thread.update" && e["target_id"] == older));
        let (s, _) = app.get("/api/v1/audit", &kent).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn thread_lists_page_by_cursor_without_gaps_or_repeats() {
    on_each_backend(|app| async move {
        let (kent, _, _) = setup(&app).await;
        let mut made = Vec::new();
        for i in 0..23 {
            made.push(
                app.start_thread(&kent, "resilience", &format!("Thread {i}"), "body")
                    .await
                    .0,
            );
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/spaces/resilience/threads?limit=10&cursor={c}"),
                None => "/api/v1/spaces/resilience/threads?limit=10".to_string(),
            };
            let (s, page) = app.get(&path, &kent).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            pages += 1;
            seen.extend(
                page["threads"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_i64().unwrap()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        made.reverse();
        assert_eq!(seen, made, "newest activity first, each once");
    })
    .await;
}

#[tokio::test]
async fn a_space_made_from_the_command_line_takes_threads_at_once() {
    on_each_backend(|app| async move {
        let (kent, _, _) = setup(&app).await;
        app.start_thread(&kent, "resilience", "First", "Opening")
            .await;
        let (s, _) = app.get("/api/v1/spaces", &kent).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = app.get("/api/v1/spaces/resilience/threads", &kent).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "the server now holds the spaces it knows"
        );
        app.add_space(
            "made-just-now",
            "chief_officer,pcc,staff",
            "chief_officer,pcc,staff",
            None,
        );
        let (s, body) = app.get("/api/v1/spaces/made-just-now/threads", &kent).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        app.start_thread(&kent, "made-just-now", "Second", "Opening")
            .await;
    })
    .await;
}
