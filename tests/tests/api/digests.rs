//! Weekly digests through the running server and a real SMTP server: who gets one, what it
//! holds and never holds, its headers and links, one-click unsubscribe, and exactly once.
use crate::helpers::{on_each_backend, TestApp, PASSWORD};
use crate::mail::{iso_week, next_default_due, parse_all, Mail};
use reqwest::StatusCode;
use roundtable_tests::smtp_sink::SmtpSink;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

pub const PUBLIC_URL: &str = "http://127.0.0.1:8080";
const SECRET_TITLE: &str = "Covert tasking ZQXTITLE";
const SECRET_BODY: &str = "QQBODYSECRET";
const SECRET_REPLY: &str = "QQREPLYSECRET";

pub fn add_person(app: &TestApp, email: &str, name: &str, org: &str, role: &str) -> i64 {
    app.cli_id(
        &[
            "user", "add", "--email", email, "--name", name, "--org", org, "--role", role,
        ],
        &[("ROUNDTABLE_PASSWORD", PASSWORD)],
    )
}

/// A settings file naming the accredited domain (lists cannot come from variables).
fn accredited_config(dir: &std::path::Path) -> String {
    let path = dir.join("accredited.toml");
    std::fs::write(
        &path,
        "[mail]\nsensitive_title_domains = [\"secure.police.example\"]\n",
    )
    .unwrap();
    path.display().to_string()
}

async fn start_thread(
    app: &TestApp,
    token: &str,
    space: &str,
    title: &str,
    body: &str,
    marking: &str,
) -> i64 {
    let (status, created) = app
        .post(
            &format!("/api/v1/spaces/{space}/threads"),
            token,
            json!({"title": title, "body": body, "tags": [], "marking": marking}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

#[tokio::test]
async fn each_reader_gets_one_digest_with_the_right_content_and_no_sensitive_text() {
    let config_dir = tempfile::tempdir().unwrap();
    let config = accredited_config(config_dir.path());
    on_each_backend(|app| {
        let config = config.clone();
        async move { digest_scenario(app, &config).await }
    })
    .await;
}

async fn digest_scenario(mut app: TestApp, config: &str) {
    let sink = SmtpSink::start();
    app.set_env("ROUNDTABLE_CONFIG", config);
    app.set_env("ROUNDTABLE__MAIL__SMTP_URL", &sink.url());
    app.set_env("ROUNDTABLE__SERVER__PUBLIC_URL", PUBLIC_URL);
    app.set_env("ROUNDTABLE__DIGEST__SCHEDULER", "false");
    app.set_env("ROUNDTABLE__DIGEST__TICK_SECONDS", "1");
    app.stop();
    app.start();

    for (org, kind) in [
        ("Kent Police", "force"),
        ("Essex Police", "force"),
        ("Office of the Kent PCC", "pcc_office"),
        ("Metropolitan Police", "force"),
        ("Acme Systems", "supplier"),
        ("Roundtable", "operator"),
    ] {
        app.add_org(org, kind);
    }
    let kent = add_person(
        &app,
        "chief@kent.example",
        "Alex Kent",
        "Kent Police",
        "chief_officer",
    );
    let essex = add_person(
        &app,
        "chief@essex.example",
        "Sam Essex",
        "Essex Police",
        "chief_officer",
    );
    let pcc = add_person(
        &app,
        "pcc@kent-pcc.example",
        "Jo Commissioner",
        "Office of the Kent PCC",
        "pcc",
    );
    let secure = add_person(
        &app,
        "chief@secure.police.example",
        "Pat Met",
        "Metropolitan Police",
        "chief_officer",
    );
    let muted = add_person(
        &app,
        "muted@essex.example",
        "Max Mute",
        "Essex Police",
        "chief_officer",
    );
    add_person(
        &app,
        "off@kent.example",
        "Olly Off",
        "Kent Police",
        "chief_officer",
    );
    add_person(
        &app,
        "vendor@acme.example",
        "Val Vendor",
        "Acme Systems",
        "supplier",
    );
    add_person(
        &app,
        "admin@roundtable.example",
        "Ada Admin",
        "Roundtable",
        "admin",
    );
    app.add_space("it-digital", "chief_officer,pcc", "chief_officer,pcc", None);
    app.add_space("resilience", "chief_officer,pcc", "chief_officer,pcc", None);
    app.add_space(
        "suppliers",
        "supplier,chief_officer",
        "supplier,chief_officer",
        None,
    );
    app.add_space(
        "gold-group",
        "chief_officer,pcc",
        "chief_officer,pcc",
        Some("chief@essex.example,chief@kent.example,pcc@kent-pcc.example"),
    );

    let t_kent = app.login("chief@kent.example").await;
    let t_essex = app.login("chief@essex.example").await;
    let t_pcc = app.login("pcc@kent-pcc.example").await;
    let t_admin = app.login("admin@roundtable.example").await;

    let cloud = start_thread(
        &app,
        &t_kent,
        "it-digital",
        "Moving custody software to the cloud",
        "Has anyone done this?",
        "OFFICIAL",
    )
    .await;
    app.reply(
        &t_essex,
        cloud,
        None,
        "We moved ours in 2025; the benchmarking clause mattered.",
    )
    .await;
    let alone = start_thread(
        &app,
        &t_kent,
        "it-digital",
        "Kent thinking aloud",
        "Notes to self.",
        "OFFICIAL",
    )
    .await;
    let flooding = start_thread(
        &app,
        &t_essex,
        "resilience",
        "Mutual aid during flooding",
        "Our playbook.",
        "OFFICIAL",
    )
    .await;
    let (status, body) = app
        .patch(
            &format!("/api/v1/threads/{flooding}"),
            &t_admin,
            json!({"best_practice": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = start_thread(
        &app,
        &t_essex,
        "resilience",
        SECRET_TITLE,
        SECRET_BODY,
        "OFFICIAL-SENSITIVE",
    )
    .await;
    app.reply(&t_pcc, secret, None, SECRET_REPLY).await;

    // Kent's chief reads the working group's discussion, then leaves the group before Monday:
    // the digest is built with what they may read when it is sent.
    start_thread(
        &app,
        &t_essex,
        "gold-group",
        "Gold group briefing",
        "Plans.",
        "OFFICIAL",
    )
    .await;
    let (status, body) = app
        .patch(
            "/api/v1/spaces/gold-group",
            &t_admin,
            json!({"members": ["chief@essex.example", "pcc@kent-pcc.example"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let t_muted = app.login("muted@essex.example").await;
    let (status, body) = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/me/preferences",
            Some(&t_muted),
            Some(json!({"threads": {cloud.to_string(): "muted"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let t_off = app.login("off@kent.example").await;
    let (status, body) = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/me/preferences",
            Some(&t_off),
            Some(json!({"digest": {"enabled": false}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Monday morning comes: the scheduler wakes and sends.
    let due = next_default_due(chrono::Utc::now());
    let week = iso_week(due);
    app.stop();
    app.set_env("ROUNDTABLE__DIGEST__SCHEDULER", "true");
    app.set_env(
        "ROUNDTABLE__CLOCK__START",
        &(due + chrono::Duration::seconds(5)).to_rfc3339(),
    );
    app.start();
    // The clock is now days ahead, so the reply notifications are due too (7 messages).
    sink.wait_for(7, Duration::from_secs(60));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all_mail = parse_all(&sink.received());
    for m in &all_mail {
        let text = m.everything();
        assert!(
            !text.contains(SECRET_BODY) && !text.contains(SECRET_REPLY),
            "{:?}: sensitive text",
            m.to
        );
        if m.to[0] != "chief@secure.police.example" {
            assert!(
                !text.contains("ZQXTITLE"),
                "{:?}: a sensitive title leaked",
                m.to
            );
        }
    }
    let mails: Vec<Mail> = all_mail
        .iter()
        .filter(|m| m.list_id.contains("weekly"))
        .cloned()
        .collect();
    assert_eq!(
        mails.len(),
        5,
        "one digest each for 5 readers, got {:?}",
        mails.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    let notified: Vec<&str> = all_mail
        .iter()
        .filter(|m| m.list_id.contains("notifications"))
        .map(|m| m.to[0].as_str())
        .collect();
    assert_eq!(notified.len(), 2, "{notified:?}");
    assert!(notified.contains(&"chief@kent.example") && notified.contains(&"chief@essex.example"));
    let by_user: HashMap<String, &Mail> = mails.iter().map(|m| (m.to[0].clone(), m)).collect();
    for (id, email) in [
        (kent, "chief@kent.example"),
        (essex, "chief@essex.example"),
        (pcc, "pcc@kent-pcc.example"),
        (secure, "chief@secure.police.example"),
        (muted, "muted@essex.example"),
    ] {
        let m = by_user
            .get(email)
            .unwrap_or_else(|| panic!("no digest for {email}"));
        assert_eq!(
            m.message_id,
            format!("digest.{id}.{week}@127.0.0.1"),
            "{email}"
        );
        assert!(
            m.raw.contains("multipart/alternative"),
            "{email}: not multipart/alternative"
        );
        assert!(
            m.raw.contains("text/plain") && m.raw.contains("text/html"),
            "{email}: both parts"
        );
        assert!(
            m.subject.contains(": Roundtable weekly — "),
            "{email}: {}",
            m.subject
        );
        assert_eq!(m.list_id, "Roundtable weekly <weekly.127.0.0.1>");
        assert!(
            m.list_unsubscribe
                .starts_with(&format!("<{PUBLIC_URL}/api/v1/unsubscribe/weekly/")),
            "{}",
            m.list_unsubscribe
        );
        assert_eq!(m.list_unsubscribe_post, "List-Unsubscribe=One-Click");
        let all = m.everything();
        assert!(
            !all.contains(SECRET_BODY) && !all.contains(SECRET_REPLY),
            "{email}: sensitive text leaked"
        );
        if email == "chief@secure.police.example" {
            assert!(
                m.subject.starts_with("OFFICIAL-SENSITIVE: "),
                "{}",
                m.subject
            );
            assert!(
                m.text.contains(SECRET_TITLE),
                "the accredited domain sees the title"
            );
        } else {
            assert!(m.subject.starts_with("OFFICIAL: "), "{}", m.subject);
            assert!(
                !all.contains("ZQXTITLE"),
                "{email}: a sensitive title leaked"
            );
        }
        // Every thread link resolves on the running server, for this reader.
        let token = app.login(email).await;
        for link in m.links(&format!("{PUBLIC_URL}/threads/")) {
            let local = link.replacen(PUBLIC_URL, &app.base, 1);
            let res = app
                .client
                .get(&local)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{email}: {link}");
        }
    }
    let kent_mail = by_user["chief@kent.example"];
    assert!(
        kent_mail.text.contains("REPLIES TO YOU")
            && kent_mail.text.contains("Moving custody software")
    );
    assert!(
        !kent_mail.text.contains("Kent thinking aloud"),
        "nothing the reader wrote alone"
    );
    assert!(
        kent_mail.text.contains("NEWLY ENDORSED BEST PRACTICE")
            && kent_mail.text.contains("Mutual aid during flooding")
    );
    assert!(
        kent_mail
            .text
            .contains("1 OFFICIAL-SENSITIVE thread active"),
        "{}",
        kent_mail.text
    );
    let endorsed_at = kent_mail.text.find("Mutual aid").unwrap();
    assert!(
        endorsed_at < kent_mail.text.find("Moving custody").unwrap(),
        "endorsed first"
    );
    assert!(by_user["pcc@kent-pcc.example"]
        .text
        .contains("Kent thinking aloud"));
    assert!(by_user["pcc@kent-pcc.example"]
        .text
        .contains("Gold group briefing"));
    assert!(
        !kent_mail.everything().contains("Gold group"),
        "access lost before the digest was built"
    );
    assert!(
        !by_user["muted@essex.example"]
            .text
            .contains("Moving custody"),
        "muted thread left out"
    );
    assert!(
        by_user["chief@essex.example"]
            .text
            .contains("1 reply in OFFICIAL-SENSITIVE threads"),
        "{}",
        by_user["chief@essex.example"].text
    );
    assert!(!mails.iter().any(|m| m.to[0] == "off@kent.example"
        || m.to[0] == "vendor@acme.example"
        || m.to[0] == "admin@roundtable.example"));
    let _ = alone;

    // The operator's preview shows the same digest, and writes its HTML part.
    let html = app.data_dir.path().join("preview.html");
    let out = app.cli(
        &[
            "digest",
            "preview",
            "--user",
            "chief@kent.example",
            "--week",
            &week,
            "--html",
            html.to_str().unwrap(),
        ],
        &[],
    );
    let preview = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        preview.starts_with(&format!("Subject: {}", kent_mail.subject)),
        "{preview}"
    );
    assert!(preview.contains("REPLIES TO YOU") && !preview.contains("ZQXTITLE"));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("Moving custody software"));
    let out = app.cli(
        &[
            "digest",
            "preview",
            "--user",
            "chief@kent.example",
            "--week",
            "2026-48",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--week"));
    let out = app.cli(&["digest", "preview", "--user", "nobody@kent.example"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--user"));

    // Exactly once: sending the same week again by hand sends nothing.
    let out = app.cli(&["digest", "run", "--week", &week], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("sent 0,"), "{stdout}");
    assert_eq!(sink.count(), 7);

    // One-click unsubscribe, with no login, stops the next digest.
    let unsubscribe = by_user["pcc@kent-pcc.example"]
        .list_unsubscribe
        .trim_matches(['<', '>'])
        .replacen(PUBLIC_URL, &app.base, 1);
    let page = app.client.get(&unsubscribe).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let (status, _) = app.get("/api/v1/me/preferences", &t_pcc).await;
    assert_eq!(status, StatusCode::OK);
    let res = app
        .client
        .post(&unsubscribe)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, prefs) = app.get("/api/v1/me/preferences", &t_pcc).await;
    assert_eq!(prefs["digest"]["enabled"], json!(false));
    let forged = unsubscribe.replacen(&format!("/{pcc}."), &format!("/{kent}."), 1);
    let res = app.client.post(&forged).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a token for another user is refused"
    );
    let next_week = iso_week(due + chrono::Duration::days(7));
    sink.clear();
    let out = app.cli(
        &["digest", "run", "--week", &next_week],
        &[("ROUNDTABLE__DIGEST__SEND_EMPTY", "true")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let next = parse_all(&sink.received());
    assert!(
        next.iter().any(|m| m.to[0] == "chief@kent.example"),
        "others still get it"
    );
    assert!(
        !next.iter().any(|m| m.to[0] == "pcc@kent-pcc.example"),
        "the unsubscribed reader does not"
    );
}
