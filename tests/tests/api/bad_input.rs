//! Malformed requests get a 4xx with the error shape, never a 5xx.
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn setup(app: &TestApp) -> (String, i64) {
    let token = app.chief_with_space("it-digital").await;
    let (thread, _) = app
        .start_thread(&token, "it-digital", "A thread", "Body")
        .await;
    (token, thread)
}

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    expect: Option<u16>,
    field: Option<&'static str>,
}

fn case(
    name: &'static str,
    method: Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    expect: Option<u16>,
) -> Case {
    Case {
        name,
        method,
        path: path.to_string(),
        content_type: Some("application/json"),
        body: body.into(),
        expect,
        field: None,
    }
}

#[tokio::test]
async fn malformed_requests_get_a_clear_4xx() {
    on_each_backend(|app| async move {
        let (token, thread) = setup(&app).await;
        let threads = "/api/v1/spaces/it-digital/threads";
        let posts = format!("/api/v1/threads/{thread}/posts");
        let long_title = json!({"title": "t".repeat(10_000), "body": "b"}).to_string();
        let huge = json!({"title": "big", "body": "x".repeat(2 * 1024 * 1024)}).to_string();
        let long_body = json!({"title": "ok", "body": "y".repeat(100_001)}).to_string();
        let many_tags = json!({"title": "ok", "body": "b", "tags": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>()}).to_string();
        let mut cases = vec![
            case("truncated JSON", Method::POST, threads, r#"{"title": "x", "body": "#, Some(400)),
            case("not JSON at all", Method::POST, threads, "title=x&body=y", Some(400)),
            case("empty body", Method::POST, threads, "", Some(400)),
            case("wrong types", Method::POST, threads, r#"{"title": 5, "body": ["a"]}"#, Some(400)),
            case("tags not a list", Method::POST, threads, r#"{"title": "x", "body": "y", "tags": "cloud"}"#, Some(400)),
            case("unknown field", Method::POST, threads, r#"{"title": "x", "body": "y", "pinned": true}"#, Some(400)),
            case("unknown marking", Method::POST, threads, r#"{"title": "x", "body": "y", "marking": "SECRET"}"#, Some(400)),
            case("missing title", Method::POST, threads, r#"{"body": "y"}"#, Some(400)),
            case("blank title", Method::POST, threads, r#"{"title": "   ", "body": "y"}"#, Some(422)),
            case("10k-character title", Method::POST, threads, long_title, Some(422)),
            case("body over the limit", Method::POST, threads, long_body, Some(422)),
            case("too many tags", Method::POST, threads, many_tags, Some(422)),
            case("tag with spaces", Method::POST, threads, r#"{"title": "x", "body": "y", "tags": ["two words"]}"#, Some(422)),
            case("huge body", Method::POST, threads, huge, Some(413)),
            case("null bytes", Method::POST, threads, "{\"title\": \"x\", \"body\": \"a\\u0000b\"}", Some(422)),
            case("parent from nowhere", Method::POST, &posts, r#"{"body": "y", "parent_id": 999999}"#, Some(422)),
            case("parent_id a string", Method::POST, &posts, r#"{"body": "y", "parent_id": "one"}"#, Some(400)),
            case("reply to missing thread", Method::POST, "/api/v1/threads/999999/posts", r#"{"body": "y"}"#, Some(404)),
            case("edit missing post", Method::PATCH, "/api/v1/posts/999999", r#"{"body": "y"}"#, Some(404)),
            case("edit with unknown field", Method::PATCH, &format!("/api/v1/threads/{thread}"), r#"{"colour": "red"}"#, Some(400)),
            case("delete missing post", Method::DELETE, "/api/v1/posts/424242", "", Some(404)),
            case("missing thread", Method::GET, "/api/v1/threads/999999", "", Some(404)),
            case("non-numeric id", Method::GET, "/api/v1/threads/abc", "", Some(404)),
            case("negative id", Method::GET, "/api/v1/threads/-1", "", Some(404)),
            case("id beyond 32 bits", Method::GET, "/api/v1/threads/99999999999999999999", "", Some(404)),
            case("invalid UTF-8 in path", Method::GET, "/api/v1/spaces/%FF%FE/threads", "", None),
            case("invalid UTF-8 in id", Method::GET, "/api/v1/posts/%C3%28", "", None),
            case("missing space", Method::GET, "/api/v1/spaces/no-such-space/threads", "", Some(404)),
            case("limit zero", Method::GET, &format!("{threads}?limit=0"), "", Some(422)),
            case("limit not a number", Method::GET, &format!("{threads}?limit=lots"), "", Some(400)),
            case("cursor garbage", Method::GET, &format!("{threads}?cursor=%%%%"), "", None),
            case("cursor tampered", Method::GET, &format!("{threads}?cursor=bm90LWEtY3Vyc29y"), "", Some(422)),
            case("unknown route", Method::GET, "/api/v1/nothing-here", "", Some(404)),
            case("unknown logout scope", Method::POST, "/api/v1/auth/logout?scope=galaxy", "", Some(422)),
        ];
        cases[9].field = Some("title");
        cases[10].field = Some("body");
        cases[11].field = Some("tags");
        cases.push(Case {
            name: "wrong content type",
            method: Method::POST,
            path: threads.to_string(),
            content_type: Some("text/plain"),
            body: br#"{"title": "x", "body": "y"}"#.to_vec(),
            expect: Some(415),
            field: None,
        });
        cases.push(Case {
            name: "invalid UTF-8 in body",
            method: Method::POST,
            path: threads.to_string(),
            content_type: Some("application/json"),
            body: b"{\"title\": \"\xff\xfe\", \"body\": \"y\"}".to_vec(),
            expect: Some(400),
            field: None,
        });

        let mut failures = Vec::new();
        for c in cases {
            let mut req = app.client.request(c.method.clone(), app.url(&c.path)).bearer_auth(&token);
            if let Some(ct) = c.content_type {
                req = req.header("content-type", ct);
            }
            let res = req.body(c.body).send().await.expect("request");
            let status = res.status();
            let body: serde_json::Value = serde_json::from_str(&res.text().await.unwrap_or_default()).unwrap_or_default();
            let shaped = body["error"]["code"].is_string() && body["error"]["message"].is_string();
            let ok_status = match c.expect {
                Some(code) => status.as_u16() == code,
                None => status.is_client_error(),
            };
            let ok_field = c.field.is_none_or(|f| body["error"]["field"] == f);
            if !(ok_status && shaped && ok_field) {
                failures.push(format!("{}: got {} {}", c.name, status, body));
            }
        }
        assert!(failures.is_empty(), "{:?}:\n{}", app.backend, failures.join("\n"));
        let (s, _) = app.get("/readyz", &token).await;
        assert_eq!(s, StatusCode::OK, "still healthy after all that");
    })
    .await;
}

#[tokio::test]
async fn bodies_are_objects_integers_may_be_written_8_0_and_nul_is_refused_not_a_500() {
    on_each_backend(|app| async move {
        let (token, thread) = setup(&app).await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let replies = format!("/api/v1/threads/{thread}/posts");
        let (s, body) = app.post(&replies, &token, json!(["as an array"])).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, body) = app
            .request(
                Method::PUT,
                "/api/v1/me/preferences",
                Some(&token),
                Some(json!({"notifications": [false, false]})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "a section as an array: {body}");
        let (s, first) = app.post(&replies, &token, json!({"body": "first"})).await;
        assert_eq!(s, StatusCode::CREATED);
        let parent = first["id"].as_f64().unwrap();
        let (s, body) = app
            .post(&replies, &token, json!({"body": "an 8.0 id", "parent_id": parent}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "an integral number is an integer: {body}");
        for (path, who, body, field) in [
            (replies.as_str(), &token, json!({"body": "a\u{0}b"}), "body"),
            (
                "/api/v1/spaces",
                &admin,
                json!({"slug": "nul", "name": "a\u{0}b", "read_roles": ["pcc"], "post_roles": ["pcc"]}),
                "name",
            ),
            (
                "/api/v1/auth/login",
                &token,
                json!({"email": "a\u{0}@x.example", "password": "x"}),
                "email",
            ),
        ] {
            let (s, answer) = app.post(path, who, body).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{path}: {answer}");
        }
        for path in ["/api/v1/spaces/a%00b/threads", "/api/v1/search?q=a%00b"] {
            let (s, answer) = app.get(path, &admin).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {answer}");
            assert_error_shape(&answer, path);
        }
        // Role lists take exact role names only.
        for roles in [json!(["staff,pcc"]), json!([""]), json!([" pcc"])] {
            let (s, answer) = app
                .post(
                    "/api/v1/spaces",
                    &admin,
                    json!({"slug": "loose", "name": "Loose", "read_roles": roles, "post_roles": []}),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{roles}: {answer}");
        }
        // An oversized refresh body gets the JSON error shape too.
        let res = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header("content-type", "application/json")
            .body(vec![b' '; 2 * 1024 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_error_shape(&answer, "oversized refresh");
    })
    .await;
}
