//! The document library through the pages: share a file, see it listed, find it by a word
//! inside it, download it; someone outside the space gets the not-found page.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, CHIEF, SUPPLIER, THE_PASSWORD};
use roundtable_tests::fixtures;
use serde_json::json;
use std::time::{Duration, Instant};

async fn share_find_and_download(scripts: Scripts) {
    let world = World::new(Backend::Sqlite).await;
    let b = Browser::start(world.base(), scripts).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/spaces/chiefs").await;
    b.follow("a[href='/spaces/chiefs/library']").await;
    assert!(b
        .body_text()
        .await
        .contains("Nothing has been shared here yet"));
    assert!(
        b.body_text().await.contains("not checked for viruses"),
        "the upload form says scanning is off"
    );
    assert_accessible(&b, "library").await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Fleet contract terms.docx");
    std::fs::write(
        &file,
        fixtures::docx("Benchmarking clause saved 15% zqfleetterms on the fleet contract"),
    )
    .unwrap();
    // Submitting without a file says so, on the form.
    b.follow("form[action='/spaces/chiefs/library'] button[type=submit]")
        .await;
    assert!(
        b.text(".govuk-error-summary")
            .await
            .contains("Choose a file"),
        "{}",
        b.body_text().await
    );
    b.client
        .find(fantoccini::Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    b.fill(
        "#summary",
        "The benchmarking clause and the figures it produced",
    )
    .await;
    b.click("#marking-sensitive").await;
    b.follow("form[action='/spaces/chiefs/library'] button[type=submit]")
        .await;
    let path = b.path().await;
    assert!(
        path.starts_with("/documents/"),
        "lands on the document: {path}"
    );
    assert!(b.body_text().await.contains("Fleet contract terms"));
    assert!(b.text(".rt-marking").await.contains("OFFICIAL-SENSITIVE"));
    assert_accessible(&b, "document").await;
    b.screenshot("document", 1280).await;
    b.screenshot("document", 375).await;

    // Once its text is read, search finds it by a word inside.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        b.open("/search?q=zqfleetterms").await;
        if b.exists(&format!("a[href='{path}']")).await {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never found: {}",
            b.body_text().await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(b.body_text().await.contains("Word document"));
    assert_accessible(&b, "search with a document hit").await;
    b.follow(&format!("a[href='{path}']")).await;

    // The download link gives the file, to this signed-in browser.
    let href = b
        .client
        .find(fantoccini::Locator::Css("a.govuk-button[download]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let got = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.arrayBuffer().then(buf => done([r.status,
                 r.headers.get('content-disposition'), buf.byteLength])))
               .catch(e => done([0, String(e), 0]));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(got[0], 200, "{got}");
    assert!(got[1].as_str().unwrap().starts_with("attachment"), "{got}");
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(got[2].as_u64(), Some(size), "{got}");

    b.open("/spaces/chiefs/library").await;
    assert!(b.body_text().await.contains("Fleet contract terms"));
    for page in ["/spaces/chiefs/library", path.as_str()] {
        b.open(page).await;
        let wide = b.sideways_at(320).await;
        assert!(
            wide.is_empty(),
            "{page} scrolls sideways at 320px: {wide:?}"
        );
    }
    b.open("/spaces/chiefs/library").await;
    b.screenshot("library", 1280).await;
    b.screenshot("library", 375).await;
    b.close().await;

    // A supplier, who may not read the space: the same not-found page as for no document.
    let outsider = Browser::start(world.base(), scripts).await;
    outsider.sign_in(SUPPLIER, THE_PASSWORD).await;
    outsider.open(&path).await;
    let hidden = outsider.body_text().await;
    outsider.open("/documents/999999").await;
    assert_eq!(hidden, outsider.body_text().await);
    assert!(!hidden.contains("Fleet contract terms"));
    outsider.open("/search?q=zqfleetterms").await;
    assert!(!outsider.body_text().await.contains("Fleet contract terms"));
    outsider.close().await;
}

#[tokio::test]
async fn a_chief_shares_finds_and_downloads_a_document() {
    share_find_and_download(Scripts::On).await;
}

#[tokio::test]
async fn sharing_works_with_scripts_off() {
    share_find_and_download(Scripts::Off).await;
}
