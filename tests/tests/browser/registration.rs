//! Sponsored registration through the pages: an admin allows Kent Police's email domain,
//! someone asks for an account with an address there, confirms it with the mailed link, the
//! chief approves it on the requests page, and the newcomer chooses a password through the
//! invitation and signs in.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, THE_PASSWORD};
use std::time::{Duration, Instant};

const NEWCOMER: &str = "newcomer@kent.example";

/// The token after `prefix` in the newest mail to `to` that has one, waiting for it.
async fn mailed_token(world: &World, to: &str, prefix: &str) -> String {
    let dir = world.app.data_dir.path().join("mail");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut found: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter_map(|e| {
                        let raw = std::fs::read_to_string(e.path()).ok()?;
                        let when = e.metadata().ok()?.modified().ok()?;
                        Some((when, raw.replace("=\r\n", "").replace("=\n", "")))
                    })
                    .filter(|(_, m)| m.contains(to) && m.contains(prefix))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        if let Some((_, mail)) = found.pop() {
            let start = mail.find(prefix).unwrap() + prefix.len();
            return mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
        }
        assert!(Instant::now() < deadline, "no mail to {to} with {prefix}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn someone_at_an_allowed_domain_asks_is_approved_and_signs_in() {
    let world = World::new(Backend::Sqlite).await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open("/admin/organisations").await;
    b.set_value("#organisation_id", "1").await;
    b.fill("#domain", "not a domain").await;
    b.follow("form[action='/admin/organisations/domains'] button")
        .await;
    assert!(b
        .text(".govuk-error-summary")
        .await
        .contains("not an email domain"));
    b.fill("#domain", "Kent.Example").await;
    b.follow("form[action='/admin/organisations/domains'] button")
        .await;
    assert!(b.body_text().await.contains("The domain is added"));
    assert!(b.body_text().await.contains("kent.example"));
    assert_accessible(&b, "organisations with domains").await;
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.open("/login").await;
    b.follow("a[href='/register']").await;
    assert_eq!(b.text("h1").await, "Ask for an account");
    assert_accessible(&b, "ask for an account").await;
    b.screenshot("register", 375).await;
    b.follow("form[action='/register'] button").await;
    assert!(b.exists("#email-error").await, "an address is needed");
    assert_accessible(&b, "ask for an account, errors").await;
    b.fill("#email", NEWCOMER).await;
    b.fill("#display_name", "Nia Newcomer").await;
    b.fill("#job_title", "Digital lead").await;
    b.follow("form[action='/register'] button").await;
    assert_eq!(b.text("h1").await, "Check your email");

    let token = mailed_token(&world, NEWCOMER, "/register/").await;
    b.open(&format!("/register/{token}")).await;
    assert!(b.body_text().await.contains("Kent Police"));
    assert_accessible(&b, "confirm the address").await;
    b.follow("form[action^='/register/'] button").await;
    assert_eq!(b.text("h1").await, "Your address is confirmed");
    b.open(&format!("/register/{token}")).await;
    assert_eq!(b.text("h1").await, "This link no longer works");
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/settings").await;
    b.follow("a[href='/registrations']").await;
    assert!(b.body_text().await.contains("Nia Newcomer"));
    assert_accessible(&b, "requests to join").await;
    b.screenshot("registrations", 1280).await;
    b.screenshot("registrations", 375).await;
    b.follow("form[action$='/deny'] button").await;
    assert!(b.text(".govuk-error-summary").await.contains("reason"));
    assert_accessible(&b, "requests to join, errors").await;
    b.follow("form[action$='/approve'] button").await;
    assert!(b.body_text().await.contains("Approved."));
    assert!(b
        .body_text()
        .await
        .contains("No requests are waiting for you."));
    b.close().await;

    let b = Browser::start(world.base(), Scripts::Off).await;
    let invitation = mailed_token(&world, NEWCOMER, "/invitations/").await;
    b.open(&format!("/invitations/{invitation}")).await;
    b.fill("#display_name", "Nia Newcomer").await;
    b.fill("#password", THE_PASSWORD).await;
    b.fill("#confirm_password", THE_PASSWORD).await;
    b.follow("form[action^='/invitations/'] button").await;
    b.sign_in(NEWCOMER, THE_PASSWORD).await;
    assert_eq!(b.path().await, "/", "signed in");
    b.close().await;
}
