//! The script-injection payloads typed into the pages' forms as titles, bodies and tags: no
//! dialog opens, nothing is logged as an error, and every page still renders.
use crate::browser::{Browser, Scripts};
use crate::helpers::Backend;
use crate::world::{World, CHIEF, THE_PASSWORD};
use roundtable_tests::xss::PAYLOADS;

async fn still_safe(b: &Browser, page: &str) {
    assert!(!b.dialog_open().await, "a dialog opened on {page}");
    assert!(b.exists("h1").await, "{page} did not render");
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors on {page}: {errors:#?}");
}

#[tokio::test]
async fn payloads_typed_into_forms_stay_text() {
    let world = World::new(Backend::Sqlite).await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    let mut threads = Vec::new();
    for payload in PAYLOADS {
        b.open("/spaces/chiefs/new").await;
        b.set_value("#title", payload).await;
        b.set_value("#tags", payload).await;
        b.set_value("#body", payload).await;
        b.follow("button[value=preview]").await;
        still_safe(&b, &format!("the preview of {payload:?}")).await;
        b.follow("button[value=post]").await;
        still_safe(&b, &format!("the refusal of {payload:?}")).await;
        assert!(
            b.exists(".govuk-error-summary").await,
            "the payload as a tag is refused: {payload:?}"
        );
        b.set_value("#tags", "security").await;
        b.follow("button[value=post]").await;
        let path = b.path().await;
        assert!(
            path.starts_with("/threads/"),
            "{payload:?} → {path}: {}",
            b.body_text().await
        );
        still_safe(&b, &format!("the thread {payload:?}")).await;
        let collapsed = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            collapsed(&b.text("h1").await),
            collapsed(payload),
            "the title is shown as typed"
        );
        threads.push(path);
    }
    for page in ["/", "/spaces/chiefs", "/search?q=alert"] {
        b.open(page).await;
        still_safe(&b, page).await;
    }
    b.close().await;
}

/// Payloads as names (through the invitation page) and job titles (through the profile page),
/// then shown in the directory, on profiles and beside posts.
#[tokio::test]
async fn payloads_as_names_and_job_titles_stay_text() {
    let world = World::new(Backend::Sqlite).await;
    let admin = world.app.login(crate::world::ADMIN).await;
    let b = Browser::start(world.base(), Scripts::On).await;
    for (i, payload) in PAYLOADS.iter().enumerate().step_by(3) {
        let email = format!("person{i}@kent.example");
        let (status, body) = world
            .app
            .post(
                "/api/v1/invitations",
                &admin,
                serde_json::json!({"email": email, "role": "staff"}),
            )
            .await;
        assert!(status.is_success(), "{body}");
        let token = crate::mail_links::invitation_token_for(&world, &email).await;
        b.open(&format!("/invitations/{token}")).await;
        b.set_value("#display_name", payload).await;
        b.fill("#password", "a long enough passphrase").await;
        b.fill("#confirm_password", "a long enough passphrase")
            .await;
        b.follow("form button[type=submit]").await;
        still_safe(&b, &format!("the invitation with name {payload:?}")).await;
        b.sign_in(&email, "a long enough passphrase").await;
        still_safe(&b, &format!("home of {payload:?}")).await;
        b.open("/settings/profile").await;
        b.set_value("#job_title", payload).await;
        b.follow("form[action='/settings/profile'] button[type=submit]")
            .await;
        still_safe(&b, &format!("the profile of {payload:?}")).await;
        let collapsed = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(collapsed(&b.text("h1").await), collapsed(payload));
        b.open("/spaces/chiefs/new").await;
        b.set_value("#title", "A thread by a hostile name").await;
        b.set_value("#body", "Hello.").await;
        b.follow("button[value=post]").await;
        still_safe(&b, &format!("a post by {payload:?}")).await;
        b.open("/directory?role=staff").await;
        still_safe(&b, "the directory").await;
        b.follow("form[action='/logout'] button").await;
    }
    b.close().await;
}
