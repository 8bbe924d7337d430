//! Signing in with an organisation's own account, in a real browser against a real OpenID
//! provider (npm's `oidc-provider`, set up like Entra ID): the admin connects Kent Police's
//! sign-in on the organisations page, a newcomer signs in there and waits for a sponsor, the
//! chief approves, and the newcomer signs in with the organisation's account.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::oidc_provider::{start_provider, Account, CLIENT_ID, CLIENT_SECRET, TENANT};
use crate::world::{World, ADMIN, CHIEF, THE_PASSWORD};

const NEWCOMER: &str = "sam.okafor@kent.example";

/// The sign-in page's second form, then the provider's login page.
async fn through_organisation(b: &Browser, email: &str, login: &str) {
    b.open("/login").await;
    b.fill("#sso_email", email).await;
    b.follow("form[action='/login/organisation'] button").await;
    b.wait_for("input[name='login']").await;
    b.fill("input[name='login']", login).await;
    b.fill("input[name='password']", "the directory's password")
        .await;
    b.follow("button[type='submit']").await;
}

#[tokio::test]
async fn a_newcomer_signs_in_with_their_forces_account_once_a_sponsor_approves() {
    let Some(provider) = start_provider() else {
        return;
    };
    let world = World::new(Backend::Sqlite).await;
    let sam = Account::member("sam", NEWCOMER, "0b6d4c1e-sam");
    let issuer = provider.tenant(TENANT, world.base(), &[sam]).await;
    let out = world.app.cli(
        &[
            "org",
            "domain",
            "add",
            "--org",
            "Kent Police",
            "--domain",
            "kent.example",
        ],
        &[],
    );
    assert!(out.status.success());

    // The admin connects Kent Police's own sign-in, first forgetting the client secret.
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open("/admin/organisations").await;
    b.set_value("#idp_organisation_id", "1").await;
    b.fill("#tenant_id", TENANT).await;
    b.fill("#issuer", &issuer).await;
    b.fill("#client_id", CLIENT_ID).await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/admin/organisations/sign-in'] button")
        .await;
    assert!(
        b.exists("#client_secret-error").await,
        "the secret is needed"
    );
    assert_accessible(&b, "organisations, sign-in errors").await;
    b.set_value("#idp_organisation_id", "1").await;
    b.fill("#tenant_id", TENANT).await;
    b.fill("#issuer", &issuer).await;
    b.fill("#client_id", CLIENT_ID).await;
    b.fill("#client_secret", CLIENT_SECRET).await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/admin/organisations/sign-in'] button")
        .await;
    assert!(
        b.body_text().await.contains("own sign-in is saved"),
        "{}",
        b.body_text().await
    );
    assert!(b.body_text().await.contains(&issuer));
    assert_accessible(&b, "organisations with a sign-in").await;
    b.screenshot("admin-organisations-sign-in", 1280).await;
    b.close().await;

    // The newcomer goes through the provider and is told a sponsor will answer.
    let b = Browser::start(world.base(), Scripts::On).await;
    b.open("/login").await;
    assert_accessible(&b, "sign in, with the organisation form").await;
    b.screenshot("login", 375).await;
    b.screenshot("login", 1280).await;
    b.fill("#sso_email", "someone@elsewhere.example").await;
    b.follow("form[action='/login/organisation'] button").await;
    assert!(b.exists("#sso_email-error").await);
    assert_accessible(&b, "sign in, no organisation sign-in for the address").await;
    through_organisation(&b, NEWCOMER, "sam").await;
    assert_eq!(
        b.text("h1").await,
        "Your request has gone to your organisation's sponsors"
    );
    assert_accessible(&b, "request waiting").await;
    b.close().await;

    // Kent's chief approves it.
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/registrations").await;
    assert!(b.body_text().await.contains(NEWCOMER));
    b.follow("form[action$='/approve'] button").await;
    b.close().await;

    // Now the same trip signs the newcomer in, back to the page they began on.
    let b = Browser::start(world.base(), Scripts::On).await;
    through_organisation(&b, NEWCOMER, "sam").await;
    assert_eq!(b.path().await, "/");
    b.open("/settings").await;
    assert!(b.body_text().await.contains("Sam Okafor"));
    b.open("/settings/organisation-account").await;
    assert!(b
        .body_text()
        .await
        .contains("Your Roundtable account has no password"));
    assert_accessible(&b, "organisation account, linked").await;
    b.screenshot("organisation-account", 375).await;
    b.close().await;

    // The people list says how the newcomer signs in.
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open("/admin/people").await;
    assert!(b
        .body_text()
        .await
        .contains("Organisation account (single sign-on)"));

    // Removing the sign-in asks the admin's password first.
    b.open("/admin/organisations").await;
    b.follow("a[href='/admin/organisations/1/sign-in/remove']")
        .await;
    b.fill("#password", "not the password").await;
    b.follow("form[action='/admin/organisations/1/sign-in/remove'] button")
        .await;
    assert!(b.exists("#password-error").await);
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/admin/organisations/1/sign-in/remove'] button")
        .await;
    assert!(b.body_text().await.contains("own sign-in is removed"));
    assert!(!b.body_text().await.contains(&issuer));
    b.close().await;
}
