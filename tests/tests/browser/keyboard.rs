//! Every main step by keyboard alone: tab to a field, type, tab to the button, press Enter. No
//! mouse, and focus lands where a person expects.
use crate::browser::{Browser, Scripts};
use crate::helpers::Backend;
use crate::world::{World, CHIEF, THE_PASSWORD};
use fantoccini::key::Key;

/// Presses Tab until the element matching `css` has the focus (at most `limit` times).
async fn tab_to(b: &Browser, css: &str, limit: usize) {
    for _ in 0..limit {
        let focused = b
            .client
            .execute(
                "return document.activeElement.matches(arguments[0]);",
                vec![css.into()],
            )
            .await
            .expect("ask what has focus");
        if focused == serde_json::Value::Bool(true) {
            return;
        }
        b.client
            .active_element()
            .await
            .expect("the focused element")
            .send_keys(&Key::Tab)
            .await
            .expect("press Tab");
    }
    panic!("{css} never took the focus within {limit} presses of Tab");
}

async fn type_here(b: &Browser, text: &str) {
    b.client
        .active_element()
        .await
        .expect("the focused element")
        .send_keys(text)
        .await
        .expect("type");
}

async fn press_enter_and_load(b: &Browser) {
    let old = b
        .client
        .find(fantoccini::Locator::Css("body"))
        .await
        .unwrap();
    b.client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Enter)
        .await
        .expect("press Enter");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while old.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "Enter loaded no new page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sign_in_and_reply_by_keyboard_alone() {
    let world = World::new(Backend::Sqlite).await;
    let token = world.app.login(CHIEF).await;
    let (thread, _) = world
        .app
        .start_thread(
            &token,
            "chiefs",
            "Keyboard only",
            "Can you reply without a mouse?",
        )
        .await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.open(&format!("/threads/{thread}")).await;
    assert!(b.path().await.starts_with("/login"));
    tab_to(&b, "a.govuk-skip-link", 3).await;
    tab_to(&b, "#email", 10).await;
    type_here(&b, CHIEF).await;
    tab_to(&b, "#password", 2).await;
    type_here(&b, THE_PASSWORD).await;
    press_enter_and_load(&b).await;
    assert_eq!(b.path().await, format!("/threads/{thread}"));
    tab_to(&b, "#body", 60).await;
    type_here(&b, "Yes: tab, type, tab, Enter.").await;
    tab_to(&b, "form[action$='/reply'] button[value=post]", 3).await;
    press_enter_and_load(&b).await;
    assert!(b.body_text().await.contains("Yes: tab, type, tab, Enter."));
    b.close().await;
}
