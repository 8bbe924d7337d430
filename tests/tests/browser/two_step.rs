//! Two-step sign-in through the pages: turning it on in settings with an authenticator app
//! (the code made from the key the page shows, as an app would), signing in with the password
//! and then the code, and turning it off.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, THE_PASSWORD};
use std::time::{SystemTime, UNIX_EPOCH};
use totp_rs::{Algorithm, Secret, TOTP};

fn now_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The authenticator app for the key the page shows under "I cannot scan the code".
async fn app_from_page(b: &Browser) -> TOTP {
    b.click("details.govuk-details summary").await;
    let key = b.text("#secret").await.replace(' ', "");
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(key).to_bytes().expect("a base32 key"),
        None,
        String::new(),
    )
}

#[tokio::test]
async fn a_chief_turns_on_two_step_sign_in_and_signs_in_with_a_code() {
    let world = World::new(Backend::Sqlite).await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;

    b.open("/settings").await;
    assert!(b.body_text().await.contains("Two-step sign-in"));
    b.follow("a[href='/settings/two-step']").await;
    assert_accessible(&b, "two-step sign-in").await;
    b.screenshot("two-step-off", 1280).await;

    // The password is asked for again.
    b.follow("form[action='/settings/two-step/start'] button")
        .await;
    assert!(b
        .text(".govuk-error-summary")
        .await
        .contains("Enter your password"));
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/settings/two-step/start'] button")
        .await;
    assert_eq!(b.path().await, "/settings/two-step/setup");
    assert!(
        b.exists(".rt-qr svg[role='img']").await,
        "a QR code to scan"
    );
    assert_accessible(&b, "two-step setup").await;
    b.screenshot("two-step-setup", 1280).await;
    b.screenshot("two-step-setup", 375).await;

    // Typed by hand, as someone whose phone cannot scan would.
    let app = app_from_page(&b).await;
    b.fill("#code", "12").await;
    b.follow("form[action='/settings/two-step/confirm'] button")
        .await;
    assert!(b.exists("#code-error").await, "a wrong code is refused");
    let confirmed_at = now_step();
    b.fill("#code", &app.generate(confirmed_at * 30)).await;
    b.follow("form[action='/settings/two-step/confirm'] button")
        .await;
    assert!(b.body_text().await.contains("Two-step sign-in is on"));
    let codes: Vec<String> = {
        let mut out = Vec::new();
        for el in b
            .client
            .find_all(fantoccini::Locator::Css("#recovery-codes li"))
            .await
            .unwrap()
        {
            out.push(el.text().await.unwrap());
        }
        out
    };
    assert_eq!(codes.len(), 10);
    assert_accessible(&b, "recovery codes").await;
    b.screenshot("two-step-recovery-codes", 375).await;
    b.close().await;

    // Another browser: the password, then the code.
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert!(
        b.exists("form[action='/login/code'] #code").await,
        "asks for the code"
    );
    assert_accessible(&b, "sign-in code").await;
    b.screenshot("sign-in-code", 375).await;
    let right = app.generate((confirmed_at + 1) * 30);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    b.fill("#code", wrong).await;
    b.follow("form[action='/login/code'] button").await;
    assert!(b.text("#code-error").await.contains("not right"));
    b.fill("#code", &right).await;
    b.follow("form[action='/login/code'] button").await;
    assert_eq!(b.path().await, "/", "signed in");

    // Turning it off asks for the password too.
    b.open("/settings/two-step").await;
    assert!(b
        .body_text()
        .await
        .contains("You have 10 recovery codes left"));
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/settings/two-step/off'] button")
        .await;
    assert!(b.body_text().await.contains("Two-step sign-in is off"));
    b.close().await;

    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert_eq!(b.path().await, "/", "the password alone again");
    b.close().await;
}

#[tokio::test]
async fn a_role_that_must_use_two_step_sign_in_sets_it_up_on_the_way_in() {
    let world = World::with_settings(
        Backend::Sqlite,
        &[("ROUNDTABLE__AUTH__REQUIRE_SECOND_FACTOR", "chief_officer")],
    )
    .await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.open("/settings/feeds").await;
    b.fill("#email", CHIEF).await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/login'] button[type=submit]").await;
    assert!(b.text("h1").await.contains("Set up two-step sign-in"));
    assert!(b.exists(".rt-qr svg").await);
    assert!(!b.exists("#recovery-codes").await);
    assert_accessible(&b, "setting up at sign-in").await;
    b.screenshot("sign-in-setup", 375).await;
    let app = app_from_page(&b).await;
    b.fill("#code", &app.generate(now_step() * 30)).await;
    b.follow("form[action='/login/code'] button").await;
    assert!(b.body_text().await.contains("Two-step sign-in is on"));
    b.follow("a.govuk-button").await;
    assert_eq!(
        b.path().await,
        "/settings/feeds",
        "on to the page asked for"
    );
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert!(!b.text("h1").await.contains("Set up two-step sign-in"));
    assert!(b.exists("form[action='/login/code'] #code").await);
    b.close().await;

    // The chief lost their phone and codes: an admin removes the app.
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open("/admin/people").await;
    assert!(b
        .body_text()
        .await
        .contains("Password and authenticator app"));
    b.follow("a[href$='/two-step']").await;
    assert_accessible(&b, "removing an app").await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action$='/two-step'] button").await;
    assert!(b
        .body_text()
        .await
        .contains("The authenticator app is removed"));
    b.close().await;
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert!(
        b.text("h1").await.contains("Set up two-step sign-in"),
        "a new app, as the role requires"
    );
    b.close().await;
}
