//! The main flows, each run with scripts on and with scripts off.
use crate::browser::{Browser, Scripts};
use crate::helpers::{backends, Backend};
use crate::world::{World, CHIEF, SUPPLIER, THE_PASSWORD};

/// axe-core runs with scripts on; the pages are the same HTML with them off.
pub async fn assert_accessible(b: &Browser, page: &str) {
    if b.scripts == Scripts::Off {
        return;
    }
    let found = b.accessibility_violations().await;
    assert!(found.is_empty(), "axe-core on {page}: {found:#?}");
}

/// Sign in, start a thread with a preview, reply to it, reply to that reply, edit a post.
async fn a_chief_starts_a_discussion(backend: Backend, scripts: Scripts) {
    let world = World::new(backend).await;
    let b = Browser::start(world.base(), scripts).await;

    b.open("/").await;
    assert!(
        b.path().await.starts_with("/login"),
        "signed out goes to sign in"
    );
    assert_accessible(&b, "sign in").await;
    b.screenshot("sign-in", 1280).await;
    b.screenshot("sign-in", 375).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert_eq!(b.path().await, "/");
    assert!(
        b.body_text().await.contains("chiefs"),
        "home lists the spaces"
    );

    b.open("/spaces/chiefs").await;
    b.follow("a[href='/spaces/chiefs/new']").await;
    b.fill("#title", "Cloud contact centre: lessons from go-live")
        .await;
    b.fill("#tags", "cloud, contact-centre").await;
    b.click("#marking-sensitive").await;
    b.set_value(
        "#body",
        "We moved **101** to the cloud.\n\n- cost down 15%\n- calls answered faster",
    )
    .await;
    b.follow("button[value=preview]").await;
    assert!(
        b.text(".rt-preview").await.contains("cost down 15%"),
        "the preview shows the rendered post"
    );
    assert_eq!(
        b.client
            .find(fantoccini::Locator::Css("#title"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Cloud contact centre: lessons from go-live"),
        "what was typed is kept"
    );
    assert_accessible(&b, "new thread with preview").await;
    b.follow("button[value=post]").await;
    let thread_path = b.path().await;
    assert!(
        thread_path.starts_with("/threads/"),
        "{thread_path}: {}",
        b.body_text().await
    );
    assert_eq!(
        b.text("h1").await,
        "Cloud contact centre: lessons from go-live"
    );
    assert_eq!(b.text(".rt-marking").await, "OFFICIAL-SENSITIVE");
    assert!(b.exists(".rt-post__body strong").await, "Markdown rendered");

    if scripts == Scripts::On {
        b.fill("#body", "Live **preview** as I type").await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !b.exists("[data-preview-output] strong").await {
            assert!(
                std::time::Instant::now() < deadline,
                "the live preview never showed"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(b.text("[data-preview-output] strong").await, "preview");
    }
    b.set_value("#body", "Which supplier did you use?").await;
    b.follow("form[action$='/reply'] button[value=post]").await;
    assert!(b.body_text().await.contains("Which supplier did you use?"));
    let first_reply = b
        .client
        .find(fantoccini::Locator::Css("ol.rt-tree > li article"))
        .await
        .unwrap()
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    let first_reply_id = first_reply.trim_start_matches("post-").to_string();

    b.follow(&format!("a[href$='/reply?to={first_reply_id}']"))
        .await;
    assert_accessible(&b, "reply form").await;
    b.set_value("#body", "A nested answer about the supplier")
        .await;
    b.follow("button[value=post]").await;
    assert!(
        b.exists("ol.rt-tree ol.rt-tree article").await,
        "the reply to a reply is nested"
    );
    assert_accessible(&b, "thread").await;
    b.screenshot("thread", 1280).await;
    b.screenshot("thread", 375).await;

    b.follow(&format!("a[href='/posts/{first_reply_id}/edit']"))
        .await;
    b.set_value("#body", "Which supplier did you use, and for how long?")
        .await;
    b.follow("button[value=post]").await;
    assert!(b.body_text().await.contains("and for how long?"));
    assert!(
        b.exists(&format!("a[href='/posts/{first_reply_id}/revisions']"))
            .await
    );

    b.open("/").await;
    assert!(
        b.body_text().await.contains("Cloud contact centre"),
        "home shows it"
    );
    assert_accessible(&b, "home").await;
    b.screenshot("home", 1280).await;
    b.screenshot("home", 375).await;
    assert!(
        b.console_errors().await.is_empty(),
        "{:?}",
        b.console_errors().await
    );
    b.close().await;
}

#[tokio::test]
async fn a_chief_starts_a_discussion_with_scripts_on() {
    for backend in backends() {
        a_chief_starts_a_discussion(backend, Scripts::On).await;
    }
}

#[tokio::test]
async fn a_chief_starts_a_discussion_with_scripts_off() {
    a_chief_starts_a_discussion(Backend::Sqlite, Scripts::Off).await;
}

/// A digest's thread link followed while signed out arrives at the thread after sign-in; a
/// supplier reaches neither a chiefs-only thread by its address nor its title anywhere.
#[tokio::test]
async fn links_come_back_after_sign_in_and_hidden_threads_stay_hidden() {
    let world = World::new(Backend::Sqlite).await;
    let token = world.app.login(CHIEF).await;
    let (thread, _) = world
        .app
        .start_thread(
            &token,
            "chiefs",
            "Chiefs only: firearms licensing backlog",
            "Numbers attached.",
        )
        .await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.open(&format!("/threads/{thread}")).await;
    assert!(
        b.path().await.starts_with("/login?next="),
        "{}",
        b.path().await
    );
    b.fill("#email", CHIEF).await;
    b.fill("#password", THE_PASSWORD).await;
    b.follow("form[action='/login'] button[type=submit]").await;
    assert_eq!(b.path().await, format!("/threads/{thread}"));
    assert!(b.text("h1").await.contains("firearms licensing backlog"));
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(SUPPLIER, THE_PASSWORD).await;
    assert_eq!(b.path().await, "/", "{}", b.body_text().await);
    assert!(
        !b.body_text().await.contains("firearms"),
        "not on the home page"
    );
    b.open(&format!("/threads/{thread}")).await;
    assert_eq!(b.text("h1").await, "Page not found");
    assert!(!b.body_text().await.contains("firearms"));
    let hidden = b.body_text().await;
    b.open("/threads/999999").await;
    assert_eq!(
        b.body_text().await,
        hidden,
        "exactly as if it did not exist"
    );
    b.open("/spaces/chiefs").await;
    assert_eq!(b.body_text().await, hidden);
    assert_accessible(&b, "not found").await;
    b.screenshot("not-found", 1280).await;
    b.screenshot("not-found", 375).await;
    b.close().await;
}

/// Search from the box on every page, then narrow by a facet.
#[tokio::test]
async fn a_chief_searches_and_narrows_by_a_facet() {
    let world = World::new(Backend::Sqlite).await;
    let token = world.app.login(CHIEF).await;
    for (space, title) in [
        (
            "chiefs",
            "Benchmarking clause saved 15% on custody healthcare",
        ),
        ("partners", "Benchmarking clause in the new radio contract"),
    ] {
        world
            .app
            .start_thread(&token, space, title, "The benchmarking terms are attached.")
            .await;
    }
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        b.fill("#site-search", "benchmarking").await;
        b.follow(".rt-header__search button").await;
        if b.text(".govuk-grid-column-two-thirds h2")
            .await
            .contains("2 results")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never indexed: {}",
            b.body_text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert!(
        b.exists(".rt-snippet mark").await,
        "matches are highlighted"
    );
    assert_accessible(&b, "search results").await;
    b.screenshot("search", 1280).await;
    b.screenshot("search", 375).await;
    b.follow(".rt-facets a[href*='space%3Apartners']").await;
    assert!(
        b.text(".govuk-grid-column-two-thirds h2")
            .await
            .contains("1 result"),
        "{}",
        b.body_text().await
    );
    assert!(b.body_text().await.contains("radio contract"));
    assert!(!b.body_text().await.contains("custody healthcare"));
    b.open("/help/search").await;
    assert!(b.body_text().await.contains("benchmarking clause"));
    assert_accessible(&b, "search help").await;
    b.close().await;
}

/// A chief fills in their profile; others find them in the directory by portfolio and name;
/// their profile lists only the threads the visitor may read.
#[tokio::test]
async fn the_directory_finds_people_and_profiles_show_only_readable_threads() {
    let world = World::new(Backend::Sqlite).await;
    let token = world.app.login(CHIEF).await;
    world
        .app
        .start_thread(&token, "chiefs", "Chiefs only: custody estate", "Plans.")
        .await;
    world
        .app
        .start_thread(
            &token,
            "partners",
            "Open to partners: body-worn video",
            "Specs.",
        )
        .await;
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/settings/profile").await;
    b.fill("#job_title", "Chief Constable").await;
    b.click("#portfolio-it-digital").await;
    b.follow("form[action='/settings/profile'] button[type=submit]")
        .await;
    assert!(b.body_text().await.contains("Chief Constable"));
    assert!(b.body_text().await.contains("IT & digital"));
    b.close().await;

    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(SUPPLIER, THE_PASSWORD).await;
    b.open("/directory").await;
    assert!(
        b.body_text().await.contains("Kent Police"),
        "organisations by kind"
    );
    assert_accessible(&b, "directory").await;
    b.screenshot("directory", 1280).await;
    b.screenshot("directory", 375).await;
    b.open("/directory?portfolio=it-digital").await;
    assert!(b.body_text().await.contains("Test chief_officer"));
    b.follow("a[href^='/people/']").await;
    assert_eq!(b.text("h1").await, "Test chief_officer");
    let text = b.body_text().await;
    assert!(text.contains("body-worn video"), "{text}");
    assert!(
        !text.contains("custody estate"),
        "a chiefs-only thread is not listed"
    );
    assert_accessible(&b, "profile").await;
    b.open("/directory?q=nobody-called-this").await;
    assert!(b.body_text().await.contains("0 people"));
    b.close().await;
}

/// A reply in a chief's thread shows on their home page as new, with the space's unread
/// count, until they read it (the read is written off the request path, within a second or
/// two).
#[tokio::test]
async fn new_replies_show_on_the_home_page_until_read() {
    for backend in backends() {
        let world = World::new(backend).await;
        world
            .app
            .add_user("staff@kent.example", "Kent Police", "staff");
        let chief = world.app.login(CHIEF).await;
        let staff = world.app.login("staff@kent.example").await;
        let (thread, _) = world
            .app
            .start_thread(
                &chief,
                "chiefs",
                "Drone programme: first year",
                "Report attached.",
            )
            .await;
        let b = Browser::start(world.base(), Scripts::Off).await;
        b.sign_in(CHIEF, THE_PASSWORD).await;
        b.open(&format!("/threads/{thread}")).await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        world
            .app
            .reply(&staff, thread, None, "We saw the same in Essex.")
            .await;
        b.open("/").await;
        let home = b.body_text().await;
        assert!(home.contains("New replies in your threads"), "{home}");
        assert!(b.exists(".rt-unread").await);
        assert!(
            b.exists(".rt-count").await,
            "the space shows an unread count"
        );
        b.open(&format!("/threads/{thread}")).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            b.open("/").await;
            if !b.body_text().await.contains("New replies in your threads") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the read was never recorded"
            );
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        assert!(!b.exists(".rt-unread").await);
        b.close().await;
    }
}

/// "Sign out" pressed after the access token has lapsed still ends the session (it is found
/// by the refresh cookie), and never renews it; with scripts off, so nothing renews it first.
#[tokio::test]
async fn signing_out_after_the_access_token_lapsed_still_signs_out() {
    let world = World::with_settings(
        Backend::Sqlite,
        &[("ROUNDTABLE__AUTH__ACCESS_TOKEN_MINUTES", "1")],
    )
    .await;
    let b = Browser::start(world.base(), Scripts::Off).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    assert_eq!(b.path().await, "/");
    tokio::time::sleep(std::time::Duration::from_secs(65)).await;
    b.follow("form[action='/logout'] button").await;
    assert_eq!(
        b.path().await,
        "/login?signed_out=1",
        "{}",
        b.body_text().await
    );
    b.open("/").await;
    assert!(
        b.path().await.starts_with("/login"),
        "the session is over, not renewed"
    );
    let sessions = world
        .app
        .count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL")
        .await;
    assert_eq!(sessions, 0, "the page's session is revoked");
    b.close().await;
}

/// Someone writes a reply for longer than an access token lives: with scripts on, the page
/// renews the sign-in as they write, so pressing Post works.
#[tokio::test]
async fn a_long_write_keeps_its_sign_in_alive() {
    let world = World::with_settings(
        Backend::Sqlite,
        &[("ROUNDTABLE__AUTH__ACCESS_TOKEN_MINUTES", "1")],
    )
    .await;
    let token = world.app.login(CHIEF).await;
    let (thread, _) = world
        .app
        .start_thread(&token, "chiefs", "Long replies", "Take your time.")
        .await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open(&format!("/threads/{thread}/reply")).await;
    b.set_value("#body", "A reply written slowly, over more than a minute.")
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(75)).await;
    b.follow("form[action$='/reply'] button[value=post]").await;
    assert!(
        b.path().await.starts_with(&format!("/threads/{thread}")),
        "{}: {}",
        b.path().await,
        b.body_text().await
    );
    assert!(b.body_text().await.contains("written slowly"));
    b.close().await;
}
