//! Sponsored self-registration through the running server: an allow-listed address asks,
//! confirms it with the mailed link, a sponsor of that organisation approves, and the person
//! sets a password through the invitation and signs in. Every address gets the same answer;
//! links work once and expire; only that organisation's sponsors may answer; a supplier is
//! sponsored by a force and approved by an admin.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KENT_CHIEF: &str = "chief@kent.police.uk";
const ESSEX_CHIEF: &str = "chief@essex.police.uk";
const ADMIN: &str = "admin@roundtable.example";
const NEWCOMER: &str = "new.analyst@kent.police.uk";

/// Kent Police (kent.police.uk) with its chief, Essex Police with its chief, a supplier
/// (acme.example) with a salesperson, and an admin.
fn world(app: &TestApp) {
    app.add_org("Kent Police", "force");
    app.add_org("Essex Police", "force");
    app.add_org("Acme Ltd", "supplier");
    app.add_org("Roundtable", "operator");
    for (org, domain) in [
        ("Kent Police", "kent.police.uk"),
        ("Essex Police", "@Essex.Police.UK"),
        ("Acme Ltd", "acme.example"),
    ] {
        let out = app.cli(
            &["org", "domain", "add", "--org", org, "--domain", domain],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    app.add_user(KENT_CHIEF, "Kent Police", "chief_officer");
    app.add_user(ESSEX_CHIEF, "Essex Police", "chief_officer");
    app.add_user("sales@acme.example", "Acme Ltd", "supplier");
    app.add_user("staff@kent.police.uk", "Kent Police", "staff");
    app.add_user(ADMIN, "Roundtable", "admin");
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, Value) {
    app.request(
        Method::POST,
        "/api/v1/registrations",
        None,
        Some(json!({"email": email, "display_name": "Sam Newcomer", "job_title": "Analyst"})),
    )
    .await
}

/// Every mail written so far, decoded enough to read links, oldest first.
fn mails(app: &TestApp) -> Vec<String> {
    let dir = app.data_dir.path().join("mail");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files
        .sort_by_key(|p: &std::path::PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| raw.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

fn mails_to(app: &TestApp, to: &str) -> Vec<String> {
    mails(app)
        .into_iter()
        .filter(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
        .collect()
}

/// Waits for `n` mails to `to` (notices are sent in the background).
async fn wait_for_mails(app: &TestApp, to: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = mails_to(app, to);
        if found.len() >= n {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{} mails to {to}, not {n}",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn token_after(mail: &str, prefix: &str) -> String {
    let start = mail
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {mail}"))
        + prefix.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn verify(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.request(
        Method::POST,
        "/api/v1/registrations/verify",
        None,
        Some(json!({ "token": token })),
    )
    .await
}

/// Asks for an account as `email` and confirms the address; returns the request's id as the
/// admin sees it.
async fn confirmed_request(app: &TestApp, email: &str) -> i64 {
    assert_eq!(ask(app, email).await.0, StatusCode::ACCEPTED);
    let mail = wait_for_mails(app, email, 1).await.pop().unwrap();
    let (s, body) = verify(app, &token_after(&mail, "/register/")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let admin = app.login(ADMIN).await;
    let (_, list) = app.get("/api/v1/registrations", &admin).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["email"] == email)
        .unwrap_or_else(|| panic!("{email} not in {list}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_allow_listed_address_asks_is_approved_by_its_chief_and_signs_in() {
    on_each_backend(|app| async move {
        world(&app);
        let (s, answer) = ask(&app, NEWCOMER).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{answer}");
        let mail = wait_for_mails(&app, NEWCOMER, 1).await.pop().unwrap();
        assert!(mail.contains("Kent Police"), "{mail}");
        let token = token_after(&mail, "/register/");

        // Not yet confirmed: no sponsor sees it.
        let chief = app.login(KENT_CHIEF).await;
        let (s, list) = app.get("/api/v1/registrations", &chief).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list, json!([]));

        let (s, body) = verify(&app, &token).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"status": "pending", "organisation": "Kent Police"})
        );
        assert_eq!(
            verify(&app, &token).await.0,
            StatusCode::GONE,
            "the link works once"
        );

        // Its sponsors see it in their weekly digest, counted; no one else does.
        let preview = |who: &str| {
            let out = app.cli(&["digest", "preview", "--user", who], &[]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).to_string()
        };
        let kent_digest = preview(KENT_CHIEF);
        assert!(kent_digest.contains("REQUESTS TO JOIN"), "{kent_digest}");
        assert!(
            kent_digest.contains("1 person is waiting for you"),
            "{kent_digest}"
        );
        assert!(kent_digest.contains("/registrations"));
        assert!(!kent_digest.contains(NEWCOMER), "the digest names nobody");
        assert!(!preview(ESSEX_CHIEF).contains("REQUESTS TO JOIN"));
        assert!(!preview("staff@kent.police.uk").contains("REQUESTS TO JOIN"));

        let (_, list) = app.get("/api/v1/registrations", &chief).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let request = &list[0];
        assert_eq!(request["email"], NEWCOMER);
        assert_eq!(request["display_name"], "Sam Newcomer");
        assert_eq!(request["job_title"], "Analyst");
        assert_eq!(request["organisation"], "Kent Police");
        assert_eq!(request["step"], "decide");
        let id = request["id"].as_i64().unwrap();

        // Another force's chief, staff and a supplier: not theirs to see.
        let essex = app.login(ESSEX_CHIEF).await;
        assert_eq!(app.get("/api/v1/registrations", &essex).await.1, json!([]));
        let approve = format!("/api/v1/registrations/{id}/approve");
        assert_eq!(
            app.post(&approve, &essex, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let staff = app.login("staff@kent.police.uk").await;
        assert_eq!(
            app.get("/api/v1/registrations", &staff).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.post(&approve, &staff, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let supplier = app.login("sales@acme.example").await;
        assert_eq!(
            app.post(&approve, &supplier, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post("/api/v1/registrations/99999/approve", &chief, json!({}))
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        let (s, body) = app.post(&approve, &chief, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "approved");
        assert_eq!(
            app.post(&approve, &chief, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get("/api/v1/registrations", &chief).await.1, json!([]));

        // The invitation sets the password; then they sign in as Kent's staff.
        let invitation = wait_for_mails(&app, NEWCOMER, 2).await.pop().unwrap();
        let (s, body) = app
            .request(
                Method::POST,
                "/api/v1/invitations/accept",
                None,
                Some(json!({"token": token_after(&invitation, "/invitations/"),
                            "display_name": "Sam Newcomer", "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let token = app.login(NEWCOMER).await;
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["role"], "staff");
        assert_eq!(me["organisation"]["name"], "Kent Police");
        for action in [
            "registration.request",
            "registration.verify",
            "registration.approve",
            "user.invite",
        ] {
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await,
                1,
                "{action} is audited"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn every_address_gets_the_same_answer_and_asking_is_limited() {
    on_each_backend(|app| async move {
        world(&app);
        let known = ask(&app, KENT_CHIEF).await;
        let elsewhere = ask(&app, "someone@elsewhere.example").await;
        let allowed = ask(&app, NEWCOMER).await;
        let guest_case = ask(&app, "New.Person@KENT.police.uk").await;
        assert_eq!(known.0, StatusCode::ACCEPTED);
        assert_eq!(known, elsewhere);
        assert_eq!(known, allowed);
        assert_eq!(known, guest_case);

        // Only the mail differs: a reminder, nothing, a link.
        let reminder = wait_for_mails(&app, KENT_CHIEF, 1).await.pop().unwrap();
        assert!(reminder.contains("You already have one"), "{reminder}");
        assert!(!reminder.contains("/register/"));
        wait_for_mails(&app, NEWCOMER, 1).await;
        wait_for_mails(&app, "new.person@kent.police.uk", 1).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(mails_to(&app, "someone@elsewhere.example").is_empty());
        assert_eq!(
            app.count("SELECT COUNT(*) FROM registrations").await,
            2,
            "only the allowed addresses are stored"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%elsewhere.example%'")
                .await,
            0,
            "an address outside the allow-list is audited only as its hash"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'registration.request'")
                .await,
            4
        );

        // Bad input is named; another site cannot ask.
        let (s, body) = app
            .request(
                Method::POST,
                "/api/v1/registrations",
                None,
                Some(json!({"email": "not an address", "display_name": "x", "job_title": ""})),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "email");
        let (s, body) = app
            .request(
                Method::POST,
                "/api/v1/registrations",
                None,
                Some(json!({"email": NEWCOMER, "display_name": "x".repeat(900_000), "job_title": ""})),
            )
            .await;
        assert!(
            s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::PAYLOAD_TOO_LARGE,
            "{s} {body}"
        );
        let res = app
            .client
            .post(app.url("/api/v1/registrations"))
            .header("origin", "https://evil.example")
            .json(&json!({"email": NEWCOMER, "display_name": "Sam", "job_title": ""}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Three a day for one address (the second and third resend a fresh link).
        assert_eq!(ask(&app, NEWCOMER).await.0, StatusCode::ACCEPTED);
        assert_eq!(ask(&app, NEWCOMER).await.0, StatusCode::ACCEPTED);
        let (s, body) = ask(&app, NEWCOMER).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_error_shape(&body, "too many");
        let links = wait_for_mails(&app, NEWCOMER, 3).await;
        assert_eq!(links.len(), 3, "the huge name was refused before anything was sent");
        // Each request replaced the link before it: only one of the three works.
        let mut answers = Vec::new();
        for mail in &links {
            answers.push(verify(&app, &token_after(mail, "/register/")).await.0);
        }
        answers.sort();
        assert_eq!(
            answers,
            vec![StatusCode::OK, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND]
        );
    })
    .await;
}

#[tokio::test]
async fn links_expire_and_a_refusal_tells_the_person_why() {
    on_each_backend(|app| async move {
        world(&app);
        assert_eq!(verify(&app, "made-up").await.0, StatusCode::NOT_FOUND);
        assert_eq!(ask(&app, NEWCOMER).await.0, StatusCode::ACCEPTED);
        let token = token_after(&wait_for_mails(&app, NEWCOMER, 1).await[0], "/register/");
        let db = app.db().await;
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("UPDATE registrations SET expires_at = '2020-01-01 00:00:00+00:00'")
            .await
            .unwrap();
        let (s, body) = verify(&app, &token).await;
        assert_eq!(s, StatusCode::GONE, "{body}");
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"));

        let other = "another.analyst@kent.police.uk";
        let id = confirmed_request(&app, other).await;
        let chief = app.login(KENT_CHIEF).await;
        let deny = format!("/api/v1/registrations/{id}/deny");
        for reason in ["   ", &"x".repeat(501)] {
            let (s, body) = app.post(&deny, &chief, json!({ "reason": reason })).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["error"]["field"], "reason");
        }
        let essex = app.login(ESSEX_CHIEF).await;
        assert_eq!(
            app.post(&deny, &essex, json!({"reason": "no"})).await.0,
            StatusCode::NOT_FOUND
        );
        let (s, body) = app
            .post(
                &deny,
                &chief,
                json!({"reason": "Ask your line manager to invite you"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        let told = wait_for_mails(&app, other, 2).await.pop().unwrap();
        assert!(
            told.contains("Ask your line manager to invite you"),
            "{told}"
        );
        assert_eq!(
            app.post(
                &format!("/api/v1/registrations/{id}/approve"),
                &chief,
                json!({})
            )
            .await
            .0,
            StatusCode::NOT_FOUND,
            "a refused request is closed"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM invitations").await,
            0,
            "nobody was invited"
        );
    })
    .await;
}

#[tokio::test]
async fn a_supplier_is_sponsored_by_a_force_and_approved_by_an_admin() {
    on_each_backend(|app| async move {
        world(&app);
        let newcomer = "engineer@acme.example";
        let id = confirmed_request(&app, newcomer).await;
        let approve = format!("/api/v1/registrations/{id}/approve");

        // Never by a supplier; not by an admin before a force sponsors it.
        let supplier = app.login("sales@acme.example").await;
        assert_eq!(
            app.get("/api/v1/registrations", &supplier).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.post(&approve, &supplier, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        let admin = app.login(ADMIN).await;
        let (s, body) = app.post(&approve, &admin, json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");

        // Any force's chief may sponsor; then only an admin approves.
        let essex = app.login(ESSEX_CHIEF).await;
        let (_, list) = app.get("/api/v1/registrations", &essex).await;
        assert_eq!(list[0]["step"], "sponsor", "{list}");
        let (s, body) = app.post(&approve, &essex, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "sponsored");
        let kent = app.login(KENT_CHIEF).await;
        assert_eq!(
            app.post(&approve, &kent, json!({})).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get("/api/v1/registrations", &kent).await.1, json!([]));
        let (_, list) = app.get("/api/v1/registrations", &admin).await;
        assert_eq!(list[0]["step"], "decide");
        assert_eq!(list[0]["sponsored_by"], "Test chief_officer");
        let (s, body) = app.post(&approve, &admin, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "approved");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM invitations WHERE role = 'supplier'")
                .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_allow_list_is_kept_with_the_cli() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    world(&app);
    let out = app.cli(&["org", "domain", "list"], &[]);
    assert!(out.status.success());
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listed.contains("essex.police.uk\tEssex Police"), "{listed}");
    for (args, says) in [
        (
            vec![
                "org",
                "domain",
                "add",
                "--org",
                "Kent Police",
                "--domain",
                "Kent.Police.uk",
            ],
            "already belongs to Kent Police",
        ),
        (
            vec![
                "org",
                "domain",
                "add",
                "--org",
                "Kent Police",
                "--domain",
                "not a domain",
            ],
            "--domain",
        ),
        (
            vec![
                "org",
                "domain",
                "add",
                "--org",
                "Nowhere",
                "--domain",
                "nowhere.example",
            ],
            "--org",
        ),
        (
            vec!["org", "domain", "remove", "--domain", "unknown.example"],
            "not on any organisation's list",
        ),
    ] {
        let out = app.cli(&args, &[]);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let out = app.cli(
        &["org", "domain", "remove", "--domain", "acme.example"],
        &[],
    );
    assert!(out.status.success());
    assert_eq!(
        ask(&app, "engineer@acme.example").await.0,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        mails_to(&app, "engineer@acme.example").is_empty(),
        "no longer allowed"
    );
}
