//! Every role × every kind of space × every channel, with the expected answer written down.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;

const ROLES: [&str; 5] = ["chief_officer", "pcc", "staff", "supplier", "admin"];

/// Expected outcome per cell. `L` listed / `-` not listed (list spaces), a status code, or
/// `n/a` where the role has no post of its own there (it could never post in that space).
///
/// Spaces:
/// - open:     read & post chief_officer,pcc,staff,supplier
/// - limited:  read chief_officer,pcc; post chief_officer
/// - members:  read & post chief_officer,pcc,staff, member list [pcc, staff]
/// - archived: like open, archived after its content was written
/// - locked:   like open; the thread used is locked after its content was written
///
/// Channels: list_spaces, list_threads, read_thread, start_thread, reply, edit_own,
/// delete_own (the role's own reply), edit_other, delete_other (a reply by the admin).
const EXPECTED: &str = "
# space    channel       chief_officer  pcc   staff  supplier  admin
open       list_spaces   L              L     L      L         L
open       list_threads  200            200   200    200       200
open       read_thread   200            200   200    200       200
open       start_thread  201            201   201    201       201
open       reply         201            201   201    201       201
open       edit_own      200            200   200    200       200
open       delete_own    204            204   204    204       204
open       edit_other    403            403   403    403       200
open       delete_other  403            403   403    403       204
limited    list_spaces   L              L     -      -         L
limited    list_threads  200            200   404    404       200
limited    read_thread   200            200   404    404       200
limited    start_thread  201            403   404    404       201
limited    reply         201            403   404    404       201
limited    edit_own      200            n/a   n/a    n/a       200
limited    delete_own    204            n/a   n/a    n/a       204
limited    edit_other    403            403   404    404       200
limited    delete_other  403            403   404    404       204
members    list_spaces   -              L     L      -         L
members    list_threads  404            200   200    404       200
members    read_thread   404            200   200    404       200
members    start_thread  404            201   201    404       201
members    reply         404            201   201    404       201
members    edit_own      n/a            200   200    n/a       200
members    delete_own    n/a            204   204    n/a       204
members    edit_other    404            403   403    404       200
members    delete_other  404            403   403    404       204
archived   list_spaces   L              L     L      L         L
archived   list_threads  200            200   200    200       200
archived   read_thread   200            200   200    200       200
archived   start_thread  403            403   403    403       403
archived   reply         403            403   403    403       403
archived   edit_own      403            403   403    403       200
archived   delete_own    403            403   403    403       204
archived   edit_other    403            403   403    403       200
archived   delete_other  403            403   403    403       204
locked     list_spaces   L              L     L      L         L
locked     list_threads  200            200   200    200       200
locked     read_thread   200            200   200    200       200
locked     start_thread  201            201   201    201       201
locked     reply         403            403   403    403       201
locked     edit_own      403            403   403    403       200
locked     delete_own    403            403   403    403       204
locked     edit_other    403            403   403    403       200
locked     delete_other  403            403   403    403       204
";

const ALL4: &str = "chief_officer,pcc,staff,supplier";

struct World {
    tokens: HashMap<&'static str, String>,
    /// space -> (slug, thread id)
    threads: HashMap<&'static str, (String, i64)>,
    /// (space, role) -> (post to edit, post to delete) written by that role
    own: HashMap<(&'static str, &'static str), (i64, i64)>,
    /// (space, role) -> (post to edit, post to delete) written by the admin
    other: HashMap<(&'static str, &'static str), (i64, i64)>,
}

async fn build_world(app: &TestApp) -> World {
    app.add_org("Kent Police", "force");
    app.add_org("Roundtable Operations", "operator");
    let email = |role: &str| format!("{role}@matrix.example");
    for role in ROLES {
        let org = if role == "admin" {
            "Roundtable Operations"
        } else {
            "Kent Police"
        };
        app.add_user(&email(role), org, role);
    }
    let members = format!("{},{}", email("pcc"), email("staff"));
    let spaces: [(&'static str, &str, &str, Option<&str>); 5] = [
        ("open", ALL4, ALL4, None),
        ("limited", "chief_officer,pcc", "chief_officer", None),
        (
            "members",
            "chief_officer,pcc,staff",
            "chief_officer,pcc,staff",
            Some(members.as_str()),
        ),
        ("archived", ALL4, ALL4, None),
        ("locked", ALL4, ALL4, None),
    ];
    let mut tokens = HashMap::new();
    for role in ROLES {
        tokens.insert(role, app.login(&email(role)).await);
    }
    let admin = tokens["admin"].clone();
    let mut world = World {
        tokens,
        threads: HashMap::new(),
        own: HashMap::new(),
        other: HashMap::new(),
    };
    for (kind, read, post, members) in spaces {
        let slug = format!("{kind}-space");
        app.add_space(&slug, read, post, members);
        let (thread, _) = app
            .start_thread(&admin, &slug, &format!("The {kind} thread"), "Opening post")
            .await;
        world.threads.insert(kind, (slug.clone(), thread));
        for role in ROLES {
            let token = world.tokens[role].clone();
            let (status, _) = app
                .post(
                    &format!("/api/v1/threads/{thread}/posts"),
                    &token,
                    json!({"body": "mine to edit"}),
                )
                .await;
            if status == StatusCode::CREATED {
                let edit = app.reply(&token, thread, None, "mine to edit").await;
                let delete = app.reply(&token, thread, None, "mine to delete").await;
                world.own.insert((kind, role), (edit, delete));
            }
            let edit = app
                .reply(
                    &admin,
                    thread,
                    None,
                    &format!("admin's post for {role} to edit"),
                )
                .await;
            let delete = app
                .reply(
                    &admin,
                    thread,
                    None,
                    &format!("admin's post for {role} to delete"),
                )
                .await;
            world.other.insert((kind, role), (edit, delete));
        }
        if kind == "archived" {
            let (s, b) = app
                .patch(
                    &format!("/api/v1/spaces/{slug}"),
                    &admin,
                    json!({"archived": true}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
        if kind == "locked" {
            let (s, b) = app
                .patch(
                    &format!("/api/v1/threads/{thread}"),
                    &admin,
                    json!({"locked": true}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    world
}

async fn observe(
    app: &TestApp,
    world: &World,
    space: &'static str,
    channel: &str,
    role: &'static str,
) -> String {
    let token = &world.tokens[role];
    let (slug, thread) = &world.threads[space];
    let status = |s: StatusCode| s.as_u16().to_string();
    match channel {
        "list_spaces" => {
            let (s, body) = app.get("/api/v1/spaces", token).await;
            assert_eq!(s, StatusCode::OK);
            let listed = body["spaces"].as_array().unwrap().iter().any(|sp| sp["slug"] == slug.as_str());
            if listed { "L" } else { "-" }.to_string()
        }
        "list_threads" => status(app.get(&format!("/api/v1/spaces/{slug}/threads"), token).await.0),
        "read_thread" => status(app.get(&format!("/api/v1/threads/{thread}"), token).await.0),
        "start_thread" => status(
            app.post(
                &format!("/api/v1/spaces/{slug}/threads"),
                token,
                json!({"title": format!("New by {role}"), "body": "text", "tags": [], "marking": "OFFICIAL"}),
            )
            .await
            .0,
        ),
        "reply" => status(app.post(&format!("/api/v1/threads/{thread}/posts"), token, json!({"body": "a reply"})).await.0),
        "edit_own" | "delete_own" | "edit_other" | "delete_other" => {
            let map = if channel.ends_with("own") { &world.own } else { &world.other };
            let Some((edit, delete)) = map.get(&(space, role)) else {
                return "n/a".to_string();
            };
            if channel.starts_with("edit") {
                status(app.patch(&format!("/api/v1/posts/{edit}"), token, json!({"body": "changed"})).await.0)
            } else {
                status(app.delete(&format!("/api/v1/posts/{delete}"), token).await.0)
            }
        }
        other => panic!("unknown channel {other}"),
    }
}

#[tokio::test]
async fn every_role_space_and_channel_answers_as_the_table_says() {
    on_each_backend(|app| async move {
        let world = build_world(&app).await;
        let mut mismatches = Vec::new();
        let mut cells = 0;
        for line in EXPECTED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let cols: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(cols.len(), 2 + ROLES.len(), "bad table row {line}");
            let space: &'static str = world
                .threads
                .keys()
                .find(|k| **k == cols[0])
                .copied()
                .expect("space kind");
            for (i, role) in ROLES.iter().enumerate() {
                let got = observe(&app, &world, space, cols[1], role).await;
                cells += 1;
                if got != cols[2 + i] {
                    mismatches.push(format!(
                        "{} {} {}: expected {}, got {}",
                        cols[0],
                        cols[1],
                        role,
                        cols[2 + i],
                        got
                    ));
                }
            }
        }
        assert!(cells >= 225, "the table covers {cells} cells");
        assert!(
            mismatches.is_empty(),
            "{:?} backend:\n{}",
            app.backend,
            mismatches.join("\n")
        );
    })
    .await;
}

#[tokio::test]
async fn a_hidden_thread_is_indistinguishable_from_a_missing_one() {
    on_each_backend(|app| async move {
        app.add_org("Essex Police", "force");
        app.add_org("Supplier Ltd", "supplier");
        app.add_user("chief@essex.example", "Essex Police", "chief_officer");
        app.add_user("rep@supplier.example", "Supplier Ltd", "supplier");
        app.add_space("chiefs", "chief_officer", "chief_officer", None);
        let chief = app.login("chief@essex.example").await;
        let supplier = app.login("rep@supplier.example").await;
        let (thread, post) = app
            .start_thread(&chief, "chiefs", "Chiefs only", "secret-ish")
            .await;
        let (hidden_status, hidden_body) = app
            .get(&format!("/api/v1/threads/{thread}"), &supplier)
            .await;
        let (missing_status, missing_body) = app.get("/api/v1/threads/999999", &supplier).await;
        assert_eq!(hidden_status, StatusCode::NOT_FOUND);
        assert_eq!(
            hidden_body, missing_body,
            "same body for hidden and missing"
        );
        assert_eq!(missing_status, StatusCode::NOT_FOUND);
        let (s, _) = app.get(&format!("/api/v1/posts/{post}"), &supplier).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app
            .get(&format!("/api/v1/posts/{post}/revisions"), &supplier)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app.get("/api/v1/spaces/chiefs/threads", &supplier).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, b) = app
            .request(reqwest::Method::GET, "/api/v1/spaces", None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error_shape(&b, "no token");
    })
    .await;
}
