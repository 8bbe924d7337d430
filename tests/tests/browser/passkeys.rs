//! Passkeys through the pages, in Chromium with WebDriver's virtual authenticator standing in
//! for a laptop's Windows Hello or a security key: added in settings, then used at sign-in
//! instead of an app's code; without scripts, the pages say a passkey needs JavaScript.
use crate::browser::{free_port, Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::{Backend, TestApp, PASSWORD};

const CHIEF: &str = "chief@kent.example";

#[tokio::test]
async fn a_passkey_added_in_settings_is_the_second_step_of_signing_in() {
    // Passkeys need a domain name: the server's public address is localhost.
    let port = free_port();
    let base = format!("http://localhost:{port}");
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("ROUNDTABLE__SERVER__BIND", &format!("127.0.0.1:{port}")),
            ("ROUNDTABLE__SERVER__PUBLIC_URL", &base),
        ],
    )
    .await;
    app.add_org("Kent Police", "force");
    app.add_user(CHIEF, "Kent Police", "chief_officer");

    let b = Browser::start(&base, Scripts::On).await;
    b.add_virtual_authenticator().await;
    b.sign_in(CHIEF, PASSWORD).await;
    b.open("/settings/two-step").await;
    b.follow("a[href='/settings/passkeys']").await;
    assert_eq!(b.text("h1").await, "Passkeys and security keys");
    assert!(b.body_text().await.contains("You have no passkeys"));
    assert_accessible(&b, "passkeys, none").await;
    b.fill("#name", "Work laptop").await;
    b.fill("#password", PASSWORD).await;
    b.follow("form[action='/settings/passkeys'] button").await;
    // The first second factor: ten recovery codes, shown once.
    assert!(b.exists("#recovery-codes").await, "{}", b.body_text().await);
    b.follow("a.govuk-button").await;
    assert!(b.body_text().await.contains("Work laptop"));
    assert!(b.body_text().await.contains("The passkey is added"));
    assert_accessible(&b, "passkeys, one").await;
    b.screenshot("passkeys", 375).await;
    b.screenshot("passkeys", 1280).await;

    // Signing in again: the password, then the passkey instead of a code.
    b.client.delete_all_cookies().await.unwrap();
    b.sign_in(CHIEF, PASSWORD).await;
    assert_eq!(b.text("h1").await, "Enter your code");
    assert!(b.exists("form[action='/login/passkey']").await);
    assert_accessible(&b, "code page with a passkey").await;
    b.screenshot("login-code-passkey", 375).await;
    b.follow("form[action='/login/passkey'] button").await;
    assert_eq!(b.path().await, "/", "{}", b.body_text().await);
    b.open("/settings/passkeys").await;
    assert!(
        !b.body_text().await.contains("not used yet"),
        "its use is noted"
    );
    b.close().await;

    // Without scripts the page says what is missing, and the code still works.
    let b = Browser::start(&base, Scripts::Off).await;
    b.sign_in(CHIEF, PASSWORD).await;
    b.follow("form[action='/login/passkey'] button").await;
    assert!(
        b.text(".govuk-error-summary")
            .await
            .contains("needs JavaScript"),
        "{}",
        b.body_text().await
    );
    b.close().await;
}
