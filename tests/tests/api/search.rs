//! Search through the running server: near-real-time indexing, the query language, permission
//! trimming, edits and deletes, reindex while serving, and recovery after kill -9.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn search(app: &TestApp, token: &str, q: &str) -> (StatusCode, Value) {
    let url = format!("/api/v1/search?q={}", urlencode(q));
    app.get(&url, token).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn thread_ids(body: &Value) -> Vec<i64> {
    body["hits"]
        .as_array()
        .map(|h| h.iter().map(|x| x["thread_id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

/// Polls until `ok` holds for the search answer (the index commits about once a second).
async fn eventually(app: &TestApp, token: &str, q: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, body) = search(app, token, q).await;
        assert_eq!(s, StatusCode::OK, "{q}: {body}");
        if ok(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{q}: the index never caught up; last answer {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the index holds exactly the live posts and has read the whole outbox.
async fn caught_up(app: &TestApp) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = app.cli(&["index-status"], &[]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if let Ok(status) = serde_json::from_str::<Value>(text.trim()) {
            if status["documents"] == status["live_posts"]
                && status["position"] == status["outbox_head"]
            {
                return status;
            }
            assert!(Instant::now() < deadline, "index never caught up: {status}");
        } else {
            assert!(
                Instant::now() < deadline,
                "index-status failed: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct World {
    kent: String,
    essex: String,
    supplier: String,
    admin: String,
}

async fn world(app: &TestApp) -> World {
    app.add_org("Kent Police", "force");
    app.add_org("Essex Police", "force");
    app.add_org("Kestrel Digital Ltd", "supplier");
    app.add_org("Roundtable Operations", "operator");
    app.add_user("chief@kent.example", "Kent Police", "chief_officer");
    app.add_user("chief@essex.example", "Essex Police", "chief_officer");
    app.add_user("rep@kestrel.example", "Kestrel Digital Ltd", "supplier");
    app.add_user("admin@ops.example", "Roundtable Operations", "admin");
    app.add_space(
        "it-digital",
        "chief_officer,pcc,staff",
        "chief_officer,pcc,staff",
        None,
    );
    app.add_space(
        "partners",
        "chief_officer,supplier",
        "chief_officer,supplier",
        None,
    );
    app.add_space("chiefs", "chief_officer", "chief_officer", None);
    World {
        kent: app.login("chief@kent.example").await,
        essex: app.login("chief@essex.example").await,
        supplier: app.login("rep@kestrel.example").await,
        admin: app.login("admin@ops.example").await,
    }
}

async fn thread(
    app: &TestApp,
    token: &str,
    space: &str,
    title: &str,
    body: &str,
    tags: &[&str],
    marking: &str,
) -> i64 {
    let (s, created) = app
        .post(
            &format!("/api/v1/spaces/{space}/threads"),
            token,
            json!({"title": title, "body": body, "tags": tags, "marking": marking}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

#[tokio::test]
async fn posts_become_findable_and_every_filter_works() {
    on_each_backend(|app| async move {
        let w = world(&app).await;
        let started = Instant::now();
        let cloud = thread(&app, &w.kent, "it-digital", "Moving custody software to the cloud", "We moved our **custody** system to a cloud tenancy; the benchmarking clause saved us money.", &["cloud", "custody"], "OFFICIAL").await;
        let found = eventually(&app, &w.essex, "custody", |b| thread_ids(b) == vec![cloud]).await;
        eprintln!("write to findable: {:?}", started.elapsed());
        let hit = &found["hits"][0];
        assert_eq!(hit["title"], "Moving custody software to the cloud");
        assert_eq!(hit["space"], "it-digital");
        assert!(hit["snippet_html"].as_str().unwrap().contains("<mark>custody</mark>"), "{hit}");
        let flood = thread(&app, &w.essex, "it-digital", "Mutual aid during flooding", "Neighbouring forces sent officers; costing data attached. <script>x</script>", &["mutual-aid"], "OFFICIAL-SENSITIVE").await;
        let reply = app.reply(&w.kent, flood, None, "Our control room covered the **flooding** calls overnight.").await;
        let bench = thread(&app, &w.kent, "it-digital", "Benchmarking clause wording", "Unit prices compared with two forces.", &["benchmarking"], "OFFICIAL").await;
        eventually(&app, &w.kent, "flooding", |b| b["total"] == 1).await;
        eventually(&app, &w.kent, "wording", |b| b["total"] == 1).await;

        // Grouping: the flooding thread appears once, with its best post.
        let (_, body) = search(&app, &w.kent, "flooding control room").await;
        assert_eq!(thread_ids(&body), vec![flood]);
        assert_eq!(body["hits"][0]["post_id"], reply);
        // Snippets escape everything but the marks.
        let (_, body) = search(&app, &w.kent, "costing").await;
        let snippet = body["hits"][0]["snippet_html"].as_str().unwrap();
        assert!(!snippet.contains("<script>"), "{snippet}");

        let cases: Vec<(&str, Vec<i64>)> = vec![
            ("\"benchmarking clause\"", vec![cloud, bench]),
            ("benchmarking -custody", vec![bench]),
            ("custody OR flooding", vec![cloud, flood]),
            ("bench*", vec![cloud, bench]),
            ("space:it-digital tag:cloud", vec![cloud]),
            ("tag:MUTUAL-AID", vec![flood]),
            ("author:chief@essex.example", vec![flood]),
            ("author:\"Test chief_officer\" flooding", vec![flood]),
            ("force:essex", vec![flood]),
            ("force:\"Kent Police\" flooding", vec![flood]),
            ("marking:official-sensitive", vec![flood]),
            ("marking:official custody", vec![cloud]),
            ("after:2000-01-01 custody", vec![cloud]),
            ("before:2000-01-01", vec![]),
            ("in:title clause", vec![bench]),
            ("in:title money", vec![]),
            ("-tag:cloud benchmarking", vec![bench]),
        ];
        for (q, mut want) in cases {
            let (s, body) = search(&app, &w.kent, q).await;
            assert_eq!(s, StatusCode::OK, "{q}: {body}");
            let mut got = thread_ids(&body);
            got.sort();
            want.sort();
            assert_eq!(got, want, "{q}: {body}");
            assert_eq!(body["total"], want.len(), "{q}");
        }
        let (s, _) = app.patch(&format!("/api/v1/threads/{bench}"), &w.admin, json!({"best_practice": true})).await;
        assert_eq!(s, StatusCode::OK);
        eventually(&app, &w.kent, "is:best-practice", |b| thread_ids(b) == vec![bench]).await;
        // Facets count threads, within what the viewer may read.
        let (_, body) = search(&app, &w.kent, "space:it-digital").await;
        assert_eq!(body["facets"]["space"]["it-digital"], 3, "{body}");
        assert_eq!(body["facets"]["tag"]["cloud"], 1);
        assert_eq!(body["facets"]["force"]["Kent Police"], 3, "Kent wrote in all three threads");
        // Sorting by date puts the newest activity first.
        let (_, body) = search(&app, &w.kent, "space:it-digital").await;
        assert_eq!(body["total"], 3);
        let (_, by_date) = app.get("/api/v1/search?q=space%3Ait-digital&sort=date", &w.kent).await;
        assert_eq!(thread_ids(&by_date)[0], bench, "{by_date}");
        // Pages.
        let (_, p2) = app.get("/api/v1/search?q=space%3Ait-digital&per_page=2&page=2", &w.kent).await;
        assert_eq!(p2["hits"].as_array().unwrap().len(), 1);
        assert_eq!(p2["total"], 3);
    })
    .await;
}

#[tokio::test]
async fn malformed_searches_get_a_400_saying_where() {
    on_each_backend(|app| async move {
        let w = world(&app).await;
        for (q, position) in [
            ("\"unclosed phrase", 1),
            ("colour:red", 1),
            ("x after:2026-13-45", 9),
            ("OR x", 1),
            ("x OR", 3),
            ("a*b", 2),
            ("marking:secret", 9),
        ] {
            let (s, body) = search(&app, &w.kent, q).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
            assert_eq!(body["error"]["field"], "q");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("character {position}")),
                "{q}: {message}"
            );
        }
        for path in [
            "/api/v1/search?q=x&sort=alphabetical",
            "/api/v1/search?q=x&page=0",
            "/api/v1/search?q=x&per_page=1000",
        ] {
            let (s, body) = app.get(path, &w.kent).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        }
        let (s, body) = app.get("/api/v1/search", &w.kent).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "missing q: {body}");
        let (s, _) = app
            .request(reqwest::Method::GET, "/api/v1/search?q=x", None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn search_never_reveals_what_the_viewer_may_not_read() {
    on_each_backend(|app| async move {
        let w = world(&app).await;
        let secret = thread(
            &app,
            &w.kent,
            "chiefs",
            "Zebracrossing budget",
            "The zebracrossing figures are for chiefs only.",
            &["zebratag"],
            "OFFICIAL-SENSITIVE",
        )
        .await;
        let open = thread(
            &app,
            &w.kent,
            "partners",
            "Zebracrossing supplier day",
            "Suppliers welcome.",
            &["partners"],
            "OFFICIAL",
        )
        .await;
        eventually(&app, &w.kent, "zebracrossing", |b| b["total"] == 2).await;
        let (_, body) = search(&app, &w.supplier, "zebracrossing").await;
        assert_eq!(thread_ids(&body), vec![open]);
        assert_eq!(body["total"], 1);
        let text = body.to_string();
        for leak in ["chiefs", "zebratag", "budget", "figures"] {
            assert!(!text.to_lowercase().contains(leak), "{leak} leaked: {text}");
        }
        let (_, body) = search(&app, &w.supplier, "tag:zebratag").await;
        assert_eq!(body["total"], 0);
        let (_, body) = search(&app, &w.supplier, "space:chiefs").await;
        assert_eq!(body["total"], 0);

        // Audience change: opening the space to suppliers shows it; closing it hides it again.
        let (s, _) = app
            .patch(
                "/api/v1/spaces/chiefs",
                &w.admin,
                json!({"read_roles": ["chief_officer", "supplier"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, body) = search(&app, &w.supplier, "zebracrossing").await;
        assert_eq!(body["total"], 2, "audiences apply at once: {body}");
        let (s, _) = app
            .patch(
                "/api/v1/spaces/chiefs",
                &w.admin,
                json!({"read_roles": ["chief_officer"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, body) = search(&app, &w.supplier, "zebracrossing").await;
        assert_eq!(body["total"], 1);

        // A member list narrows: Essex's chief is not on it.
        let (s, _) = app
            .patch(
                "/api/v1/spaces/chiefs",
                &w.admin,
                json!({"members": ["chief@kent.example"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, body) = search(&app, &w.essex, "zebracrossing").await;
        assert_eq!(thread_ids(&body), vec![open]);
        let (_, body) = search(&app, &w.kent, "zebracrossing").await;
        assert_eq!(body["total"], 2);

        // A moved thread is found where it now is, by whoever may read there.
        let (s, b) = app
            .patch(
                &format!("/api/v1/threads/{secret}"),
                &w.admin,
                json!({"space": "partners"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        eventually(&app, &w.supplier, "zebracrossing", |b| b["total"] == 2).await;
        let (s, b) = app
            .patch(
                &format!("/api/v1/threads/{secret}"),
                &w.admin,
                json!({"space": "chiefs"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        // At once, whether or not the index has caught up: each hit is checked against the
        // thread as it now is, never as an earlier search found it.
        let (_, body) = search(&app, &w.supplier, "zebracrossing").await;
        assert_eq!(thread_ids(&body), vec![open], "{body}");
        eventually(&app, &w.supplier, "zebracrossing", |b| b["total"] == 1).await;

        // A disabled user searches nothing.
        let me = app.get("/api/v1/me", &w.essex).await.1["id"]
            .as_i64()
            .unwrap();
        app.post(&format!("/api/v1/users/{me}/disable"), &w.admin, json!({}))
            .await;
        let (s, _) = search(&app, &w.essex, "zebracrossing").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn edits_and_deletes_are_reflected() {
    on_each_backend(|app| async move {
        let w = world(&app).await;
        let t = thread(
            &app,
            &w.kent,
            "it-digital",
            "Resilience exercise",
            "We ran a quokkaexercise last week.",
            &[],
            "OFFICIAL",
        )
        .await;
        let reply = app
            .reply(&w.essex, t, None, "Our wombatdrill went well.")
            .await;
        eventually(&app, &w.kent, "wombatdrill", |b| b["total"] == 1).await;
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{reply}"),
                &w.essex,
                json!({"body": "Our platypusdrill went well."}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        eventually(&app, &w.kent, "platypusdrill", |b| b["total"] == 1).await;
        let (_, body) = search(&app, &w.kent, "wombatdrill").await;
        assert_eq!(body["total"], 0, "the old text is gone");
        let (s, _) = app
            .delete(&format!("/api/v1/posts/{reply}"), &w.essex)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        eventually(&app, &w.kent, "platypusdrill", |b| b["total"] == 0).await;
        // Retitling and marking changes reach every post of the thread.
        let (s, _) = app
            .patch(
                &format!("/api/v1/threads/{t}"),
                &w.kent,
                json!({"title": "Echidna review", "marking": "OFFICIAL-SENSITIVE"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        eventually(&app, &w.kent, "echidna marking:official-sensitive", |b| {
            thread_ids(b) == vec![t]
        })
        .await;
        caught_up(&app).await;
        let (_, body) = search(&app, &w.kent, "platypusdrill").await;
        assert_eq!(body["total"], 0, "a deleted post is never found again");
    })
    .await;
}

#[tokio::test]
async fn reindex_swaps_in_a_new_index_while_the_server_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let w = world(&app).await;
    for i in 0..30 {
        thread(
            &app,
            &w.kent,
            "it-digital",
            &format!("Thread number {i}"),
            &format!("Body with marmot{i} and common words"),
            &[],
            "OFFICIAL",
        )
        .await;
    }
    eventually(&app, &w.kent, "marmot29", |b| b["total"] == 1).await;
    // Rows from before plain text was kept have none: reindex derives it from the Markdown.
    use sea_orm::ConnectionTrait;
    app.db()
        .await
        .execute_unprepared("UPDATE posts SET body_text = NULL WHERE id <= 5")
        .await
        .unwrap();
    let reindex = app.cli(&["reindex"], &[]);
    assert!(
        reindex.status.success(),
        "{}",
        String::from_utf8_lossy(&reindex.stderr)
    );
    let out = String::from_utf8_lossy(&reindex.stdout);
    assert_eq!(out.lines().last().unwrap().trim(), "30", "{out}");
    // The server keeps answering, then follows the new generation and keeps indexing into it.
    let (s, body) = search(&app, &w.kent, "common").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["total"], 30);
    eventually(&app, &w.kent, "marmot0", |b| b["total"] == 1).await;
    let later = thread(
        &app,
        &w.kent,
        "it-digital",
        "After the rebuild",
        "capybara",
        &[],
        "OFFICIAL",
    )
    .await;
    eventually(&app, &w.kent, "capybara", |b| thread_ids(b) == vec![later]).await;
    let status = caught_up(&app).await;
    assert_eq!(status["documents"], 31);
    let generations = std::fs::read_dir(app.data_dir.path().join("index"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("gen-")
        })
        .count();
    assert_eq!(
        generations, 1,
        "the old generation is removed once the server has switched"
    );
}

#[tokio::test]
async fn kill_dash_nine_at_any_point_loses_and_duplicates_nothing() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    world(&app).await;
    let mut made = 0;
    for (round, pause_ms) in [0u64, 400, 900, 1300].into_iter().enumerate() {
        let token = app.login("chief@kent.example").await;
        let t = thread(
            &app,
            &token,
            "it-digital",
            &format!("Crash round {round}"),
            &format!("lemur{round}x0"),
            &[],
            "OFFICIAL",
        )
        .await;
        made += 1;
        for i in 1..12 {
            app.reply(&token, t, None, &format!("lemur{round}x{i}"))
                .await;
            made += 1;
        }
        // Kill at a different moment relative to the indexer's one-second commits.
        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
        app.stop();
        app.start();
        let status = caught_up(&app).await;
        assert_eq!(status["documents"], made, "round {round}: {status}");
    }
    let token = app.login("chief@kent.example").await;
    for round in 0..4 {
        for i in 0..12 {
            let (_, body) = search(&app, &token, &format!("lemur{round}x{i}")).await;
            assert_eq!(body["total"], 1, "lemur{round}x{i}: {body}");
        }
    }
    // A corrupt index is rebuilt at start-up without anyone acting.
    app.stop();
    let index_root = app.data_dir.path().join("index");
    let current = std::fs::read_to_string(index_root.join("CURRENT")).unwrap();
    std::fs::write(
        index_root.join(current.trim()).join("meta.json"),
        b"{ not json",
    )
    .unwrap();
    app.start();
    let status = caught_up(&app).await;
    assert_eq!(status["documents"], made);
    let (_, body) = search(&app, &token_for(&app).await, "lemur3x11").await;
    assert_eq!(body["total"], 1);
}

async fn token_for(app: &TestApp) -> String {
    app.login("chief@kent.example").await
}

#[tokio::test]
async fn a_search_cannot_ask_for_unbounded_prefix_expansion() {
    on_each_backend(|app| async move {
        let w = world(&app).await;
        // Two-letter prefixes, and more than four prefixes, are refused saying why and where.
        let many: String = ('a'..='z')
            .flat_map(|a| ('a'..='i').map(move |b| format!("{a}{b}*")))
            .collect::<Vec<_>>()
            .join(" ");
        for (q, words) in [
            ("ab*", "at least 3 letters"),
            ("clo* cus* sof* ben* rms*", "at most 4 words ending in *"),
            (many.as_str(), "at least 3 letters"),
        ] {
            let (s, body) = search(&app, &w.kent, q).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {body}");
            assert_eq!(body["error"]["field"], "q");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(words), "{q}: {message}");
        }
        let (s, body) = search(&app, &w.kent, "clo* cus* sof* ben*").await;
        assert_eq!(s, StatusCode::OK, "four prefixes are fine: {body}");
    })
    .await;
}
