//! An admin at work: creates a space for chiefs only with a member list, invites someone,
//! reads the audit log; the audience rule then holds for a supplier and for a chief not on
//! the list. Every admin page passes axe-core.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, SUPPLIER, THE_PASSWORD};

#[tokio::test]
async fn an_admin_creates_a_space_and_limits_its_audience() {
    let world = World::new(Backend::Sqlite).await;
    world
        .app
        .add_user("chief2@kent.example", "Kent Police", "chief_officer");
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    b.open("/admin").await;
    assert_accessible(&b, "admin").await;
    b.follow("a[href='/admin/spaces']").await;
    b.follow("a[href='/admin/spaces/new']").await;
    assert_accessible(&b, "new space form").await;
    b.fill("#slug", "estates-group").await;
    b.fill("#name", "Estates working group").await;
    for unticked in [
        "#read_roles-pcc",
        "#read_roles-staff",
        "#post_roles-pcc",
        "#post_roles-staff",
    ] {
        b.click(unticked).await;
    }
    b.click("#members_only").await;
    b.fill("#members", CHIEF).await;
    b.follow("form[action='/admin/spaces/new'] button[type=submit]")
        .await;
    assert!(
        b.body_text().await.contains("The space is saved"),
        "{}",
        b.body_text().await
    );
    b.screenshot("admin-space", 1280).await;
    b.screenshot("admin-space", 375).await;

    b.open("/admin/people").await;
    assert_accessible(&b, "people").await;
    b.fill("#email", "new.staff@kent.example").await;
    b.follow("form[action='/admin/invitations'] button[type=submit]")
        .await;
    assert!(b.body_text().await.contains("The invitation is sent"));
    assert!(b.body_text().await.contains("new.staff@kent.example"));
    b.screenshot("admin-people", 1280).await;
    b.screenshot("admin-people", 375).await;
    b.follow("form[action$='/resend'] button").await;
    assert!(b
        .body_text()
        .await
        .contains("A new invitation link is sent"));
    let rows = b
        .client
        .find_all(fantoccini::Locator::Css(
            ".rt-table-wrapper[aria-label='Invitations waiting to be used'] tbody tr",
        ))
        .await
        .unwrap();
    assert_eq!(
        rows.len(),
        1,
        "the old one is ended when the new one is sent"
    );
    b.follow("form[action$='/revoke'] button").await;
    assert!(b.body_text().await.contains("The invitation is withdrawn"));
    assert!(
        !b.exists(".rt-table-wrapper[aria-label='Invitations waiting to be used']")
            .await
    );
    b.fill("#email", "not an address").await;
    b.follow("form[action='/admin/invitations'] button[type=submit]")
        .await;
    assert!(b.exists("#email-error").await, "a bad address is named");

    for page in [
        "/admin",
        "/admin/people",
        "/admin/organisations",
        "/admin/spaces",
        "/admin/spaces/estates-group",
        "/admin/mail",
        "/admin/audit",
    ] {
        b.open(page).await;
        assert_accessible(&b, page).await;
        let wide = b.sideways_at(320).await;
        assert!(
            wide.is_empty(),
            "{page} scrolls sideways at 320px: {wide:?}"
        );
    }
    b.open("/admin/audit?action=space.").await;
    assert!(b.body_text().await.contains("space.create"));
    assert_accessible(&b, "audit").await;
    b.screenshot("admin-audit", 1280).await;
    b.close().await;

    let token = world.app.login(CHIEF).await;
    let (thread, _) = world
        .app
        .start_thread(
            &token,
            "estates-group",
            "Estates disposal: the Maidstone site",
            "Plans.",
        )
        .await;
    for outsider in [SUPPLIER, "chief2@kent.example"] {
        let b = Browser::start(world.base(), Scripts::On).await;
        b.sign_in(outsider, THE_PASSWORD).await;
        assert!(!b.body_text().await.contains("Estates"), "{outsider}: home");
        for page in [
            format!("/threads/{thread}"),
            "/spaces/estates-group".to_string(),
        ] {
            b.open(&page).await;
            assert_eq!(b.text("h1").await, "Page not found", "{outsider}: {page}");
        }
        b.open("/search?q=Maidstone").await;
        assert!(
            !b.body_text().await.contains("Maidstone site"),
            "{outsider}: search"
        );
        b.open("/admin").await;
        assert_eq!(
            b.text("h1").await,
            "You cannot do that here",
            "{outsider}: admin"
        );
        b.close().await;
    }
}

/// Changes the chief's role to PCC with the people page's form.
async fn make_the_chief_a_pcc(b: &Browser, chief_id: i64) {
    b.open("/admin/people").await;
    b.set_value(&format!("#role-{chief_id}"), "pcc").await;
    b.follow(&format!(
        "form[action='/admin/people/{chief_id}/role'] button"
    ))
    .await;
}

#[tokio::test]
async fn changing_a_role_needs_a_recent_sign_in_or_the_admins_password() {
    // Signed in just now: the change is made at once.
    let world = World::new(Backend::Sqlite).await;
    let chief_id = world
        .app
        .get("/api/v1/me", &world.app.login(CHIEF).await)
        .await
        .1["id"]
        .as_i64()
        .unwrap();
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    make_the_chief_a_pcc(&b, chief_id).await;
    assert!(b.body_text().await.contains("The role is changed."));
    b.close().await;

    // No sign-in counts as recent: the password is asked for on a page of its own.
    let world = World::with_settings(
        Backend::Sqlite,
        &[("ROUNDTABLE__AUTH__RECENT_SIGN_IN_MINUTES", "0")],
    )
    .await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(ADMIN, THE_PASSWORD).await;
    make_the_chief_a_pcc(&b, chief_id).await;
    assert!(b
        .text("h1")
        .await
        .contains("to Police and Crime Commissioner"));
    assert_accessible(&b, "role change, password").await;
    b.follow("form[action$='/role'] button").await;
    assert!(b
        .text(".govuk-error-summary")
        .await
        .contains("Enter your password"));
    b.fill("#password", "not my password").await;
    b.follow("form[action$='/role'] button").await;
    assert!(b
        .text(".govuk-error-summary")
        .await
        .contains("The password is not right"));
    assert_accessible(&b, "role change, wrong password").await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action$='/role'] button").await;
    assert!(b.body_text().await.contains("The role is changed."));
    let (_, me) = world
        .app
        .get("/api/v1/me", &world.app.login(CHIEF).await)
        .await;
    assert_eq!(me["role"], "pcc");
    b.close().await;
}
