//! A person's own data through the pages: the download asks for the password again, and
//! deleting the account (with its warnings and the box to tick) signs them out for good while
//! their thread reads on under "Former member".
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, THE_PASSWORD};

#[tokio::test]
async fn a_chief_downloads_their_data_and_deletes_their_account() {
    let world = World::new(Backend::Sqlite).await;
    let token = world.app.login(CHIEF).await;
    let (thread, _) = world
        .app
        .start_thread(
            &token,
            "chiefs",
            "Radio rollout lessons",
            "zyxkept opening post",
        )
        .await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/settings").await;
    b.follow("a[href='/settings/your-data']").await;
    assert_eq!(b.text("h1").await, "Your data");
    assert_accessible(&b, "your data").await;
    b.screenshot("your-data", 1280).await;
    b.screenshot("your-data", 375).await;
    b.fill("#password", "not my password").await;
    b.follow("form[action='/settings/your-data'] button").await;
    assert!(b
        .text(".govuk-error-summary")
        .await
        .contains("The password is not right"));
    assert_accessible(&b, "your data, wrong password").await;

    b.follow("a[href='/settings/delete-account']").await;
    assert_eq!(b.text("h1").await, "Delete your account");
    assert_accessible(&b, "delete your account").await;
    b.screenshot("delete-account", 1280).await;
    b.screenshot("delete-account", 375).await;

    // Nothing happens without the box ticked and the password.
    b.follow("form[action='/settings/delete-account'] button")
        .await;
    let summary = b.text(".govuk-error-summary").await;
    assert!(summary.contains("Tick the box"), "{summary}");
    assert!(summary.contains("Enter your password"), "{summary}");
    assert_accessible(&b, "delete your account, errors").await;
    b.screenshot("delete-account-errors", 375).await;

    b.click("#understood").await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/settings/delete-account'] button")
        .await;
    assert!(b.path().await.starts_with("/login"));
    assert!(b
        .body_text()
        .await
        .contains("Your account has been deleted."));
    b.open("/settings").await;
    assert!(b.path().await.starts_with("/login"), "signed out");
    b.close().await;

    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert!(
        b.path().await.starts_with("/login"),
        "the old password no longer signs in"
    );
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open(&format!("/threads/{thread}")).await;
    let byline = b.text(".rt-post__author").await;
    assert!(byline.starts_with("Former member "), "{byline}");
    assert!(b.body_text().await.contains("zyxkept opening post"));
    assert!(!b.body_text().await.contains("Kent Police · Chief officer"));
    b.open("/admin/people").await;
    assert!(b.body_text().await.contains("Deleted by its owner"));
    assert!(!b.body_text().await.contains(CHIEF));
    b.close().await;
}
