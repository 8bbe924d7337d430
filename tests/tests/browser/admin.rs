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
