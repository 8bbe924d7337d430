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
