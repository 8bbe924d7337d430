//! Importing a StackExchange dump: threads with replies, dates, tags, attribution; idempotent.
use crate::helpers::*;
use reqwest::StatusCode;
use std::path::PathBuf;

/// A small attributed excerpt of the cstheory-meta dump, kept with the tests (see its README).
fn dump() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cstheory-meta/Posts.xml")
}

const QUESTIONS: i64 = 30;
const ANSWERS: i64 = 140;

#[tokio::test]
async fn a_stackexchange_dump_imports_once_with_attribution() {
    on_each_backend(|app| async move {
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        app.add_space("library", "chief_officer,pcc,staff", "admin", None);
        let posts = dump();
        let args = [
            "import",
            "stackexchange",
            "--posts",
            posts.to_str().unwrap(),
            "--space",
            "library",
            "--as-user",
            "admin@ops.example",
        ];
        let threads = app.cli_id(&args, &[]);
        assert_eq!(threads, QUESTIONS, "every question becomes a thread");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM posts").await,
            QUESTIONS + ANSWERS,
            "every answer becomes a reply"
        );
        assert_eq!(app.cli_id(&args, &[]), 0, "a re-run imports nothing new");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM posts").await,
            QUESTIONS + ANSWERS
        );

        let admin = app.login("admin@ops.example").await;
        let (s, page) = app
            .get("/api/v1/spaces/library/threads?limit=100", &admin)
            .await;
        assert_eq!(s, StatusCode::OK);
        let with_replies = page["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["post_count"].as_i64().unwrap() > 2)
            .expect("a thread with answers");
        let id = with_replies["id"].as_i64().unwrap();
        let (_, view) = app.get(&format!("/api/v1/threads/{id}"), &admin).await;
        let opening = view["posts"][0]["body_html"].as_str().unwrap();
        assert!(
            opening.contains("https://cstheory.meta.stackexchange.com/q/"),
            "source link: {opening}"
        );
        assert!(opening.contains("CC BY-SA"), "licence: {opening}");
        assert!(view["posts"][1]["body_html"]
            .as_str()
            .unwrap()
            .contains("https://cstheory.meta.stackexchange.com/a/"));
        assert!(
            !view["tags"].as_array().unwrap().is_empty(),
            "tags kept: {view}"
        );
        let year: i32 = view["created_at"].as_str().unwrap()[..4].parse().unwrap();
        assert!((2010..=2019).contains(&year), "dates kept: {year}");
        assert_eq!(view["posts"][1]["depth"], 1);

        // The imported text is searchable.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (_, found) = app.get("/api/v1/search?q=space%3Alibrary", &admin).await;
            if found["total"] == QUESTIONS {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "imports never became searchable: {}",
                found["total"]
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }

        let out = app.cli(
            &[
                "import",
                "stackexchange",
                "--posts",
                "/no/such/Posts.xml",
                "--space",
                "library",
            ],
            &[],
        );
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--posts"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = app.cli(
            &[
                "import",
                "stackexchange",
                "--posts",
                posts.to_str().unwrap(),
                "--space",
                "nowhere",
            ],
            &[],
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
    })
    .await;
}
