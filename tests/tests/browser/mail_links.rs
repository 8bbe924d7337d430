//! Every link an email sends lands on a page for its reader: the digest's links, its
//! unsubscribe link (a confirmation, then done), and the invitation link.
use crate::browser::{Browser, Scripts};
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, THE_PASSWORD};
use chrono::Datelike;
use serde_json::json;

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn digest_links_open_pages_and_unsubscribe_confirms_with_a_button() {
    let world = World::new(Backend::Sqlite).await;
    let app = &world.app;
    let token = app.login(CHIEF).await;
    app.add_user("staff@kent.example", "Kent Police", "staff");
    let staff = app.login("staff@kent.example").await;
    app.start_thread(
        &staff,
        "chiefs",
        "Resilience exercise: lessons",
        "Notes from the day.",
    )
    .await;
    let (status, _) = app
        .post(
            "/api/v1/spaces/chiefs/threads",
            &staff,
            json!({"title": "Sensitive: estates review", "body": "Figures.", "tags": [],
                   "marking": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert!(status.is_success());
    // The digest whose week holds what was posted today: this ISO week's, or on a Monday
    // before the send time, next week's. Both are read.
    let mut links = Vec::new();
    for days in [0, 7] {
        let at = (chrono::Utc::now() + chrono::Duration::days(days)).iso_week();
        let week = format!("{}-W{:02}", at.year(), at.week());
        let html_path = app.data_dir.path().join(format!("digest-{days}.html"));
        let out = app.cli(
            &[
                "digest",
                "preview",
                "--user",
                CHIEF,
                "--week",
                &week,
                "--html",
                html_path.to_str().unwrap(),
            ],
            &[("ROUNDTABLE__DIGEST__SEND_EMPTY", "true")],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let html = std::fs::read_to_string(&html_path).expect("the digest's HTML");
        links.extend(
            hrefs(&html)
                .into_iter()
                .filter(|h| h.starts_with(world.base())),
        );
    }
    links.sort();
    links.dedup();
    assert!(links.iter().any(|l| l.contains("/threads/")), "{links:?}");
    assert!(
        links.iter().any(|l| l.contains("/unsubscribe/")),
        "{links:?}"
    );

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    let mut unsubscribe = None;
    for link in &links {
        let path = &link[world.base().len()..];
        if path.contains("/unsubscribe/") {
            unsubscribe = Some(path.to_string());
            continue;
        }
        b.open(path).await;
        let h1 = b.text("h1").await;
        assert_ne!(h1, "Page not found", "{path}");
        assert!(
            !b.body_text().await.trim_start().starts_with('{'),
            "{path} is JSON"
        );
    }

    let unsubscribe = unsubscribe.expect("an unsubscribe link");
    b.open(&unsubscribe).await;
    assert_eq!(b.text("h1").await, "Stop the Roundtable weekly digest?");
    let (_, prefs) = app.get("/api/v1/me/preferences", &token).await;
    assert_eq!(
        prefs["digest"]["enabled"],
        json!(true),
        "opening the link changes nothing"
    );
    b.screenshot("unsubscribe", 1280).await;
    b.screenshot("unsubscribe", 375).await;
    b.follow("form button[type=submit]").await;
    assert!(b.text("h1").await.contains("Unsubscribed"));
    let (_, prefs) = app.get("/api/v1/me/preferences", &token).await;
    assert_eq!(prefs["digest"]["enabled"], json!(false));

    b.open("/settings/email").await;
    assert!(b.exists("#digest-off:checked").await);
    b.click("#digest").await;
    b.client
        .find(fantoccini::Locator::Css("#weekday"))
        .await
        .unwrap()
        .select_by_value("friday")
        .await
        .unwrap();
    b.client
        .find(fantoccini::Locator::Css("#hour"))
        .await
        .unwrap()
        .select_by_value("9")
        .await
        .unwrap();
    b.follow("form[action='/settings/email'] button[type=submit]")
        .await;
    assert!(b
        .body_text()
        .await
        .contains("Your email settings are saved"));
    let (_, prefs) = app.get("/api/v1/me/preferences", &token).await;
    assert_eq!(prefs["digest"]["enabled"], json!(true));
    assert_eq!(prefs["digest"]["weekday"], json!("friday"));
    assert_eq!(prefs["digest"]["hour"], json!(9));
    b.fill("#time_zone", "Mars/Olympus").await;
    b.follow("form[action='/settings/email'] button[type=submit]")
        .await;
    assert!(
        b.exists("#time_zone-error").await,
        "a wrong time zone is named beside it"
    );
    b.screenshot("settings-email", 1280).await;
    b.screenshot("settings-email", 375).await;
    b.close().await;
}

/// Every mail written so far, with quoted-printable soft line breaks undone.
fn mailed(world: &World) -> Vec<String> {
    std::fs::read_dir(world.app.data_dir.path().join("mail"))
        .into_iter()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|raw| raw.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

/// The token after `prefix` (such as `/invitations/`) in a mail to `to` (any address when
/// empty), waiting up to ten seconds for it to be written.
async fn token_mailed(world: &World, to: &str, prefix: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = mailed(world).into_iter().find_map(|raw| {
            let at = raw.find(prefix).filter(|_| raw.contains(to))?;
            Some(
                raw[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect::<String>(),
            )
        });
        if let Some(token) = found {
            return token;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nothing with {prefix} was mailed to {to:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The token in the invitation mailed to `to`.
pub async fn invitation_token_for(world: &World, to: &str) -> String {
    token_mailed(world, to, "/invitations/").await
}

#[tokio::test]
async fn an_invitation_link_opens_a_page_to_join_and_then_says_it_was_used() {
    let world = World::new(Backend::Sqlite).await;
    let admin = world.app.login(ADMIN).await;
    let (status, body) = world
        .app
        .post(
            "/api/v1/invitations",
            &admin,
            json!({"email": "dana@kent.example", "role": "staff"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let token = invitation_token_for(&world, "dana@kent.example").await;

    let b = Browser::start(world.base(), Scripts::Off).await;
    b.open(&format!("/invitations/{token}")).await;
    assert_eq!(b.text("h1").await, "Join Roundtable");
    assert!(b.body_text().await.contains("dana@kent.example"));
    b.screenshot("invitation", 1280).await;
    b.screenshot("invitation", 375).await;
    b.fill("#display_name", "Dana Whitfield").await;
    b.fill("#password", "a long enough passphrase").await;
    b.fill("#confirm_password", "a different passphrase").await;
    b.follow("form button[type=submit]").await;
    assert!(b.exists("#confirm_password-error").await, "mismatch named");
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("#display_name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Dana Whitfield"),
        "the name typed is kept"
    );
    b.fill("#password", "a long enough passphrase").await;
    b.fill("#confirm_password", "a long enough passphrase")
        .await;
    b.follow("form button[type=submit]").await;
    assert!(b.body_text().await.contains("Your account is ready"));
    b.fill("#email", "dana@kent.example").await;
    b.fill("#password", "a long enough passphrase").await;
    b.follow("form[action='/login'] button[type=submit]").await;
    assert_eq!(b.text("h1").await, "Welcome, Dana Whitfield");
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.open(&format!("/invitations/{token}")).await;
    assert_eq!(b.text("h1").await, "This invitation has been used");
    b.close().await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_single_use_emailed_link() {
    let world = World::new(Backend::Sqlite).await;
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.open("/login").await;
    b.follow("a[href='/password/forgot']").await;
    b.fill("#email", "nobody@nowhere.example").await;
    b.follow("form[action='/password/forgot'] button").await;
    let unknown = b
        .text("main")
        .await
        .replace("nobody@nowhere.example", "ADDRESS");
    b.open("/password/forgot").await;
    b.fill("#email", CHIEF).await;
    b.follow("form[action='/password/forgot'] button").await;
    let known = b.text("main").await.replace(CHIEF, "ADDRESS");
    assert_eq!(known, unknown, "the answer does not tell members apart");
    let link = format!(
        "/password/reset/{}",
        token_mailed(&world, CHIEF, "/password/reset/").await
    );
    b.open(&link).await;
    b.fill("#password", "a brand new passphrase").await;
    b.fill("#confirm_password", "a brand new passphrase").await;
    b.follow("form button[type=submit]").await;
    assert!(b.body_text().await.contains("Your password has changed"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let told = mailed(&world)
            .iter()
            .any(|m| m.contains("Your Roundtable password has changed") && m.contains(CHIEF));
        if told {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the owner was not told of the change"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.fill("#email", CHIEF).await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/login'] button[type=submit]").await;
    assert!(
        b.exists("#email-error").await,
        "the old password no longer works"
    );
    b.fill("#email", CHIEF).await;
    b.fill("#password", "a brand new passphrase").await;
    b.follow("form[action='/login'] button[type=submit]").await;
    assert_eq!(b.path().await, "/");
    b.open(&link).await;
    assert_eq!(b.text("h1").await, "This link has been used or has expired");
    b.close().await;
}
