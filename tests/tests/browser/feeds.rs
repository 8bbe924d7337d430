//! Feeds: links made in settings work without signing in, hold only what their owner may
//! read, never the title of an OFFICIAL-SENSITIVE thread, and stop when reset.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, CHIEF, SUPPLIER, THE_PASSWORD};
use serde_json::json;

async fn feed_links(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for el in b
        .client
        .find_all(fantoccini::Locator::Css(".govuk-summary-list code"))
        .await
        .unwrap()
    {
        out.push(el.text().await.unwrap());
    }
    out
}

#[tokio::test]
async fn feed_links_show_only_what_their_owner_may_read_and_stop_when_reset() {
    let world = World::new(Backend::Sqlite).await;
    let app = &world.app;
    let chief = app.login(CHIEF).await;
    app.start_thread(&chief, "chiefs", "Fleet electrification costs", "Figures.")
        .await;
    let (s, _) = app
        .post(
            "/api/v1/spaces/chiefs/threads",
            &chief,
            json!({"title": "Covert site relocation", "body": "x", "tags": [], "marking": "OFFICIAL-SENSITIVE"}),
        )
        .await;
    assert!(s.is_success());

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/settings/feeds").await;
    b.follow("form[action='/settings/feeds'] button").await;
    assert_accessible(&b, "feeds settings").await;
    let links = feed_links(&b).await;
    let chiefs_feed = links
        .iter()
        .find(|l| l.ends_with("/spaces/chiefs"))
        .expect("a feed link for the chiefs space")
        .clone();
    let atom = app.client.get(&chiefs_feed).send().await.unwrap();
    assert_eq!(atom.status(), 200);
    assert!(atom.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let body = atom.text().await.unwrap();
    assert!(body.contains("Fleet electrification costs"), "{body}");
    assert!(
        !body.contains("Covert site"),
        "no sensitive title in a feed"
    );
    assert!(body.contains("An OFFICIAL-SENSITIVE thread"));

    let search_feed = chiefs_feed.replace("/spaces/chiefs", "/search?q=fleet");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let body = app
            .client
            .get(&search_feed)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("Fleet electrification") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "search feed never had it: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    b.follow("form[action='/settings/feeds'] button").await;
    let old = app.client.get(&chiefs_feed).send().await.unwrap();
    assert_eq!(old.status(), 404, "a reset cuts off the old link");
    let renewed = feed_links(&b).await;
    let new_feed = renewed
        .iter()
        .find(|l| l.ends_with("/spaces/chiefs"))
        .unwrap();
    assert_eq!(app.client.get(new_feed).send().await.unwrap().status(), 200);
    b.open("/settings/password").await;
    b.fill("#current_password", THE_PASSWORD).await;
    b.fill("#new_password", "another long passphrase").await;
    b.fill("#confirm_password", "another long passphrase").await;
    b.follow("form[action='/settings/password'] button").await;
    assert_eq!(
        app.client.get(new_feed).send().await.unwrap().status(),
        404,
        "a password change withdraws the feed links with the sessions"
    );
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(SUPPLIER, THE_PASSWORD).await;
    b.open("/settings/feeds").await;
    b.follow("form[action='/settings/feeds'] button").await;
    let theirs = feed_links(&b).await;
    assert!(!theirs.iter().any(|l| l.ends_with("/spaces/chiefs")));
    let partners = theirs
        .iter()
        .find(|l| l.ends_with("/spaces/partners"))
        .unwrap();
    let forged = partners.replace("/spaces/partners", "/spaces/chiefs");
    assert_eq!(
        app.client.get(&forged).send().await.unwrap().status(),
        404,
        "a supplier's feed token does not open the chiefs' space"
    );
    b.close().await;
}
