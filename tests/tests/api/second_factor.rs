//! Two-step sign-in with an authenticator app (TOTP) and recovery codes, through the API as an
//! authenticator app and a client would use it: the secret is read back from the `otpauth://`
//! address by totp-rs, as a phone app reads the QR code.
use crate::csrf::{cookie_login, with_cookies, OWN_ORIGIN};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use totp_rs::TOTP;

const CHIEF: &str = "chief@kent.example";

fn now_step() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30
}

/// The authenticator app: its code for `step`.
fn code(app: &TOTP, step: u64) -> String {
    app.generate(step * 30)
}

async fn kent_chief(app: &TestApp) -> String {
    app.add_org("Kent Police", "force");
    app.add_user(CHIEF, "Kent Police", "chief_officer");
    app.login(CHIEF).await
}

/// Sets up an authenticator for the holder of `token`: the app and its recovery codes, and
/// the step of the code that confirmed it.
async fn turn_on(app: &TestApp, token: &str) -> (TOTP, Vec<String>, u64) {
    let (s, enrolment) = app.post("/api/v1/me/totp", token, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{enrolment}");
    let url = enrolment["otpauth_url"].as_str().unwrap();
    let authenticator = TOTP::from_url(url).expect("an otpauth address an app can read");
    assert_eq!(
        authenticator.get_secret_base32(),
        enrolment["secret"].as_str().unwrap()
    );
    assert_eq!(authenticator.issuer.as_deref(), Some("Roundtable"));
    assert_eq!(authenticator.account_name, CHIEF);
    assert_eq!((authenticator.digits, authenticator.step), (6, 30));
    let step = now_step();
    let (s, body) = app
        .post(
            "/api/v1/me/totp/confirm",
            token,
            json!({"code": code(&authenticator, step)}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let codes: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (authenticator, codes, step)
}

async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> (StatusCode, Value) {
    app.request(
        Method::POST,
        "/api/v1/auth/mfa",
        None,
        Some(json!({"mfa_token": mfa_token, "code": code})),
    )
    .await
}

/// Signs in with the password and answers the second step's token.
async fn password_step(app: &TestApp) -> String {
    let (s, body) = app.login_full(CHIEF, PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["mfa_required"], json!(true), "{body}");
    assert!(body.get("access_token").is_none(), "no session yet: {body}");
    body["mfa_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn an_authenticator_app_makes_sign_in_ask_for_its_code_once_each() {
    on_each_backend(|app| async move {
        let token = kent_chief(&app).await;
        let elsewhere = app.login(CHIEF).await;

        // Started but not confirmed: nothing changes yet.
        let (s, _) = app.post("/api/v1/me/totp", &token, json!({})).await;
        assert_eq!(s, StatusCode::OK);
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["second_factor"]["authenticator"], json!(false), "{me}");
        assert!(app.login_full(CHIEF, PASSWORD).await.1["access_token"].is_string());

        let (s, body) = app
            .post("/api/v1/me/totp/confirm", &token, json!({"code": "12345"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "code");

        let (authenticator, recovery, confirmed_step) = turn_on(&app, &token).await;
        assert_eq!(recovery.len(), 10);
        let distinct: std::collections::HashSet<_> = recovery.iter().collect();
        assert_eq!(distinct.len(), 10);
        // Other sessions ended; this one goes on.
        assert_eq!(
            app.get("/api/v1/me", &elsewhere).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["second_factor"]["authenticator"], json!(true), "{me}");
        assert_eq!(me["second_factor"]["recovery_codes_left"], json!(10));
        // Nothing stored would let a copy of the database make codes or use recovery codes.
        let secret = authenticator.get_secret_base32();
        let db = app.db().await;
        for (table, column) in [
            ("totp_factors", "secret_sealed"),
            ("recovery_codes", "code_hash"),
        ] {
            let rows = stored_text(&db, table, column).await;
            assert!(!rows.is_empty(), "{table}");
            for row in rows {
                assert!(!row.contains(&secret), "{table}.{column}");
                assert!(recovery.iter().all(|c| !row.contains(c.as_str())));
                assert!(recovery.iter().all(|c| !row.contains(&c.replace('-', ""))));
            }
        }

        // A right password alone starts no session, and sets no cookie.
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": CHIEF, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("set-cookie").is_none());
        let challenge = password_step(&app).await;
        let (s, body) = second_step(&app, &challenge, "000000").await;
        let wrong_is_right = code(&authenticator, now_step()) == "000000";
        if !wrong_is_right {
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
            assert_error_shape(&body, "wrong code");
        }
        // The code that confirmed the app was used: the next step's code is taken (one step
        // of clock difference is allowed), and then never again.
        let next = code(&authenticator, confirmed_step + 1);
        let (s, body) = second_step(&app, &challenge, &next).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let signed_in = body["access_token"].as_str().unwrap().to_string();
        assert_eq!(app.get("/api/v1/me", &signed_in).await.0, StatusCode::OK);
        let again = password_step(&app).await;
        let (s, body) = second_step(&app, &again, &next).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "a code is used once: {body}");
        // The finished sign-in's token is spent too.
        assert_eq!(
            second_step(&app, &challenge, &recovery[0]).await.0,
            StatusCode::UNAUTHORIZED
        );

        // A recovery code, typed loosely, works once.
        let loose = recovery[1].to_lowercase().replace('-', " ");
        let (s, body) = second_step(&app, &again, &loose).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let third = password_step(&app).await;
        assert_eq!(
            second_step(&app, &third, &recovery[1]).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["second_factor"]["recovery_codes_left"], json!(9));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor.recovery_code_used'"
            )
            .await,
            1
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor.authenticator_added'"
            )
            .await,
            1
        );
        // A second app cannot replace the first without turning it off.
        assert_eq!(
            app.post("/api/v1/me/totp", &token, json!({})).await.0,
            StatusCode::CONFLICT
        );
    })
    .await;
}

async fn stored_text(db: &sea_orm::DatabaseConnection, table: &str, column: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    db.query_all_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT {column} FROM {table}"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get_by_index::<String>(0).unwrap())
    .collect()
}

#[tokio::test]
async fn a_second_step_takes_five_wrong_codes_and_no_more_and_refuses_a_disabled_account() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__LOGIN_FAILURES_PER_ACCOUNT", "50")],
        )
        .await;
        let token = kent_chief(&app).await;
        let (authenticator, _, step) = turn_on(&app, &token).await;
        let challenge = password_step(&app).await;
        let right = code(&authenticator, step + 1);
        let wrong = if right == "111111" {
            "222222"
        } else {
            "111111"
        };
        for _ in 0..5 {
            assert_eq!(
                second_step(&app, &challenge, wrong).await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        let (s, body) = second_step(&app, &challenge, &right).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "spent: {body}");
        assert!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
                .await
                >= 5
        );
        // Made-up and empty tokens are refused alike.
        for made_up in ["", "not-a-token", &"A".repeat(64)] {
            assert_eq!(
                second_step(&app, made_up, &right).await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        // Disabled between the password and the code: no session.
        let challenge = password_step(&app).await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let (_, me) = app.get("/api/v1/me", &token).await;
        let chief_id = me["id"].as_i64().unwrap();
        let (s, body) = app
            .post(
                &format!("/api/v1/users/{chief_id}/disable"),
                &admin,
                json!({}),
            )
            .await;
        assert!(s.is_success(), "{body}");
        assert_eq!(
            second_step(&app, &challenge, &right).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn changing_the_second_factor_needs_a_recent_sign_in_or_the_password() {
    for backend in backends() {
        // 0: no sign-in counts as recent, so the password is always asked for.
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__RECENT_SIGN_IN_MINUTES", "0")],
        )
        .await;
        let token = kent_chief(&app).await;
        let (s, body) = app
            .request(Method::POST, "/api/v1/me/totp", Some(&token), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_error_shape(&body, "not recent");
        let (s, body) = app
            .post(
                "/api/v1/me/totp",
                &token,
                json!({"password": "not my password"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "password");
        let (s, enrolment) = app
            .post("/api/v1/me/totp", &token, json!({"password": PASSWORD}))
            .await;
        assert_eq!(s, StatusCode::OK, "{enrolment}");
        let authenticator = TOTP::from_url(enrolment["otpauth_url"].as_str().unwrap()).unwrap();
        let (s, _) = app
            .post(
                "/api/v1/me/totp/confirm",
                &token,
                json!({"code": code(&authenticator, now_step())}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        assert_eq!(
            app.delete("/api/v1/me/totp", &token).await.0,
            StatusCode::FORBIDDEN
        );
        let (s, body) = app
            .request(
                Method::DELETE,
                "/api/v1/me/totp",
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["second_factor"]["authenticator"], json!(false));
        assert_eq!(me["second_factor"]["recovery_codes_left"], json!(0));
        assert!(app.login_full(CHIEF, PASSWORD).await.1["access_token"].is_string());
        assert_eq!(
            app.count("SELECT COUNT(*) FROM recovery_codes").await,
            0,
            "the recovery codes went with the app"
        );
        let (s, _) = app
            .request(
                Method::DELETE,
                "/api/v1/me/totp",
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn another_site_can_neither_finish_a_sign_in_nor_set_up_an_app() {
    on_each_backend(|app| async move {
        let token = kent_chief(&app).await;
        let (authenticator, _, step) = turn_on(&app, &token).await;
        let challenge = password_step(&app).await;
        let res = app
            .client
            .post(app.url("/api/v1/auth/mfa"))
            .header("origin", "https://evil.example")
            .json(&json!({"mfa_token": challenge, "code": code(&authenticator, step + 1)}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.headers().get("set-cookie").is_none());

        // Someone else, signed in with cookies, cannot be made to start or remove an app.
        app.add_user("pcc@kent.example", "Kent Police", "pcc");
        let (cookies, login) = cookie_login(&app, "pcc@kent.example").await;
        let csrf = login["csrf_token"].as_str().unwrap().to_string();
        for method in [Method::POST, Method::DELETE] {
            let (s, _) = with_cookies(
                &app,
                method.clone(),
                "/api/v1/me/totp",
                &cookies,
                &[
                    ("origin", "https://evil.example"),
                    ("x-csrf-token", csrf.as_str()),
                ],
                Some(json!({})),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} from another site");
            let (s, _) = with_cookies(
                &app,
                method.clone(),
                "/api/v1/me/totp",
                &cookies,
                &[("origin", OWN_ORIGIN)],
                Some(json!({})),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{method} without the token");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM totp_factors").await, 1);
    })
    .await;
}

#[tokio::test]
async fn codes_of_the_largest_size_are_refused_cleanly() {
    on_each_backend(|app| async move {
        let token = kent_chief(&app).await;
        let (_, _, _) = turn_on(&app, &token).await;
        let challenge = password_step(&app).await;
        // Just under `limits.body_bytes` (1 MB) once in JSON.
        let huge = "9".repeat(1_000_000);
        let (s, body) = second_step(&app, &challenge, &huge).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
        let (s, body) = app
            .post("/api/v1/me/totp/confirm", &token, json!({"code": huge}))
            .await;
        assert!(
            s == StatusCode::CONFLICT || s == StatusCode::UNPROCESSABLE_ENTITY,
            "{s} {body}"
        );
        let (s, _) = second_step(&app, &challenge, "1234\u{0}56").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    })
    .await;
}

#[tokio::test]
async fn a_role_that_must_use_a_second_factor_sets_up_its_app_while_signing_in() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[(
                "ROUNDTABLE__AUTH__REQUIRE_SECOND_FACTOR",
                "chief_officer,pcc",
            )],
        )
        .await;
        app.add_org("Kent Police", "force");
        app.add_user(CHIEF, "Kent Police", "chief_officer");
        app.add_user("staff@kent.example", "Kent Police", "staff");
        // A role the setting does not name signs in as before.
        assert!(app.login_full("staff@kent.example", PASSWORD).await.1["access_token"].is_string());

        let (s, body) = app.login_full(CHIEF, PASSWORD).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["mfa_required"], json!(true));
        assert_eq!(body["mfa_setup_required"], json!(true));
        assert!(body.get("access_token").is_none());
        let challenge = body["mfa_token"].as_str().unwrap().to_string();
        let setup = |token: String| {
            let app = &app;
            async move {
                app.request(
                    Method::POST,
                    "/api/v1/auth/mfa/setup",
                    None,
                    Some(json!({"mfa_token": token})),
                )
                .await
            }
        };
        let (s, enrolment) = setup(challenge.clone()).await;
        assert_eq!(s, StatusCode::OK, "{enrolment}");
        let (_, again) = setup(challenge.clone()).await;
        assert_eq!(
            again["secret"], enrolment["secret"],
            "the same app until confirmed"
        );
        let authenticator = TOTP::from_url(enrolment["otpauth_url"].as_str().unwrap()).unwrap();
        assert_eq!(setup("made-up".into()).await.0, StatusCode::UNAUTHORIZED);

        let step = now_step();
        let (s, body) = second_step(&app, &challenge, &code(&authenticator, step)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().unwrap().to_string();
        assert_eq!(body["recovery_codes"].as_array().unwrap().len(), 10);
        let (_, me) = app.get("/api/v1/me", &token).await;
        assert_eq!(me["second_factor"]["authenticator"], json!(true));

        // Required, so it cannot be turned off.
        let (s, body) = app
            .request(
                Method::DELETE,
                "/api/v1/me/totp",
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

        // From now on, the code of the app set up.
        let challenge = password_step(&app).await;
        let (_, body) = app.login_full(CHIEF, PASSWORD).await;
        assert_eq!(body["mfa_setup_required"], json!(false), "{body}");
        assert_eq!(setup(challenge.clone()).await.0, StatusCode::CONFLICT);
        let (s, body) = second_step(&app, &challenge, &code(&authenticator, step + 1)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.get("recovery_codes").is_none(), "{body}");
    }
}

#[tokio::test]
async fn one_code_sent_to_several_sign_ins_at_once_lets_one_in() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__LOGIN_FAILURES_PER_ACCOUNT", "50")],
        )
        .await;
        let token = kent_chief(&app).await;
        let (authenticator, _, step) = turn_on(&app, &token).await;
        let mut challenges = Vec::new();
        for _ in 0..8 {
            challenges.push(password_step(&app).await);
        }
        let code = code(&authenticator, step + 1);
        let answers = futures_util::future::join_all(
            challenges
                .iter()
                .map(|challenge| second_step(&app, challenge, &code)),
        )
        .await;
        let in_ = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(in_, 1, "{answers:?}");
    }
}

#[tokio::test]
async fn an_admin_removes_a_lost_app_and_nobody_else_can() {
    for backend in backends() {
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__RECENT_SIGN_IN_MINUTES", "0")],
        )
        .await;
        let token = kent_chief(&app).await;
        let (s, enrolment) = app
            .post("/api/v1/me/totp", &token, json!({"password": PASSWORD}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let authenticator = TOTP::from_url(enrolment["otpauth_url"].as_str().unwrap()).unwrap();
        let (s, _) = app
            .post(
                "/api/v1/me/totp/confirm",
                &token,
                json!({"code": code(&authenticator, now_step())}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, me) = app.get("/api/v1/me", &token).await;
        let chief_id = me["id"].as_i64().unwrap();
        app.add_user("pcc@kent.example", "Kent Police", "pcc");
        let pcc = app.login("pcc@kent.example").await;
        app.add_org("Roundtable Operations", "operator");
        app.add_user("admin@ops.example", "Roundtable Operations", "admin");
        let admin = app.login("admin@ops.example").await;
        let reset = |who: String, id: i64, body: Value| {
            let app = &app;
            async move {
                app.post(
                    &format!("/api/v1/users/{id}/second-factor/reset"),
                    &who,
                    body,
                )
                .await
            }
        };
        let with_password = json!({"password": PASSWORD});
        assert_eq!(
            reset(pcc.clone(), chief_id, with_password.clone()).await.0,
            StatusCode::FORBIDDEN,
            "only admins"
        );
        assert_eq!(
            reset(admin.clone(), chief_id, json!({})).await.0,
            StatusCode::FORBIDDEN,
            "the admin's password, as the sign-in is not recent"
        );
        assert_eq!(
            reset(
                admin.clone(),
                chief_id,
                json!({"password": "wrong password here"})
            )
            .await
            .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (_, admin_me) = app.get("/api/v1/me", &admin).await;
        let admin_id = admin_me["id"].as_i64().unwrap();
        assert_eq!(
            reset(admin.clone(), admin_id, with_password.clone())
                .await
                .0,
            StatusCode::FORBIDDEN,
            "one's own is changed in settings"
        );
        assert_eq!(
            reset(admin.clone(), 999_999, with_password.clone()).await.0,
            StatusCode::NOT_FOUND
        );
        let pcc_id = app.get("/api/v1/me", &pcc).await.1["id"].as_i64().unwrap();
        assert_eq!(
            reset(admin.clone(), pcc_id, with_password.clone()).await.0,
            StatusCode::NOT_FOUND,
            "no app to remove"
        );

        let (s, body) = reset(admin.clone(), chief_id, with_password.clone()).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(
            app.get("/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED,
            "signed out everywhere"
        );
        assert!(app.login_full(CHIEF, PASSWORD).await.1["access_token"].is_string());
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'second_factor.reset'")
                .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 0);
    }
}
