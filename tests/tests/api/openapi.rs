//! The OpenAPI document tells tools the truth: every path parameter is declared, every
//! operation lists the errors it can answer, request bodies refuse unknown fields as the server
//! does, and a method a path does not list answers 405 with `Allow`.
use crate::helpers::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

/// Whether the concrete `url` fits the `template` (a parameter takes any non-empty segment).
fn fits(template: &str, url: &str) -> bool {
    let (t, u): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), url.split('/').collect());
    t.len() == u.len()
        && t.iter()
            .zip(&u)
            .all(|(t, u)| t == u || (t.starts_with('{') && !u.is_empty()))
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

/// The schema a `$ref` points at, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling {r}")),
        None => schema,
    }
}

#[tokio::test]
async fn every_operation_declares_its_parameters_and_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let global_security = doc["security"].as_array().cloned().unwrap_or_default();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "only {} paths", paths.len());
    let mut problems = Vec::new();
    let mut operations = 0;
    for (path, item) in paths {
        let in_path = path_params(path);
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            operations += 1;
            let label = format!("{} {path}", method.to_uppercase());
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in &in_path {
                let declared = params
                    .iter()
                    .any(|p| p["in"] == "path" && p["name"] == *name && p["required"] == true);
                if !declared {
                    problems.push(format!("{label}: path parameter `{name}` is not declared"));
                }
            }
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap_or_default();
                if !in_path.contains(&name) {
                    problems.push(format!("{label}: declares `{name}`, not in the path"));
                }
            }
            let responses = op["responses"].as_object().expect("responses");
            let mut need = |code: &str, why: &str| {
                if !responses.contains_key(code) {
                    problems.push(format!("{label}: does not document {code} ({why})"));
                }
            };
            let security = op
                .get("security")
                .and_then(Value::as_array)
                .unwrap_or(&global_security);
            let public = security.is_empty()
                || security
                    .iter()
                    .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
            if !public {
                need("401", "it needs a signed-in user");
            }
            if !in_path.is_empty() && path.starts_with("/api/v1/") {
                need("404", "it has a path parameter");
            }
            if params.iter().any(|p| p["in"] == "query") {
                need("400", "a query string can be unreadable");
            }
            if let Some(body) = op.get("requestBody") {
                need("400", "a body can be unreadable");
                need("415", "a body can be sent as something other than JSON");
                need("413", "a body can be too large");
                if let Some(schema) = body.pointer("/content/application~1json/schema") {
                    let schema = resolve(&doc, schema);
                    if schema["type"] == "object" && schema["additionalProperties"] != false {
                        problems.push(format!(
                            "{label}: the body allows unknown fields, which the server refuses"
                        ));
                    }
                }
            }
            for (code, response) in responses {
                let is_error = code.starts_with('4') || code.starts_with('5');
                let json = response.pointer("/content/application~1json/schema");
                if let (true, true, Some(schema)) = (is_error, path.starts_with("/api/v1/"), json) {
                    if schema["$ref"] != "#/components/schemas/ErrorBody" {
                        problems.push(format!("{label}: {code} is not the error shape"));
                    }
                }
            }
        }
    }
    assert!(operations >= 29, "only {operations} operations");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn an_unknown_method_on_a_known_path_is_405_with_allow() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let documented: BTreeSet<String> = METHODS
            .iter()
            .filter(|m| item.get(**m).is_some())
            .map(|m| m.to_uppercase())
            .collect();
        let url = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        // A method another path of the document routes this URL to is answered there
        // (`GET /invitations/accept` is `GET /invitations/{token}`).
        let elsewhere: BTreeSet<String> = paths
            .iter()
            .filter(|(other, _)| *other != path && fits(other, &url))
            .flat_map(|(_, other)| METHODS.iter().filter(|m| other.get(**m).is_some()))
            .map(|m| m.to_uppercase())
            .collect();
        for method in METHODS.iter().map(|m| m.to_uppercase()) {
            if documented.contains(&method) || elsewhere.contains(&method) {
                continue;
            }
            let res = app
                .client
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(&url),
                )
                .send()
                .await
                .expect("request");
            let label = format!("{method} {url}");
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{label}");
            let allow: BTreeSet<String> = res
                .headers()
                .get("allow")
                .unwrap_or_else(|| panic!("{label}: no Allow header"))
                .to_str()
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_string())
                .collect();
            assert_eq!(allow, documented, "{label}: Allow");
            if method != "HEAD" {
                let body: Value = res.json().await.expect("a JSON body");
                assert_eq!(
                    body["error"]["code"], "method_not_allowed",
                    "{label}: {body}"
                );
            }
        }
    }

    // The routes outside the document answer the same way, and an unknown path stays 404.
    let res = app
        .client
        .post(app.url("/threads/7"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET");
    let (status, body) = app
        .request(Method::DELETE, "/api/v1/no-such-thing", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_document_states_the_running_limits() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("ROUNDTABLE__LIMITS__TITLE_CHARS", "80"),
            ("ROUNDTABLE__LIMITS__TAGS", "3"),
        ],
    )
    .await;
    let doc = document(&app).await;
    let start = &doc["components"]["schemas"]["StartThread"]["properties"];
    let pattern = start["title"]["pattern"].as_str().expect("a title pattern");
    assert!(pattern.contains("{0,78}"), "{pattern}");
    assert_eq!(start["tags"]["maxItems"], 3);
    let long_title = "x".repeat(81);
    let token = app.chief_with_space("limits").await;
    let (status, body) = app
        .post(
            "/api/v1/spaces/limits/threads",
            &token,
            serde_json::json!({"title": long_title, "body": "text"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "title");
}
