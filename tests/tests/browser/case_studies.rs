//! Case studies and best practice through the pages: share a case study with the form, compare
//! a service area's case studies (sort, filter, export CSV), endorse one as best practice and
//! find it in the library; a supplier outside the space sees none of it.
use crate::browser::{Browser, Scripts};
use crate::flows::assert_accessible;
use crate::helpers::Backend;
use crate::world::{World, ADMIN, CHIEF, SUPPLIER, THE_PASSWORD};
use serde_json::{json, Value};

async fn fetch(b: &Browser, href: &str) -> Value {
    b.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))
               .catch(e => done([0, String(e), '']));",
            vec![json!(href)],
        )
        .await
        .unwrap()
}

fn row_titles(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("(case)"))
        .map(|l| {
            l.split("(case)")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_chief_shares_compares_and_exports_case_studies_and_an_admin_endorses_one() {
    let world = World::new(Backend::Sqlite).await;
    let b = Browser::start(world.base(), Scripts::On).await;
    b.sign_in(CHIEF, THE_PASSWORD).await;
    b.open("/spaces/chiefs").await;
    b.follow("a[href='/spaces/chiefs/case-studies/new']").await;
    assert_accessible(&b, "new case study").await;

    // An empty form says what is missing, on the form.
    b.follow("form[action='/spaces/chiefs/case-studies/new'] button[type=submit]")
        .await;
    assert!(
        b.exists(".govuk-error-summary").await,
        "{}",
        b.body_text().await
    );
    assert_accessible(&b, "new case study with errors").await;

    b.fill("#title", "Kent custody health care (case)").await;
    b.fill("#body", "Re-let with a benchmarking clause at month 18.")
        .await;
    b.set_value("#service_area", "custody").await;
    b.fill("#forces", "Kent Police, Essex Police").await;
    b.fill("#suppliers", "Meridian Custody Health").await;
    b.fill("#contract_start", "2024-10-01").await;
    b.fill("#contract_months", "60").await;
    b.fill("#contract_value", "14,500,000").await;
    b.fill("#annual_cost_before", "£1,200,000").await;
    b.fill("#annual_cost_after", "1,020,000").await;
    b.click("#term-benchmarking_clause").await;
    b.fill("#lessons", "Agree the comparator basket before signing.")
        .await;
    b.follow("form[action='/spaces/chiefs/case-studies/new'] button[type=submit]")
        .await;
    let thread = b.path().await;
    assert!(
        thread.starts_with("/threads/"),
        "lands on the thread: {thread}"
    );
    let page = b.body_text().await;
    assert!(page.contains("Case study: Custody"), "{page}");
    assert!(
        page.contains("15%") && page.contains("£180,000 a year"),
        "{page}"
    );
    assert!(page.contains("Benchmarking clause"), "{page}");
    assert_accessible(&b, "case study thread").await;

    // The author changes the figures and names the document they come from.
    let token = world.app.login(CHIEF).await;
    // The author attaches the costing spreadsheet to the thread, from its page.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("Custody costs 2025-26.csv");
    std::fs::write(&file, "year,cost\n2024-25,1200000\n2025-26,900000\n").unwrap();
    b.click("section[aria-labelledby='documents-heading'] details summary")
        .await;
    b.client
        .find(fantoccini::Locator::Css("#attach-file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    b.fill("#attach-title", "Custody costs 2025-26").await;
    b.follow("section[aria-labelledby='documents-heading'] button[type=submit]")
        .await;
    let doc_path = b.path().await;
    assert!(doc_path.starts_with("/documents/"), "{doc_path}");
    let doc = json!({"id": doc_path.trim_start_matches("/documents/").parse::<i64>().unwrap()});
    b.open(&thread).await;
    assert!(
        b.exists(&format!("section a[href='{doc_path}']")).await,
        "listed on the thread"
    );
    assert_accessible(&b, "thread with a document").await;
    b.follow(&format!("a[href='{thread}/case-study']")).await;
    assert_accessible(&b, "change the figures").await;
    b.fill("#annual_cost_after", "900,000").await;
    b.set_value("#source_document_id", &doc["id"].to_string())
        .await;
    b.follow(&format!(
        "form[action='{thread}/case-study'] button[type=submit]"
    ))
    .await;
    let page = b.body_text().await;
    assert!(
        page.contains("25%") && page.contains("£300,000 a year"),
        "{page}"
    );
    assert!(
        b.exists(&format!("a[href='/documents/{}']", doc["id"]))
            .await,
        "the figures link to their source"
    );
    b.follow(&format!("a[href='{thread}/case-study']")).await;
    b.fill("#annual_cost_after", "1,020,000").await;
    b.follow(&format!(
        "form[action='{thread}/case-study'] button[type=submit]"
    ))
    .await;

    // Two more, through the API, for the comparison.
    for (title, area, before, after) in [
        (
            "Essex custody in-house (case)",
            "custody",
            1_000_000,
            950_000,
        ),
        ("Fleet telematics (case)", "fleet", 800_000, 560_000),
    ] {
        let (status, body) = world
            .app
            .post(
                "/api/v1/spaces/chiefs/case-studies",
                &token,
                json!({"title": title, "body": "How it went.", "case_study": {
                    "service_area": area, "forces": ["Essex Police"],
                    "annual_cost_before": before, "annual_cost_after": after}}),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    }

    b.open("/case-studies?area=custody").await;
    assert_eq!(
        row_titles(&b.text("table").await),
        vec!["Kent custody health care", "Essex custody in-house"],
        "highest saving first"
    );
    assert_accessible(&b, "comparison").await;
    let wide = b.sideways_at(320).await;
    assert!(
        wide.is_empty(),
        "the comparison scrolls sideways at 320px: {wide:?}"
    );
    b.screenshot("case-studies", 1280).await;
    b.screenshot("case-studies", 375).await;
    // Sorting by a column heading, then filtering by saving, keeps the area.
    b.follow("th a[href*='sort=title']").await;
    assert_eq!(
        row_titles(&b.text("table").await),
        vec!["Essex custody in-house", "Kent custody health care"]
    );
    b.fill("#min_saving", "10").await;
    b.follow("form[action='/case-studies'] button[type=submit]")
        .await;
    assert_eq!(
        row_titles(&b.text("table").await),
        vec!["Kent custody health care"]
    );
    let csv_href = b
        .client
        .find(fantoccini::Locator::Css("a[href^='/case-studies.csv']"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let got = fetch(&b, &csv_href).await;
    assert_eq!(got[0], 200, "{got}");
    assert!(got[1].as_str().unwrap().starts_with("text/csv"), "{got}");
    let csv = got[2].as_str().unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(
        csv.contains("Kent custody health care (case),OFFICIAL,Custody"),
        "{csv}"
    );
    b.close().await;

    // An admin endorses the case study; it is in the best-practice library.
    let admin = Browser::start(world.base(), Scripts::On).await;
    admin.sign_in(ADMIN, THE_PASSWORD).await;
    admin.open(&thread).await;
    admin.click("details.govuk-details summary").await;
    admin
        .follow(&format!(
            "form[action='{thread}/endorsement'] button[value=save]"
        ))
        .await;
    assert!(admin.body_text().await.contains("Best practice: Current"));
    assert_accessible(&admin, "endorsed thread").await;
    admin.open("/best-practice").await;
    assert!(admin.exists(&format!("a[href='{thread}']")).await);
    assert_accessible(&admin, "best-practice library").await;
    admin.close().await;

    // The supplier: no case study, no row, no CSV line, and the not-found page.
    let outsider = Browser::start(world.base(), Scripts::On).await;
    outsider.sign_in(SUPPLIER, THE_PASSWORD).await;
    outsider.open("/case-studies").await;
    assert!(outsider
        .body_text()
        .await
        .contains("No case study you can read"));
    let got = fetch(&outsider, "/case-studies.csv").await;
    assert_eq!(got[2].as_str().unwrap().lines().count(), 1, "{got}");
    outsider.open(&thread).await;
    let hidden = outsider.body_text().await;
    outsider.open("/threads/999999").await;
    assert_eq!(hidden, outsider.body_text().await);
    outsider.open("/best-practice").await;
    assert!(!outsider.exists(&format!("a[href='{thread}']")).await);
    // Feeds: the supplier's search feed for the area finds nothing; the chief's finds it.
    let outsider_feed = feed_for(&outsider, "/search?q=area%3Acustody").await;
    let body = world.app.client.get(&outsider_feed).send().await.unwrap();
    assert_eq!(body.status(), 200);
    assert!(!body.text().await.unwrap().contains("Kent custody"));
    outsider.close().await;
    let chief = Browser::start(world.base(), Scripts::On).await;
    chief.sign_in(CHIEF, THE_PASSWORD).await;
    let chief_feed = feed_for(&chief, "/search?q=area%3Acustody").await;
    let text = world
        .app
        .client
        .get(&chief_feed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("Kent custody health care"), "{text}");
    chief.close().await;
}

/// A feed address of the signed-in person's, with `tail` in place of the space part.
async fn feed_for(b: &Browser, tail: &str) -> String {
    b.open("/settings/feeds").await;
    if b.exists("form[action='/settings/feeds'] button").await
        && !b.exists(".govuk-summary-list code").await
    {
        b.follow("form[action='/settings/feeds'] button").await;
    }
    let link = b.text(".govuk-summary-list code").await;
    let at = link.find("/spaces/").expect("a space feed link");
    format!("{}{tail}", &link[..at])
}
