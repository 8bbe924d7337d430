//! What a hostile poster can do with a post: Markdown that would stall the server is refused
//! (or rendered within its budget) off the request workers, without blocking anyone else;
//! reply depth is capped and stored; remote images do not load.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn hostile_markdown_is_refused_naming_body_and_nobody_else_waits() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it").await;
        let (thread, post) = app.start_thread(&token, "it", "Target", "Plain text").await;
        // Both shapes took tens of seconds to render, holding SQLite's write lock on PATCH.
        let quotes = ">".repeat(100_000);
        let list = "- ".repeat(50_000);
        let post_path = format!("/api/v1/posts/{post}");
        let replies_path = format!("/api/v1/threads/{thread}/posts");
        let edit = app.patch(&post_path, &token, json!({"body": quotes}));
        let reply = app.post(&replies_path, &token, json!({"body": list}));
        let others = async {
            let login = app.login_full("chief@kent.example", PASSWORD).await;
            let ordinary = app
                .post(
                    &format!("/api/v1/threads/{thread}/posts"),
                    &token,
                    json!({"body": "An ordinary reply"}),
                )
                .await;
            let read = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
            (login, ordinary, read)
        };
        let ((es, eb), (rs, rb), ((ls, _), (os, ob), (gs, _))) = tokio::join!(edit, reply, others);
        for (what, s, b) in [("deep quotes", es, &eb), ("deep list", rs, &rb)] {
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {b}");
            assert_eq!(b["error"]["field"], "body", "{what}: {b}");
        }
        assert_eq!(ls, StatusCode::OK, "a login at the same time");
        assert_eq!(
            os,
            StatusCode::CREATED,
            "another reply at the same time: {ob}"
        );
        assert_eq!(gs, StatusCode::OK, "a read at the same time");
        let (_, kept) = app.get(&format!("/api/v1/posts/{post}"), &token).await;
        assert_eq!(
            kept["body_markdown"], "Plain text",
            "a refused edit changes nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn every_hostile_shape_at_the_maximum_size_is_rendered_or_refused_never_5xx() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.chief_with_space("it").await;
    let (thread, _) = app.start_thread(&token, "it", "Corpus", "x").await;
    let corpus = roundtable::markdown::hostile::corpus(100_000);
    assert!(corpus.len() >= 25, "a corpus of every shape");
    for (shape, body) in corpus {
        let (s, b) = app
            .post(
                &format!("/api/v1/threads/{thread}/posts"),
                &token,
                json!({"body": body}),
            )
            .await;
        match s {
            StatusCode::CREATED => {}
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(b["error"]["field"], "body", "{shape}"),
            other => panic!("{shape}: {other} {b}"),
        }
    }
}

#[tokio::test]
async fn replies_past_the_depth_limit_hang_under_the_deepest_allowed_post() {
    on_each_backend(|app| async move {
        let mut app = app;
        app.set_env("ROUNDTABLE__LIMITS__REPLY_DEPTH", "3");
        app.start();
        let token = app.chief_with_space("it").await;
        let (thread, opening) = app.start_thread(&token, "it", "Deep", "root").await;
        let mut parent = opening;
        let mut chain = vec![opening];
        for _ in 0..3 {
            parent = app.reply(&token, thread, Some(parent), "deeper").await;
            chain.push(parent);
        }
        let (s, deepest) = app.get(&format!("/api/v1/posts/{parent}"), &token).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(deepest["depth"], 3);
        let (s, made) = app
            .post(
                &format!("/api/v1/threads/{thread}/posts"),
                &token,
                json!({"body": "too deep", "parent_id": parent}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["requested_parent_id"], parent, "{made}");
        assert_eq!(made["parent_id"], chain[2], "{made}");
        assert_eq!(made["depth"], 3);
        let (_, ordinary) = app
            .post(
                &format!("/api/v1/threads/{thread}/posts"),
                &token,
                json!({"body": "fine", "parent_id": chain[1]}),
            )
            .await;
        assert!(ordinary.get("requested_parent_id").is_none(), "{ordinary}");
        assert_eq!(ordinary["depth"], 2);
        // The thread view and the single post agree on depths.
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
        for p in view["posts"].as_array().unwrap() {
            let (_, single) = app.get(&format!("/api/v1/posts/{}", p["id"]), &token).await;
            assert_eq!(single["depth"], p["depth"], "{p}");
        }
    })
    .await;
}

#[tokio::test]
async fn remote_images_become_links_unless_their_host_is_allowed() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("ROUNDTABLE__MARKDOWN__IMAGE_HOSTS", "images.police.example")],
    )
    .await;
    let token = app.chief_with_space("it").await;
    let (thread, _) = app.start_thread(&token, "it", "Images", "x").await;
    let body = "![pixel](https://tracker.example/p.gif?u=1) \
                <img src=\"https://tracker.example/raw.gif\"> \
                ![chart](https://images.police.example/chart.png)";
    let (s, made) = app
        .request(
            Method::POST,
            &format!("/api/v1/threads/{thread}/posts"),
            Some(&token),
            Some(json!({"body": body})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let html = made["body_html"].as_str().unwrap();
    assert!(
        !html.contains("<img src=\"https://tracker.example"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://tracker.example/p.gif?u=1\""),
        "{html}"
    );
    assert!(
        html.contains("<img src=\"https://images.police.example/chart.png\""),
        "{html}"
    );
}
