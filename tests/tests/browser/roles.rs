//! Every page type, signed in as each role, on the demo data: axe-core finds nothing serious
//! or critical, nothing is logged as an error, and the screenshots for the README are taken
//! from here (a chief officer's home and a thread with replies).
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::World;

const DEMO_PASSWORD: &str = "a demo password for the page tests";

#[tokio::test]
async fn every_page_type_is_accessible_for_every_role() {
    let world = World::new(Backend::Sqlite).await;
    let out = world.app.cli(
        &["seed", "--demo"],
        &[("ROUNDTABLE_DEMO_PASSWORD", DEMO_PASSWORD)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let people = [
        ("admin", "admin@roundtable.example"),
        ("chief", "helen.ashdown@kent.police.example"),
        ("pcc", "richard.fairbairn@opcc-kent.example"),
        ("staff", "daniel.oyelaran@kent.police.example"),
        ("supplier", "james.whitlock@kestrelgate.example"),
    ];
    for (role, email) in people {
        let b = Browser::start(world.base(), Scripts::On).await;
        b.sign_in(email, DEMO_PASSWORD).await;
        assert_eq!(b.path().await, "/", "{role} signs in");
        assert_accessible(&b, &format!("home as {role}")).await;
        let space = b
            .client
            .find(fantoccini::Locator::Css(".rt-space-list a"))
            .await
            .expect("a space on the home page")
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        b.open(&space).await;
        assert_accessible(&b, &format!("space as {role}")).await;
        let thread = b
            .client
            .find(fantoccini::Locator::Css(
                ".rt-thread-list a[href^='/threads/']",
            ))
            .await
            .expect("a thread in the space")
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        b.open(&thread).await;
        assert_accessible(&b, &format!("thread as {role}")).await;
        for (page, width) in [
            ("home", 320),
            ("space", 320),
            ("thread", 320),
            ("thread", 640),
        ] {
            let path = match page {
                "home" => "/".to_string(),
                "space" => space.clone(),
                _ => thread.clone(),
            };
            b.open(&path).await;
            let wide = b.sideways_at(width).await;
            assert!(
                wide.is_empty(),
                "the {page} page as {role} at {width}px: {wide:?}"
            );
        }
        let mut pages = vec![
            "/search?q=procurement".to_string(),
            "/directory".into(),
            "/directory?q=a".into(),
            "/settings".into(),
            "/settings/email".into(),
            "/settings/profile".into(),
            "/settings/password".into(),
            "/settings/feeds".into(),
            "/help/search".into(),
            "/help/writing".into(),
            "/threads/999999".into(),
        ];
        if role != "supplier" || b.exists("a[href$='/new']").await {
            pages.push(format!("{space}/new"));
        }
        pages.push(format!("{thread}/reply"));
        for page in pages {
            b.open(&page).await;
            assert_accessible(&b, &format!("{page} as {role}")).await;
            let errors = b.console_errors().await;
            assert!(errors.is_empty(), "{page} as {role}: {errors:#?}");
            for width in [320, 640] {
                let wide = b.sideways_at(width).await;
                assert!(wide.is_empty(), "{page} as {role} at {width}px: {wide:?}");
            }
            if role == "chief" {
                let name = page
                    .trim_start_matches('/')
                    .replace(['/', '?', '='], "-")
                    .replace(|c: char| c.is_ascii_digit(), "");
                b.screenshot(&format!("chief-{name}"), 1280).await;
                b.screenshot(&format!("chief-{name}"), 375).await;
            }
        }
        if role == "chief" {
            b.open(&space).await;
            b.screenshot("demo-space", 1280).await;
            b.screenshot("demo-space", 375).await;
            b.open("/").await;
            b.screenshot("demo-home", 1280).await;
            b.screenshot("demo-home", 375).await;
            b.open(&thread).await;
            b.screenshot("demo-thread", 1280).await;
            b.screenshot("demo-thread", 375).await;
        }
        b.close().await;
    }
}
