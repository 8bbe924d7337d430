//! Several server processes on one database, as behind a load balancer: each keeps its own
//! caches and search index, and a change made through one (or by the CLI, or straight in the
//! database) reaches every other within a second.
use crate::helpers::{backends, Sibling, TestApp, PASSWORD, PG_SECRET};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The longest a change may take to reach another process.
const WITHIN: Duration = Duration::from_secs(1);

/// A request to one process of the group.
async fn call(
    app: &TestApp,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.request_at(base, method, path, Some(token), body).await
}

/// Asks `base` for `path` until `holds` is true of the answer; fails after `WITHIN`, counted
/// from `since` (the moment the change was answered).
async fn reached_within(
    app: &TestApp,
    base: &str,
    path: &str,
    token: &str,
    since: Instant,
    what: &str,
    holds: impl Fn(StatusCode, &Value) -> bool,
) {
    loop {
        let (status, body) = call(app, base, Method::GET, path, token, None).await;
        if holds(status, &body) {
            eprintln!("{what}: reached {base} after {:?}", since.elapsed());
            return;
        }
        assert!(
            since.elapsed() < WITHIN,
            "{what}: {base} still answers {status} {body} after {:?}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Three processes on one fresh database, all signing tokens with the same key.
async fn three_processes(backend: crate::helpers::Backend) -> (TestApp, Sibling, Sibling) {
    let app = TestApp::spawn_with(backend, &[("ROUNDTABLE__AUTH__JWT_SECRET", PG_SECRET)]).await;
    let b = app.start_sibling();
    let c = app.start_sibling();
    (app, b, c)
}

fn posts_of(thread: &Value) -> Vec<String> {
    thread["posts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["body_html"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn writes_reads_and_searches_agree_across_processes() {
    for backend in backends() {
        let (app, b, c) = three_processes(backend).await;
        let token = app.chief_with_space("chiefs").await;
        let (thread, first) = app
            .start_thread(
                &token,
                "chiefs",
                "Control room resilience",
                "Opening words.",
            )
            .await;
        let path = format!("/api/v1/threads/{thread}");
        // Both other processes have the thread in their caches before it changes.
        for other in [&b.base, &c.base] {
            let (status, body) = call(&app, other, Method::GET, &path, &token, None).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(posts_of(&body).len(), 1);
        }
        app.reply(
            &token,
            thread,
            Some(first),
            "A reply about zirconium failover.",
        )
        .await;
        let since = Instant::now();
        for other in [&b.base, &c.base] {
            reached_within(&app, other, &path, &token, since, "a reply", |s, body| {
                s == StatusCode::OK && posts_of(body).iter().any(|p| p.contains("zirconium"))
            })
            .await;
        }
        // The reply is found through the other processes' own search indexes.
        let search = "/api/v1/search?q=zirconium";
        for other in [&b.base, &c.base] {
            reached_within(&app, other, search, &token, since, "a search", |s, body| {
                s == StatusCode::OK && body["total"].as_u64().unwrap_or(0) >= 1
            })
            .await;
        }
        // A change made straight in the database (an operator's fix) reaches them too.
        let db = app.db().await;
        db.execute_unprepared("UPDATE users SET display_name = 'Chief Constable Renamed'")
            .await
            .unwrap();
        let since = Instant::now();
        for other in [&app.base, &b.base, &c.base] {
            reached_within(&app, other, &path, &token, since, "a rename", |s, body| {
                s == StatusCode::OK && body.to_string().contains("Chief Constable Renamed")
            })
            .await;
        }
    }
}

#[tokio::test]
async fn a_sign_out_through_one_process_is_refused_by_the_others_within_a_second() {
    for backend in backends() {
        let (app, b, c) = three_processes(backend).await;
        let token = app.chief_with_space("chiefs").await;
        let (thread, _) = app.start_thread(&token, "chiefs", "Fleet", "Text.").await;
        let path = format!("/api/v1/threads/{thread}");
        for other in [&b.base, &c.base] {
            let (status, _) = call(&app, other, Method::GET, &path, &token, None).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _) = call(
            &app,
            &app.base,
            Method::POST,
            "/api/v1/auth/logout",
            &token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let since = Instant::now();
        for other in [&app.base, &b.base, &c.base] {
            reached_within(&app, other, &path, &token, since, "a sign-out", |s, _| {
                s == StatusCode::UNAUTHORIZED
            })
            .await;
        }
    }
}

#[tokio::test]
async fn disabling_and_losing_a_membership_reach_every_process_within_a_second() {
    for backend in backends() {
        let (app, b, c) = three_processes(backend).await;
        app.add_org("Kent Police", "force");
        app.add_user("admin@kent.example", "Kent Police", "admin");
        let chief_user = app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        let staff_id = app.add_user("staff@kent.example", "Kent Police", "chief_officer");
        app.add_space(
            "gold",
            "chief_officer",
            "chief_officer",
            Some("chief@kent.example,staff@kent.example"),
        );
        let admin = app.login("admin@kent.example").await;
        let chief = app.login("chief@kent.example").await;
        let staff = app.login("staff@kent.example").await;
        let (thread, _) = app
            .start_thread(&chief, "gold", "Gold group", "Text.")
            .await;
        let path = format!("/api/v1/threads/{thread}");
        for other in [&b.base, &c.base] {
            for token in [&chief, &staff] {
                let (status, _) = call(&app, other, Method::GET, &path, token, None).await;
                assert_eq!(status, StatusCode::OK);
            }
        }
        // Off the member list (straight in the database): the thread is hidden everywhere.
        let db = app.db().await;
        db.execute_unprepared(&format!(
            "DELETE FROM space_members WHERE user_id = {staff_id}"
        ))
        .await
        .unwrap();
        let since = Instant::now();
        for other in [&app.base, &b.base, &c.base] {
            reached_within(&app, other, &path, &staff, since, "a membership", |s, _| {
                s == StatusCode::NOT_FOUND
            })
            .await;
        }
        // Disabled through the API of one process.
        let (status, body) = call(
            &app,
            &b.base,
            Method::POST,
            &format!("/api/v1/users/{chief_user}/disable"),
            &admin,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let since = Instant::now();
        for other in [&app.base, &b.base, &c.base] {
            reached_within(&app, other, &path, &chief, since, "a disabling", |s, _| {
                s == StatusCode::UNAUTHORIZED
            })
            .await;
        }
        // Disabled by the CLI, a process of its own.
        let fresh = app.login("admin@kent.example").await;
        for other in [&b.base, &c.base] {
            let (status, _) = call(&app, other, Method::GET, "/api/v1/me", &fresh, None).await;
            assert_eq!(status, StatusCode::OK);
        }
        let out = app.cli(&["user", "disable", "--email", "admin@kent.example"], &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let since = Instant::now();
        for other in [&app.base, &b.base, &c.base] {
            reached_within(
                &app,
                other,
                "/api/v1/me",
                &fresh,
                since,
                "a CLI disabling",
                |s, _| s == StatusCode::UNAUTHORIZED,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn failed_sign_ins_are_counted_across_processes() {
    for backend in backends() {
        let (app, b, c) = three_processes(backend).await;
        app.add_org("Kent Police", "force");
        app.add_user("chief@kent.example", "Kent Police", "chief_officer");
        // The account allows five failures in its window, wherever they are made.
        let bases = [&app.base, &b.base, &c.base, &app.base, &b.base];
        for base in bases {
            let res = app
                .client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": "chief@kent.example", "password": "wrong password"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = app
            .client
            .post(format!("{}/api/v1/auth/login", c.base))
            .json(&json!({"email": "chief@kent.example", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "the sixth attempt, on a third process, is throttled"
        );
    }
}

#[tokio::test]
async fn processes_register_and_the_outbox_is_pruned_below_the_slowest_live_one() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[
                ("ROUNDTABLE__AUTH__JWT_SECRET", PG_SECRET),
                ("ROUNDTABLE__NODES__HEARTBEAT_SECONDS", "1"),
                ("ROUNDTABLE__NODES__LIVE_SECONDS", "3"),
                ("ROUNDTABLE__NODES__OUTBOX_RETENTION_SECONDS", "0"),
            ],
        )
        .await;
        let token = app.chief_with_space("chiefs").await;
        let b = app.start_sibling();
        let _c = app.start_sibling();
        let live = "SELECT COUNT(*) FROM nodes";
        wait_until(
            Duration::from_secs(5),
            "three registered processes",
            || async { app.count(live).await == 3 },
        )
        .await;
        for n in 0..5 {
            app.start_thread(
                &token,
                "chiefs",
                &format!("Before {n}"),
                "Cobalt readiness.",
            )
            .await;
        }
        let (status, body) = call(
            &app,
            &b.base,
            Method::GET,
            "/api/v1/search?q=cobalt",
            &token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Every live process has read every row: all but the newest are pruned.
        wait_until(Duration::from_secs(10), "the outbox pruned", || async {
            app.count("SELECT COUNT(*) FROM outbox").await == 1
        })
        .await;
        // B stops; while it is away the others write and prune past where it stopped.
        let b_dir = b.stop();
        for n in 0..3 {
            app.start_thread(
                &token,
                "chiefs",
                &format!("While away {n}"),
                "Tungsten plans.",
            )
            .await;
        }
        let newest = "SELECT CAST(MAX(id) AS BIGINT) FROM outbox";
        let head = app.count(newest).await;
        wait_until(
            Duration::from_secs(15),
            "pruned past the stopped process",
            || async {
                app.count("SELECT CAST(MIN(id) AS BIGINT) FROM outbox")
                    .await
                    == head
            },
        )
        .await;
        // Back on its old index, B sees it is behind the pruned rows and rebuilds.
        let b = app.start_sibling_in(b_dir);
        assert!(
            b.log().contains("behind the pruned outbox"),
            "B says it rebuilt: {}",
            b.log()
        );
        let (status, body) = call(
            &app,
            &b.base,
            Method::GET,
            "/api/v1/search?q=tungsten",
            &token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"].as_u64(), Some(3), "{body}");
    }
}

/// Waits until `holds` is true, failing after `limit`.
async fn wait_until<F, Fut>(limit: Duration, what: &str, holds: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let since = Instant::now();
    while !holds().await {
        assert!(since.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn renewing_a_session_does_not_make_every_process_forget_its_sessions() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        app.chief_with_space("chiefs").await;
        let (status, login) = app.login_full("chief@kent.example", PASSWORD).await;
        assert_eq!(status, StatusCode::OK);
        let access = "SELECT COUNT(*) FROM cache_invalidations WHERE kind = 'access'";
        let before = app.count(access).await;
        let (status, body) = app
            .request(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": login["refresh_token"]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            app.count(access).await,
            before,
            "a renewal is not an access change"
        );
        let (status, _) = app
            .request(
                Method::POST,
                "/api/v1/auth/logout",
                body["access_token"].as_str(),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert!(app.count(access).await > before, "a sign-out is");
    }
}

/// A page as a signed-in person's browser asks for it (the access cookie).
async fn page_at(base: &str, path: &str, token: &str) -> (StatusCode, String) {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}{path}"))
        .header("Cookie", format!("rt_access={token}"))
        .send()
        .await
        .expect("page request");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

/// Asks `base` for the page at `path` until `holds` is true of it; fails after `limit`,
/// counted from `since`.
async fn page_reached_within(
    base: &str,
    path: &str,
    token: &str,
    (since, limit): (Instant, Duration),
    what: &str,
    holds: impl Fn(&str) -> bool,
) {
    loop {
        let (status, html) = page_at(base, path, token).await;
        if status == StatusCode::OK && holds(&html) {
            eprintln!("{what}: reached {base}{path} after {:?}", since.elapsed());
            return;
        }
        assert!(
            since.elapsed() < limit,
            "{what}: {base}{path} still answers {status} without it after {:?}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the space and home pages list is kept by each process: a thread started through one
/// process is listed by the others (the JSON list, the space page, the home page) within a
/// second, and reading it through one clears its "New" mark on the others' pages once the
/// read is written (about a second after the page view) and has reached them.
#[tokio::test]
async fn listed_threads_and_unread_marks_reach_every_process() {
    for backend in backends() {
        let (app, b, c) = three_processes(backend).await;
        let chief = app.chief_with_space("chiefs").await;
        app.add_user("deputy@kent.example", "Kent Police", "chief_officer");
        let deputy = app.login("deputy@kent.example").await;
        app.start_thread(&chief, "chiefs", "Older thread", "Text.")
            .await;
        let list = "/api/v1/spaces/chiefs/threads";
        // Every process lists the space now, and so keeps its lists.
        for other in [&b.base, &c.base] {
            for path in ["/spaces/chiefs", "/"] {
                let (status, html) = page_at(other, path, &deputy).await;
                assert_eq!(status, StatusCode::OK, "{path}");
                assert!(html.contains("Older thread"), "{path}: {html}");
            }
            let (status, listed) = call(&app, other, Method::GET, list, &deputy, None).await;
            assert_eq!(status, StatusCode::OK);
            assert!(listed.to_string().contains("Older thread"));
        }
        let (thread, _) = app
            .start_thread(&chief, "chiefs", "Fuel resilience", "Text.")
            .await;
        let since = Instant::now();
        let unread_row = format!("/threads/{thread}\">Fuel resilience</a> <strong");
        let read_row = format!("/threads/{thread}\">Fuel resilience</a></h3>");
        for other in [&b.base, &c.base] {
            reached_within(&app, other, list, &deputy, since, "a new thread", |s, v| {
                s == StatusCode::OK && v.to_string().contains("Fuel resilience")
            })
            .await;
            for path in ["/spaces/chiefs", "/"] {
                page_reached_within(
                    other,
                    path,
                    &deputy,
                    (since, WITHIN),
                    "a new thread, unread",
                    |html| html.contains(&unread_row),
                )
                .await;
            }
        }
        // Read through the first process: the mark goes everywhere.
        let (status, _) = page_at(&app.base, &format!("/threads/{thread}"), &deputy).await;
        assert_eq!(status, StatusCode::OK);
        let since = Instant::now();
        for other in [&b.base, &c.base] {
            for path in ["/spaces/chiefs", "/"] {
                page_reached_within(
                    other,
                    path,
                    &deputy,
                    (since, Duration::from_secs(4)),
                    "a read",
                    |html| html.contains(&read_row) && !html.contains(&unread_row),
                )
                .await;
            }
        }
    }
}
