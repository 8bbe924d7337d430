//! The directory API: organisations with their leaders, people by filter, profiles that list
//! only readable threads, and changing one's own profile.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_directory_lists_people_and_shows_only_readable_threads() {
    on_each_backend(|app| async move {
        let chief = app.chief_with_space("chiefs").await;
        app.add_org("Kestrelgate Ltd", "supplier");
        app.add_user("sales@kestrelgate.example", "Kestrelgate Ltd", "supplier");
        let supplier = app.login("sales@kestrelgate.example").await;
        app.start_thread(&chief, "chiefs", "Chiefs only: estates", "x")
            .await;

        let (s, me) = app
            .patch(
                "/api/v1/me",
                &chief,
                json!({"job_title": "Chief Constable", "portfolios": ["finance", "it-digital"]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["portfolios"], json!(["finance", "it-digital"]));
        let (s, body) = app
            .patch("/api/v1/me", &chief, json!({"portfolios": ["astrology"]}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "portfolios");
        let (s, body) = app
            .patch("/api/v1/me", &chief, json!({"job_title": "two\nlines"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        let (s, orgs) = app.get("/api/v1/organisations", &supplier).await;
        assert_eq!(s, StatusCode::OK);
        let kent = orgs["organisations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "Kent Police")
            .expect("Kent Police listed");
        assert_eq!(kent["leaders"][0]["job_title"], "Chief Constable");

        let (s, found) = app.get("/api/v1/people?portfolio=finance", &supplier).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(found["people"].as_array().unwrap().len(), 1);
        let (_, none) = app.get("/api/v1/people?role=pcc", &supplier).await;
        assert!(none["people"].as_array().unwrap().is_empty());
        let (s, _) = app.get("/api/v1/people?role=wizard", &supplier).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

        let id = found["people"][0]["id"].as_i64().unwrap();
        let (_, seen_by_supplier) = app.get(&format!("/api/v1/people/{id}"), &supplier).await;
        assert!(seen_by_supplier["recent_threads"]
            .as_array()
            .unwrap()
            .is_empty());
        let (_, seen_by_self) = app.get(&format!("/api/v1/people/{id}"), &chief).await;
        assert_eq!(seen_by_self["recent_threads"].as_array().unwrap().len(), 1);
        let (s, _) = app.get("/api/v1/people/999999", &supplier).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}
