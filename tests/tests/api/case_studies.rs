//! Case studies with costing data, through the running server: create, read, compare (filter
//! and sort), export CSV, find by `area:`, `supplier:` and numbers in search; and someone who
//! may not read the space sees none of it in any channel (API, comparison, CSV, search, feed).
use crate::documents::search_until;
use crate::helpers::{on_each_backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn figures(area: &str, supplier: &str, before: i64, after: i64, value: i64) -> Value {
    json!({
        "service_area": area,
        "forces": ["Kent Police", "Essex Police"],
        "suppliers": [supplier],
        "contract_start": "2024-04-01",
        "contract_months": 60,
        "contract_value": value,
        "annual_cost_before": before,
        "annual_cost_after": after,
        "terms": ["benchmarking_clause", "open_book"],
        "outcomes": "Detention officers rostered to demand.",
        "lessons": "Agree the benchmark basket before signing.",
        "contact": "Head of Commercial, Kent Police",
    })
}

async fn create(app: &TestApp, token: &str, title: &str, fig: Value) -> (StatusCode, Value) {
    app.post(
        "/api/v1/spaces/commercial/case-studies",
        token,
        json!({"title": title, "body": format!("How {title} was done."), "tags": ["custody"],
               "marking": "OFFICIAL", "case_study": fig}),
    )
    .await
}

/// Kent's chief in `commercial` (chiefs only), and a supplier who may not read it.
async fn people(app: &TestApp) -> (String, String) {
    let chief = app.chief_with_space("commercial").await;
    app.add_org("Acme Systems", "supplier");
    app.add_user("rep@acme.example", "Acme Systems", "supplier");
    app.add_space(
        "partners",
        "chief_officer,supplier",
        "chief_officer,supplier",
        None,
    );
    (chief, app.login("rep@acme.example").await)
}

async fn csv(app: &TestApp, token: &str, query: &str) -> (StatusCode, String, String) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/case-studies.csv{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

#[tokio::test]
async fn case_studies_are_created_compared_exported_and_searched_by_their_figures() {
    on_each_backend(|app| async move {
        let (chief, outsider) = people(&app).await;
        let (status, kent) = create(
            &app,
            &chief,
            "Kent custody benchmarking",
            figures(
                "custody",
                "Custodia Services Ltd",
                1_200_000,
                1_020_000,
                450_000,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{kent}");
        let kent = kent["id"].as_i64().unwrap();
        let (_, essex) = create(
            &app,
            &chief,
            "Essex custody gain-share",
            figures("custody", "Other Co", 1_000_000, 950_000, 2_000_000),
        )
        .await;
        let essex = essex["id"].as_i64().unwrap();
        let (_, fleet) = create(
            &app,
            &chief,
            "=HYPERLINK(\"http://evil.example\") fleet",
            figures("fleet", "Custodia Services Ltd", 800_000, 560_000, 300_000),
        )
        .await;
        let fleet = fleet["id"].as_i64().unwrap();

        // Refusals name the field.
        for (bad, field) in [
            (figures("canteens", "X", 10, 5, 1), "service_area"),
            (figures("custody", "X", 0, 5, 1), "annual_cost_before"),
            (figures("custody", "X", 10, -5, 1), "annual_cost_after"),
            (
                json!({"service_area": "custody", "forces": ["Kent"], "annual_cost_before": 10,
                       "annual_cost_after": 5, "terms": ["bribery"]}),
                "terms",
            ),
        ] {
            let (status, body) = create(&app, &chief, "Refused", bad).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["error"]["field"], field, "{body}");
        }

        // The figures, with the saving computed and its basis stated.
        let (status, one) = app
            .get(&format!("/api/v1/case-studies/{kent}"), &chief)
            .await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert_eq!(one["saving"]["amount"], 180_000);
        assert_eq!(one["saving"]["percent"], 15.0);
        assert!(one["saving"]["basis"]
            .as_str()
            .unwrap()
            .contains("£1,200,000 before and £1,020,000 after"));
        assert_eq!(one["service_area"]["name"], "Custody");
        assert_eq!(one["terms"][0]["label"], "Benchmarking clause");
        let (status, _) = app
            .get(&format!("/api/v1/case-studies/{}", kent + 100), &chief)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Compare one area, filtered by saving and sorted.
        let (status, cmp) = app
            .get(
                "/api/v1/case-studies?area=custody&sort=saving&order=desc",
                &chief,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cmp}");
        let ids: Vec<i64> = cmp["case_studies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["thread_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![kent, essex]);
        let (_, cmp) = app.get("/api/v1/case-studies?min_saving=10", &chief).await;
        let ids: Vec<i64> = cmp["case_studies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["thread_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![fleet, kent], "30% then 15%, Essex's 5% left out");
        let (_, cmp) = app
            .get(
                "/api/v1/case-studies?supplier=custodia&sort=value&order=asc",
                &chief,
            )
            .await;
        assert_eq!(cmp["case_studies"][0]["thread_id"], fleet);
        assert_eq!(cmp["case_studies"].as_array().unwrap().len(), 2);
        let (status, body) = app.get("/api/v1/case-studies?sort=colour", &chief).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // CSV: the same rows, numbers as numbers, formulas neutralised.
        let (status, kind, text) = csv(&app, &chief, "?area=custody").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/csv"), "{kind}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("Title,Marking,Service area"), "{text}");
        assert!(
            lines[1].starts_with("Kent custody benchmarking,OFFICIAL,Custody"),
            "{text}"
        );
        assert!(
            lines[1].contains(",450000,1200000,1020000,180000,15,"),
            "{text}"
        );
        let (_, _, all) = csv(&app, &chief, "").await;
        assert!(all.contains("\"'=HYPERLINK("), "{all}");

        // Search understands the figures.
        let found = search_until(&app, &chief, "area:custody saving>=10", 1).await;
        assert_eq!(found["hits"][0]["thread_id"], kent, "{found}");
        let found = search_until(&app, &chief, "value<500000 supplier:custodia", 2).await;
        assert_eq!(found["total"], 2, "{found}");
        let found = search_until(&app, &chief, "saving<10", 1).await;
        assert_eq!(found["hits"][0]["thread_id"], essex, "{found}");

        // Changing the figures changes the comparison and search.
        let (status, changed) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/case-studies/{essex}"),
                Some(&chief),
                Some(figures(
                    "custody", "Other Co", 1_000_000, 500_000, 2_000_000,
                )),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["saving"]["percent"], 50.0);
        let found = search_until(&app, &chief, "saving>=50", 1).await;
        assert_eq!(found["hits"][0]["thread_id"], essex, "{found}");

        // Someone who may not read the space: nothing, in every channel.
        for path in [
            format!("/api/v1/case-studies/{kent}"),
            format!("/api/v1/threads/{kent}"),
        ] {
            let (status, body) = app.get(&path, &outsider).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        }
        let (status, body) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/case-studies/{kent}"),
                Some(&outsider),
                Some(figures("custody", "Mine", 10, 1, 1)),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, cmp) = app.get("/api/v1/case-studies", &outsider).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cmp["case_studies"], json!([]), "{cmp}");
        let (_, _, text) = csv(&app, &outsider, "").await;
        assert_eq!(text.lines().count(), 1, "header only: {text}");
        for q in [
            "area:custody",
            "saving>=0",
            "supplier:custodia",
            "benchmarking",
        ] {
            let (_, found) = app
                .get(&format!("/api/v1/search?q={}", urlencode(q)), &outsider)
                .await;
            assert_eq!(found["total"], 0, "{q}: {found}");
        }
        let (status, _) = app
            .get("/api/v1/spaces/commercial/threads", &outsider)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The supplier's own space works for them, and stays out of the chief's other lists.
        let (status, body) = app
            .post(
                "/api/v1/spaces/partners/case-studies",
                &outsider,
                json!({"title": "Supplier view of fleet telematics", "body": "Our account.",
                       "case_study": figures("fleet", "Acme Systems", 100_000, 90_000, 50_000)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, cmp) = app.get("/api/v1/case-studies", &outsider).await;
        assert_eq!(cmp["case_studies"].as_array().unwrap().len(), 1, "{cmp}");
    })
    .await;
}

#[tokio::test]
async fn service_areas_are_a_managed_list() {
    on_each_backend(|app| async move {
        let chief = app.chief_with_space("commercial").await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let (status, areas) = app.get("/api/v1/service-areas", &chief).await;
        assert_eq!(status, StatusCode::OK);
        assert!(areas
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["slug"] == "control-room"));
        let new = json!({"slug": "call-handling", "name": "Call handling"});
        let (status, _) = app.post("/api/v1/service-areas", &chief, new.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app.post("/api/v1/service-areas", &admin, new.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, _) = app.post("/api/v1/service-areas", &admin, new).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = create(
            &app,
            &chief,
            "Shared call handling",
            figures("call-handling", "X", 100, 90, 1),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    })
    .await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_deleted_replys_attachment_stops_being_a_source_or_endorsable() {
    on_each_backend(|app| async move {
        let (chief, _) = people(&app).await;
        let (status, cs) = create(
            &app,
            &chief,
            "Costed with a spreadsheet",
            figures("custody", "X", 100, 90, 1),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{cs}");
        let thread = cs["id"].as_i64().unwrap();
        let reply = app
            .reply(&chief, thread, None, "The costs are attached.")
            .await;
        let (status, doc) = crate::documents::upload(
            &app,
            &chief,
            &format!("/api/v1/posts/{reply}/documents"),
            "costs.csv",
            b"year,cost\n2025,100\n2026,90\n".to_vec(),
            &[("title", "Custody costs zqsource")],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        let doc = doc["id"].as_i64().unwrap();
        let mut with_source = figures("custody", "X", 100, 90, 1);
        with_source["source_document_id"] = json!(doc);
        let (status, body) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/case-studies/{thread}"),
                Some(&chief),
                Some(with_source.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["source_document"]["title"], "Custody costs zqsource");

        // The reply goes, and its attachment with it, everywhere.
        let (status, _) = app.delete(&format!("/api/v1/posts/{reply}"), &chief).await;
        assert!(status.is_success(), "{status}");
        let (_, body) = app
            .get(&format!("/api/v1/case-studies/{thread}"), &chief)
            .await;
        assert_eq!(body["source_document"], Value::Null, "{body}");
        let (_, cmp) = app.get("/api/v1/case-studies", &chief).await;
        assert_eq!(
            cmp["case_studies"][0]["source_document"],
            Value::Null,
            "{cmp}"
        );
        let (status, body) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/case-studies/{thread}"),
                Some(&chief),
                Some(with_source),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (_, t) = app.get(&format!("/api/v1/threads/{thread}"), &chief).await;
        assert_eq!(t["attachments"], json!([]), "{t}");
        // Endorsing it answers as for no document at all.
        let (gone, _) = app
            .request(
                reqwest::Method::PUT,
                &format!("/api/v1/documents/{doc}/endorsement"),
                Some(&chief),
                Some(json!({})),
            )
            .await;
        let (none, _) = app
            .request(
                reqwest::Method::PUT,
                "/api/v1/documents/999999/endorsement",
                Some(&chief),
                Some(json!({})),
            )
            .await;
        assert_eq!((gone, none), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    })
    .await;
}
