//! Markdown is rendered and sanitised: no XSS payload survives into body_html.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

use roundtable_tests::xss::PAYLOADS;

const FORBIDDEN: &[&str] = &[
    "<script",
    "=\"javascript:",
    "=\"vbscript:",
    "=\"&#106;avascript",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "ontoggle",
    "<svg",
    "<iframe",
    "<object",
    "<embed",
    "<style",
    "<link",
    "<meta",
    "<form",
    "type=\"password\"",
    "data:text/html",
    "<base",
    "style=",
];

#[tokio::test]
async fn xss_payloads_never_reach_body_html() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it-digital").await;
        let (thread, opening) = app
            .start_thread(&token, "it-digital", "XSS", PAYLOADS[0])
            .await;
        let mut ids = vec![opening];
        for p in &PAYLOADS[1..] {
            ids.push(app.reply(&token, thread, None, p).await);
        }
        // Edits are sanitised too.
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{opening}"),
                &token,
                json!({"body": PAYLOADS[8]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, view) = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
        assert_eq!(s, StatusCode::OK);
        let mut leaks = Vec::new();
        for post in view["posts"].as_array().unwrap() {
            let html = post["body_html"].as_str().unwrap().to_lowercase();
            for bad in FORBIDDEN {
                if html.contains(bad) {
                    leaks.push(format!("post {}: {bad} in {html}", post["id"]));
                }
            }
        }
        let (_, revs) = app
            .get(&format!("/api/v1/posts/{opening}/revisions"), &token)
            .await;
        let old_html = revs["revisions"][0]["body_html"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(!old_html.contains("<script"), "{old_html}");
        assert!(leaks.is_empty(), "{}", leaks.join("\n"));
        // The Markdown source is kept as written.
        let (_, first) = app.get(&format!("/api/v1/posts/{}", ids[1]), &token).await;
        assert_eq!(first["body_markdown"], PAYLOADS[1]);
        assert!(
            view["posts"][1].get("body_markdown").is_none(),
            "the thread view leaves the source out"
        );
    })
    .await;
}

#[tokio::test]
async fn markdown_features_render() {
    on_each_backend(|app| async move {
        let token = app.chief_with_space("it-digital").await;
        let body = "## Costs\n\n| Item | £k |\n|---|---:|\n| Licences | 120 |\n\n- [x] signed\n- [ ] live\n\n~~old~~ [APP](https://www.college.police.uk/app)";
        let (thread, _) = app.start_thread(&token, "it-digital", "Rendering", body).await;
        let (_, view) = app.get(&format!("/api/v1/threads/{thread}"), &token).await;
        let html = view["posts"][0]["body_html"].as_str().unwrap();
        for want in ["<h2>", "<table>", "<del>old</del>", "type=\"checkbox\"", "href=\"https://www.college.police.uk/app\"", "rel=\"noopener noreferrer nofollow\""] {
            assert!(html.contains(want), "{want} missing from {html}");
        }
    })
    .await;
}
