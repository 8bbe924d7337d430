//! Best practice through the running server: an admin endorses a thread and a document with an
//! owner, a review date and a status; the owner reviews it; a superseded item points to its
//! successor in search (and ranks below it) and in the library; the owner's digest reminds them
//! of a review that falls due; nobody outside the space learns anything.
use crate::documents::{search_until, upload};
use crate::helpers::{on_each_backend, TestApp};
use crate::mail::{iso_week, next_default_due};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

#[tokio::test]
async fn endorsed_material_has_an_owner_a_review_date_and_a_successor() {
    on_each_backend(|app| async move {
        let chief = app.chief_with_space("practice").await;
        app.add_user("staff@kent.example", "Kent Police", "staff");
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        app.add_org("Acme Systems", "supplier");
        app.add_user("rep@acme.example", "Acme Systems", "supplier");
        let admin = app.login("admin@ops.example").await;
        let outsider = app.login("rep@acme.example").await;
        let (old, _) = app
            .start_thread(&chief, "practice", "Custody handover guidance 2023", "zqhandover steps, first edition")
            .await;
        let (new, _) = app
            .start_thread(&chief, "practice", "Custody handover guidance 2026", "zqhandover steps, revised")
            .await;
        let (status, doc) = upload(
            &app,
            &chief,
            "/api/v1/spaces/practice/documents",
            "checklist.txt",
            b"zqhandover checklist for custody sergeants".to_vec(),
            &[("title", "Handover checklist")],
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        let doc = doc["id"].as_i64().unwrap();

        // Only a moderator endorses; someone outside the space gets 404 as for nothing.
        let path = format!("/api/v1/threads/{old}/endorsement");
        let (status, _) = put(&app, &path, &chief, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = put(&app, &path, &outsider, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, e) = put(
            &app,
            &path,
            &admin,
            json!({"owner": "chief@kent.example", "review_due": "2027-03-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(e["status"], "current");
        assert_eq!(e["owner"]["display_name"], "Test chief_officer");
        assert_eq!(e["review_due"], "2027-03-01");
        // An owner who cannot read the space is refused.
        let (status, body) = put(&app, &path, &admin, json!({"owner": "rep@acme.example"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "owner");
        let (status, body) = put(&app, &path, &admin, json!({"colour": "red"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        // The owner reviews it (but may not hand it to someone else).
        let (status, e) = put(&app, &path, &chief, json!({"status": "under_review"})).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(e["status"], "under_review");
        let (status, _) = put(&app, &path, &chief, json!({"owner": "staff@kent.example"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Superseded needs a successor the person can read.
        let (status, body) = put(&app, &path, &chief, json!({"status": "superseded"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = put(
            &app,
            &path,
            &chief,
            json!({"status": "superseded", "superseded_by": format!("/threads/{old}")}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, e) = put(
            &app,
            &path,
            &chief,
            json!({"status": "superseded", "superseded_by": format!("http://x.example/threads/{new}")}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(e["superseded_by"]["path"], format!("/threads/{new}"));
        let (_, t) = app.get(&format!("/api/v1/threads/{old}"), &chief).await;
        assert_eq!(t["best_practice"], false, "a superseded thread is not badged: {t}");
        let (status, e) = put(
            &app,
            &format!("/api/v1/threads/{new}/endorsement"),
            &admin,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (status, e) = put(
            &app,
            &format!("/api/v1/documents/{doc}/endorsement"),
            &admin,
            json!({"review_due": chrono::Utc::now().date_naive().succ_opt().unwrap().succ_opt().unwrap().to_string()}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{e}");

        // Search: current material first, the superseded one last and pointing onwards.
        let found = search_until(&app, &chief, "zqhandover is:best-practice", 2).await;
        assert_eq!(found["total"], 2, "{found}");
        let found = search_until(&app, &chief, "zqhandover is:superseded", 1).await;
        assert_eq!(found["hits"][0]["thread_id"], old, "{found}");
        let found = search_until(&app, &chief, "zqhandover", 3).await;
        let hits = found["hits"].as_array().unwrap();
        let last = hits.last().unwrap();
        assert_eq!(last["thread_id"], old, "superseded ranks last: {found}");
        assert_eq!(last["best_practice"]["status"], "superseded");
        assert_eq!(
            last["best_practice"]["superseded_by"]["path"],
            format!("/threads/{new}")
        );
        assert!(hits[..2].iter().all(|h| h["best_practice"]["status"] == "current"), "{found}");

        // The library: current first, superseded last; one space's library; nothing outside.
        let (status, lib) = app.get("/api/v1/best-practice", &chief).await;
        assert_eq!(status, StatusCode::OK, "{lib}");
        let kinds: Vec<(String, String)> = lib
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["item"]["path"].as_str().unwrap().to_string(), e["status"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(kinds.len(), 3, "{lib}");
        assert_eq!(kinds[2], (format!("/threads/{old}"), "superseded".to_string()));
        let (_, lib) = app.get("/api/v1/best-practice?space=practice&status=superseded", &chief).await;
        assert_eq!(lib.as_array().unwrap().len(), 1, "{lib}");
        let (status, lib) = app.get("/api/v1/best-practice", &outsider).await;
        assert_eq!((status, lib), (StatusCode::OK, json!([])));
        let (status, _) = app.get("/api/v1/best-practice?space=practice", &outsider).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The owner's digest lists the review falling due, with a link to the document.
        let week = iso_week(next_default_due(chrono::Utc::now()));
        let out = app.cli(&["digest", "preview", "--user", "chief@kent.example", "--week", &week], &[]);
        let preview = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(preview.contains("REVIEWS DUE"), "{preview}");
        assert!(preview.contains("Handover checklist"), "{preview}");
        assert!(preview.contains(&format!("/documents/{doc}")), "{preview}");
        assert!(!preview.contains("Custody handover guidance 2023"), "superseded is not due: {preview}");

        // Withdrawing: admins only; the thread flag follows.
        let (status, _) = app.delete(&format!("/api/v1/threads/{new}/endorsement"), &chief).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.delete(&format!("/api/v1/threads/{new}/endorsement"), &admin).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, t) = app.get(&format!("/api/v1/threads/{new}"), &chief).await;
        assert_eq!(t["best_practice"], false);
        let (status, _) = app.delete(&format!("/api/v1/threads/{new}/endorsement"), &admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The thread setting still endorses, now with an owner and a review date.
        let (status, _) = app
            .patch(&format!("/api/v1/threads/{new}"), &admin, json!({"best_practice": true}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, lib) = app.get("/api/v1/best-practice?status=current", &chief).await;
        assert!(lib
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["item"]["path"] == format!("/threads/{new}") && e["owner"]["display_name"] == "Test chief_officer"), "{lib}");
    })
    .await;
}
