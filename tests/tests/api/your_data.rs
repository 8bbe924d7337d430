//! A person's own data through the running server: the export holds every column of the
//! schema that is about a person (a new column fails the test until it is classified), and
//! deleting an account leaves nothing that identifies them in any table, while their posts
//! stay readable under the pseudonym.
use crate::csrf::{cookie_login, with_cookies};
use crate::helpers::*;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const SUBJECT: &str = "dana.quillfeather@kent.example";
const SUBJECT_NAME: &str = "Dana Quillfeather";
const SUBJECT_TITLE: &str = "Head of Zyxwharf Liaison";
const COLLEAGUE: &str = "colleague@kent.example";
const ADMIN: &str = "admin@roundtable.example";

/// What a column holds, as far as a person's data goes.
#[derive(Clone, Copy, Debug)]
enum Class {
    /// About the person: in the export, as a key of the rows of this section.
    Exported(&'static str),
    /// Names the person the row belongs to (the export is theirs already).
    Owner,
    /// A hash, sealed key or token: left out of the export, removed with the account.
    Secret,
    /// Worked out from another column that is exported (rendered HTML, plain text).
    Derived,
    /// Not about a person: shared content, or the service's own bookkeeping.
    NotPersonal,
    /// About someone but tied to no account: the rate limit's record of requests for an
    /// account (the address only as a hash, a client address), forgotten after a day and
    /// deleted with the account.
    RateLimit,
}
use Class::*;

/// Every column of the schema. A column missing here fails the test: decide whether it holds
/// personal data, export it in `use_cases::your_data` if so, wipe it on deletion, and add it.
fn classification() -> BTreeMap<(&'static str, &'static str), Class> {
    let mut map = BTreeMap::new();
    let mut table = |name: &'static str, columns: &[(&'static str, Class)]| {
        for (column, class) in columns {
            map.insert((name, *column), *class);
        }
    };
    table(
        "users",
        &[
            ("id", Exported("profile")),
            ("email", Exported("profile")),
            ("display_name", Exported("profile")),
            ("role", Exported("profile")),
            ("organisation_id", Exported("profile")),
            ("job_title", Exported("profile")),
            ("disabled", Exported("profile")),
            ("created_at", Exported("profile")),
            ("portfolios", Exported("profile")),
            ("password_hash", Secret),
            ("feed_secret", Secret),
            ("anonymised_at", NotPersonal),
        ],
    );
    let exported_all =
        |section: &'static str, cols: &[&'static str]| -> Vec<(&'static str, Class)> {
            cols.iter().map(|c| (*c, Exported(section))).collect()
        };
    table(
        "preferences",
        &exported_all(
            "preferences",
            &[
                "user_id",
                "digest_enabled",
                "digest_weekday",
                "digest_hour",
                "time_zone",
                "follow_spaces",
                "follow_tags",
                "notify_replies",
                "notify_watched",
                "updated_at",
            ],
        ),
    );
    table(
        "sessions",
        &[
            ("id", Secret),
            ("user_id", Owner),
            ("refresh_token_hash", Secret),
            ("created_at", Exported("sign_ins")),
            ("refreshed_at", Exported("sign_ins")),
            ("expires_at", Exported("sign_ins")),
            ("revoked_at", Exported("sign_ins")),
        ],
    );
    table(
        "retired_refresh_tokens",
        &[
            ("token_hash", Secret),
            ("session_id", Secret),
            ("retired_at", NotPersonal),
        ],
    );
    table(
        "login_failures",
        &[
            ("id", NotPersonal),
            ("account", Owner),
            ("client_addr", Exported("failed_sign_ins")),
            ("failed_at", Exported("failed_sign_ins")),
        ],
    );
    table(
        "audit_log",
        &exported_all(
            "audit_log",
            &[
                "id",
                "actor_id",
                "action",
                "target_type",
                "target_id",
                "detail",
                "created_at",
            ],
        ),
    );
    table(
        "password_resets",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("token_hash", Secret),
            ("created_at", Exported("password_resets")),
            ("expires_at", Exported("password_resets")),
            ("used_at", Exported("password_resets")),
        ],
    );
    table(
        "totp_factors",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("secret_sealed", Secret),
            ("created_at", Exported("authenticator_apps")),
            ("confirmed_at", Exported("authenticator_apps")),
            ("last_step", Exported("authenticator_apps")),
        ],
    );
    table(
        "identities",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("registration_id", NotPersonal),
            ("provider_id", NotPersonal),
            ("issuer", Exported("identities")),
            ("subject", Exported("identities")),
            ("tenant_id", Exported("identities")),
            ("object_id", Exported("identities")),
            ("created_at", Exported("identities")),
            ("last_used_at", Exported("identities")),
        ],
    );
    table(
        "identity_providers",
        &[
            ("id", NotPersonal),
            ("organisation_id", NotPersonal),
            ("issuer", NotPersonal),
            ("client_id", NotPersonal),
            ("client_secret_sealed", NotPersonal),
            ("tenant_id", NotPersonal),
            ("auto_admit", NotPersonal),
            ("created_at", NotPersonal),
        ],
    );
    table(
        "passkeys",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("name", Exported("passkeys")),
            ("credential_id", Secret),
            ("credential", Secret),
            ("created_at", Exported("passkeys")),
            ("last_used_at", Exported("passkeys")),
        ],
    );
    // A WebAuthn ceremony begun: minutes old, used once.
    table(
        "passkey_ceremonies",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("kind", NotPersonal),
            ("challenge_id", NotPersonal),
            ("state", Secret),
            ("expires_at", NotPersonal),
        ],
    );
    // A sign-in on its way to an organisation's provider: minutes old, used once.
    table(
        "sign_in_flows",
        &[
            ("state_hash", Secret),
            ("provider_id", NotPersonal),
            ("browser_hash", Secret),
            ("purpose", NotPersonal),
            ("user_id", Owner),
            ("nonce", Secret),
            ("pkce_verifier", Secret),
            ("next_path", NotPersonal),
            ("expires_at", NotPersonal),
        ],
    );
    table(
        "recovery_codes",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("code_hash", Secret),
            ("created_at", Exported("recovery_codes")),
            ("used_at", Exported("recovery_codes")),
        ],
    );
    table(
        "second_factor_challenges",
        &[
            ("id", NotPersonal),
            ("user_id", Owner),
            ("token_hash", Secret),
            ("created_at", Exported("second_factor_sign_ins")),
            ("expires_at", Exported("second_factor_sign_ins")),
            ("failed_attempts", Exported("second_factor_sign_ins")),
            ("sets_up", Exported("second_factor_sign_ins")),
            ("used_at", Exported("second_factor_sign_ins")),
        ],
    );
    table(
        "threads",
        &exported_all(
            "threads",
            &[
                "id",
                "space_id",
                "title",
                "author_id",
                "marking",
                "pinned",
                "locked",
                "best_practice",
                "post_count",
                "created_at",
                "last_activity_at",
                "best_practice_at",
            ],
        ),
    );
    table(
        "posts",
        &[
            ("id", Exported("posts")),
            ("thread_id", Exported("posts")),
            ("parent_id", Exported("posts")),
            ("author_id", Owner),
            ("body_markdown", Exported("posts")),
            ("body_html", Derived),
            ("body_text", Derived),
            ("depth", Derived),
            ("created_at", Exported("posts")),
            ("edited_at", Exported("posts")),
            ("deleted_at", Exported("posts")),
            ("deleted_by", Exported("posts")),
        ],
    );
    table(
        "post_revisions",
        &[
            ("id", Exported("post_revisions")),
            ("post_id", Exported("post_revisions")),
            ("body_markdown", Exported("post_revisions")),
            ("body_html", Derived),
            ("edited_by", Exported("post_revisions")),
            ("created_at", Exported("post_revisions")),
        ],
    );
    table(
        "documents",
        &exported_all(
            "documents",
            &[
                "id",
                "space_id",
                "thread_id",
                "post_id",
                "title",
                "summary",
                "marking",
                "owner_id",
                "organisation_id",
                "current_version_id",
                "created_at",
                "updated_at",
                "deleted_at",
            ],
        ),
    );
    table(
        "document_versions",
        &[
            ("id", Exported("document_versions")),
            ("document_id", Exported("document_versions")),
            ("number", Exported("document_versions")),
            ("blob_key", NotPersonal),
            ("size_bytes", Exported("document_versions")),
            ("file_type", Exported("document_versions")),
            ("filename", Exported("document_versions")),
            ("uploaded_by", Exported("document_versions")),
            ("created_at", Exported("document_versions")),
            ("extraction", NotPersonal),
            ("extraction_error", NotPersonal),
            ("extraction_attempts", NotPersonal),
            ("extracted_text", Derived),
            ("extracted_at", NotPersonal),
        ],
    );
    table(
        "endorsements",
        &exported_all(
            "endorsements",
            &[
                "id",
                "thread_id",
                "document_id",
                "owner_id",
                "review_due",
                "status",
                "succeeded_by_thread_id",
                "succeeded_by_document_id",
                "endorsed_by",
                "endorsed_at",
                "updated_at",
            ],
        ),
    );
    table(
        "thread_watches",
        &exported_all("watches", &["user_id", "thread_id", "state", "created_at"]),
    );
    table(
        "thread_reads",
        &exported_all("reads", &["user_id", "thread_id", "read_at"]),
    );
    table(
        "space_members",
        &exported_all("space_memberships", &["space_id", "user_id"]),
    );
    table(
        "invitations",
        &[
            ("id", NotPersonal),
            ("token_hash", Secret),
            ("email", Exported("invitations_received")),
            ("role", Exported("invitations_received")),
            ("organisation_id", Exported("invitations_received")),
            ("invited_by", Exported("invitations_sent")),
            ("created_at", Exported("invitations_received")),
            ("expires_at", Exported("invitations_received")),
            ("used_at", Exported("invitations_received")),
        ],
    );
    table(
        "mail_jobs",
        &[
            ("id", NotPersonal),
            ("job_key", NotPersonal),
            ("kind", Exported("mail")),
            ("user_id", Owner),
            ("week", Exported("mail")),
            ("post_id", Exported("mail")),
            ("status", Exported("mail")),
            ("attempts", Exported("mail")),
            ("last_error", Exported("mail")),
            ("due_at", Exported("mail")),
            ("claimed_by", NotPersonal),
            ("lease_until", NotPersonal),
            ("message_id", Exported("mail")),
            ("created_at", Exported("mail")),
            ("updated_at", Exported("mail")),
            ("sent_at", Exported("mail")),
        ],
    );
    table(
        "registrations",
        &[
            ("id", Exported("registrations")),
            ("email", Exported("registrations")),
            ("display_name", Exported("registrations")),
            ("job_title", Exported("registrations")),
            ("organisation_id", Exported("registrations")),
            ("token_hash", Secret),
            ("status", Exported("registrations")),
            ("created_at", Exported("registrations")),
            ("expires_at", Exported("registrations")),
            ("verified_at", Exported("registrations")),
            ("sponsored_by", Exported("registrations_answered")),
            ("decided_by", Exported("registrations_answered")),
            ("decided_at", Exported("registrations")),
            ("reason", Exported("registrations")),
        ],
    );
    // Shared content and the service's own records; a case study's `contact` is free text
    // its author chose to publish with it, kept with the case study.
    let not_personal: &[(&str, &[&str])] = &[
        ("organisations", &["id", "name", "kind", "created_at"]),
        (
            "spaces",
            &[
                "id",
                "slug",
                "name",
                "description",
                "read_roles",
                "post_roles",
                "members_only",
                "archived",
                "created_at",
            ],
        ),
        ("tags", &["id", "name"]),
        ("thread_tags", &["thread_id", "tag_id"]),
        ("service_areas", &["id", "slug", "name", "position"]),
        (
            "case_studies",
            &[
                "thread_id",
                "service_area_id",
                "forces",
                "suppliers",
                "terms",
                "contract_start",
                "contract_months",
                "contract_value",
                "annual_cost_before",
                "annual_cost_after",
                "saving_amount",
                "saving_percent",
                "outcomes",
                "lessons",
                "contact",
                "source_document_id",
                "updated_at",
            ],
        ),
        (
            "import_sources",
            &["id", "source", "external_id", "post_id", "created_at"],
        ),
        ("outbox", &["id", "kind", "entity_id", "created_at"]),
        ("cache_invalidations", &["id", "kind", "target_id"]),
        (
            "nodes",
            &[
                "id",
                "host",
                "pid",
                "started_at",
                "heartbeat_at",
                "outbox_position",
            ],
        ),
        ("seaql_migrations", &["version", "applied_at"]),
        (
            "organisation_domains",
            &["id", "organisation_id", "domain", "created_at"],
        ),
    ];
    table(
        "registration_requests",
        &[
            ("id", NotPersonal),
            ("email_hash", RateLimit),
            ("client_addr", RateLimit),
            ("requested_at", RateLimit),
        ],
    );
    for (name, columns) in not_personal {
        table(
            name,
            &columns
                .iter()
                .map(|c| (*c, NotPersonal))
                .collect::<Vec<_>>(),
        );
    }
    map
}

async fn query_strings(app: &TestApp, sql: &str, n: usize) -> Vec<Vec<String>> {
    let db = app.db().await;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .into_iter()
    .map(|row| {
        (0..n)
            .map(|i| row.try_get_by_index::<String>(i).expect("text"))
            .collect()
    })
    .collect()
}

/// Every (table, column) of the live schema.
async fn schema_columns(app: &TestApp) -> Vec<(String, String)> {
    let sql = match app.backend {
        Backend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
        }
        Backend::Postgres { .. } => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() ORDER BY 1, 2"
        }
    };
    query_strings(app, sql, 2)
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// Every row of every table as text, for looking for what must be gone.
async fn everything_stored(app: &TestApp) -> String {
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (table, column) in schema_columns(app).await {
        columns.entry(table).or_default().push(column);
    }
    let mut out = String::new();
    for (table, cols) in columns {
        let sql = match app.backend {
            Backend::Sqlite => format!(
                "SELECT json_object({}) FROM \"{table}\"",
                cols.iter()
                    .map(|c| format!("'{c}', \"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Backend::Postgres { .. } => format!("SELECT row_to_json(t)::text FROM \"{table}\" t"),
        };
        for row in query_strings(app, &sql, 1).await {
            out.push_str(&table);
            out.push_str(": ");
            out.push_str(&row[0]);
            out.push('\n');
        }
    }
    out
}

/// Kent Police with the subject (a chief officer with a name, title and portfolio of their
/// own), a colleague, an admin, and a space they all use. Returns (subject's id, token).
async fn kent(app: &TestApp) -> (i64, String) {
    app.add_org("Kent Police", "force");
    app.add_org("Roundtable", "operator");
    let id = app.cli_id(
        &[
            "user",
            "add",
            "--email",
            SUBJECT,
            "--name",
            SUBJECT_NAME,
            "--org",
            "Kent Police",
            "--role",
            "chief_officer",
        ],
        &[("ROUNDTABLE_PASSWORD", PASSWORD)],
    );
    app.add_user(COLLEAGUE, "Kent Police", "staff");
    app.add_user(ADMIN, "Roundtable", "admin");
    app.add_space(
        "leaders",
        "chief_officer,staff,admin",
        "chief_officer,staff,admin",
        Some(&format!("{SUBJECT},{COLLEAGUE},{ADMIN}")),
    );
    let token = app.login(SUBJECT).await;
    let (s, body) = app
        .patch(
            "/api/v1/me",
            &token,
            json!({"job_title": SUBJECT_TITLE, "portfolios": ["it-digital"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    (id, token)
}

async fn export(app: &TestApp, token: &str) -> Value {
    let res = app
        .client
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(token)
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"roundtable-my-data-"),
        "{disposition}"
    );
    res.json().await.expect("the export is JSON")
}

/// SQL for a request for an account by `email` at the organisation of user `me`, which `me`
/// answered (or, for their own address, an admin did).
fn plant_registration(me: i64, email: &str, status: &str, token_hash: &str) -> String {
    format!(
        "INSERT INTO registrations (email, display_name, job_title, organisation_id, token_hash, \
         status, created_at, expires_at, verified_at, sponsored_by, decided_by, decided_at, \
         reason) SELECT '{email}', 'Requester', 'Analyst', organisation_id, '{token_hash}', \
         '{status}', '2026-01-01 00:00:00+00:00', '2026-01-02 00:00:00+00:00', \
         '2026-01-01 01:00:00+00:00', {me}, {me}, '2026-01-01 02:00:00+00:00', 'zyx reason' \
         FROM users WHERE id = {me}"
    )
}

/// SQL for an organisation account linked to user `me`, and a sign-in of theirs on its way to
/// the provider (the single sign-on tests make both through a real provider).
fn plant_identity(me: i64) -> [String; 4] {
    [
        format!(
            "INSERT INTO identities (user_id, provider_id, issuer, subject, tenant_id, object_id, \
             created_at, last_used_at) VALUES ({me}, 1, 'https://login.example/zyx/v2.0', \
             'zyx-subject', 'zyx-tenant', 'zyx-oid', '2026-01-01 00:00:00+00:00', \
             '2026-01-02 00:00:00+00:00')"
        ),
        format!(
            "INSERT INTO sign_in_flows (state_hash, provider_id, browser_hash, purpose, user_id, \
             nonce, pkce_verifier, next_path, expires_at) VALUES ('zyx-state-{me}', 1, \
             'zyx-browser', 'link', {me}, 'zyx-nonce', 'zyx-verifier', '/settings', \
             '2030-01-01 00:00:00+00:00')"
        ),
        format!(
            "INSERT INTO passkeys (user_id, name, credential_id, credential, created_at, \
             last_used_at) VALUES ({me}, 'zyx-key', 'zyx-cred-{me}', '{{}}', \
             '2026-01-01 00:00:00+00:00', '2026-01-02 00:00:00+00:00')"
        ),
        format!(
            "INSERT INTO passkey_ceremonies (user_id, kind, challenge_id, state, expires_at) \
             VALUES ({me}, 'register', NULL, '{{}}', '2030-01-01 00:00:00+00:00')"
        ),
    ]
}

/// A page as the holder of `token` sees it in a browser.
async fn page(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("cookie", format!("rt_access={token}"))
        .send()
        .await
        .expect("page");
    (res.status(), res.text().await.unwrap_or_default())
}

/// Waits until `sql` counts at least one row (the read marks are written about once a second).
async fn eventually(app: &TestApp, sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.count(sql).await == 0 {
        assert!(Instant::now() < deadline, "never: {sql}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_export_holds_every_column_about_a_person() {
    on_each_backend(|app| async move {
        let (me, token) = kent(&app).await;
        let colleague = app.login(COLLEAGUE).await;
        let admin = app.login(ADMIN).await;

        // Writing: a thread, a reply, an edit (a revision), a document, an endorsement.
        let (thread, opening) = app
            .start_thread(
                &token,
                "leaders",
                "Zyxwharf radio rollout",
                "zyxopening text",
            )
            .await;
        app.reply(&colleague, thread, Some(opening), "A colleague's answer")
            .await;
        let (s, body) = app
            .patch(
                &format!("/api/v1/posts/{opening}"),
                &token,
                json!({"body": "zyxopening text, corrected"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, doc) = crate::documents::upload(
            &app,
            &token,
            "/api/v1/spaces/leaders/documents",
            "plan.txt",
            b"zyx radio plan".to_vec(),
            &[("title", "Radio plan")],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{doc}");
        let (s, body) = app
            .request(
                Method::PUT,
                &format!("/api/v1/threads/{thread}/endorsement"),
                Some(&admin),
                Some(json!({"owner": SUBJECT, "review_due": "2027-06-01"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");

        // Choices: preferences with a watch, a read, an invitation sent.
        let (s, body) = app
            .request(
                Method::PUT,
                "/api/v1/me/preferences",
                Some(&token),
                Some(json!({"digest": {"weekday": "Friday", "hour": 7},
                            "threads": {thread.to_string(): "watching"}})),
            )
            .await;
        assert!(s.is_success(), "{body}");
        assert_eq!(
            page(&app, &token, &format!("/threads/{thread}")).await.0,
            StatusCode::OK
        );
        let (s, body) = app
            .post(
                "/api/v1/invitations",
                &token,
                json!({"email": "new.deputy@kent.example", "role": "staff"}),
            )
            .await;
        assert!(s.is_success(), "{body}");

        // Signing in: a wrong password, an authenticator app, a sign-in waiting for its code.
        assert_eq!(
            app.login_full(SUBJECT, "not the password").await.0,
            StatusCode::UNAUTHORIZED
        );
        let (s, enrolment) = app.post("/api/v1/me/totp", &token, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{enrolment}");
        let authenticator =
            totp_rs::TOTP::from_url(enrolment["otpauth_url"].as_str().unwrap()).unwrap();
        let (s, body) = app
            .post(
                "/api/v1/me/totp/confirm",
                &token,
                json!({"code": authenticator.generate_current().unwrap()}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (_, waiting) = app.login_full(SUBJECT, PASSWORD).await;
        assert_eq!(waiting["mfa_required"], json!(true), "{waiting}");

        // Rows only other paths write: a password reset asked for, an invitation received,
        // a reply notification waiting to be mailed.
        let db = app.db().await;
        let soon = "'2030-01-01 00:00:00+00:00'";
        let earlier = "'2026-01-01 00:00:00+00:00'";
        for sql in [
            format!(
                "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) \
                 VALUES ({me}, 'zyx-reset-hash', {earlier}, {soon})"
            ),
            format!(
                "INSERT INTO invitations (token_hash, email, role, organisation_id, invited_by, \
                 created_at, expires_at, used_at) SELECT 'zyx-invitation-hash', '{SUBJECT}', \
                 'chief_officer', organisation_id, NULL, {earlier}, {soon}, {earlier} \
                 FROM users WHERE id = {me}"
            ),
            plant_registration(me, SUBJECT, "approved", "zyx-own-request"),
            plant_registration(me, "someone.else@kent.example", "denied", "zyx-answered"),
        ]
        .into_iter()
        .chain(plant_identity(me))
        {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("plant a row");
        }
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM mail_jobs WHERE user_id = {me}"),
        )
        .await;
        eventually(
            &app,
            &format!("SELECT COUNT(*) FROM thread_reads WHERE user_id = {me}"),
        )
        .await;

        let data = export(&app, &token).await;
        let mut missing = Vec::new();
        for (table, column) in schema_columns(&app).await {
            let Some(class) = classification()
                .get(&(table.as_str(), column.as_str()))
                .copied()
            else {
                missing.push(format!(
                    "{table}.{column} is new: classify it in tests/tests/api/your_data.rs \
                     (and export it in use_cases::your_data if it is about a person)"
                ));
                continue;
            };
            if let Exported(section) = class {
                let rows = match &data[section] {
                    Value::Array(rows) => rows.clone(),
                    row @ Value::Object(_) => vec![row.clone()],
                    other => panic!("section {section} is {other}"),
                };
                let holds = rows.iter().any(|r| r.get(&column).is_some());
                if !holds {
                    missing.push(format!(
                        "{table}.{column}: not in the export's {section:?} ({} rows)",
                        rows.len()
                    ));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));

        // The values are the person's own.
        assert_eq!(data["profile"]["email"], SUBJECT);
        assert_eq!(data["profile"]["display_name"], SUBJECT_NAME);
        assert_eq!(data["profile"]["job_title"], SUBJECT_TITLE);
        assert_eq!(data["organisation"], "Kent Police");
        let text = data.to_string();
        for own in [
            "zyxopening text, corrected",
            "Zyxwharf radio rollout",
            "Radio plan",
            "new.deputy@kent.example",
            "127.0.0.1",
        ] {
            assert!(text.contains(own), "{own} is not in the export");
        }
        assert_eq!(
            data["posts"].as_array().unwrap().len(),
            1,
            "only their own post"
        );
        assert!(
            !text.contains("A colleague's answer"),
            "another person's post"
        );
        for secret in [
            "zyx-reset-hash",
            "zyx-invitation-hash",
            "zyx-own-request",
            "password_hash",
            "secret_sealed",
        ] {
            assert!(!text.contains(secret), "{secret} is in the export");
        }
        assert_eq!(data["recovery_codes"].as_array().unwrap().len(), 10);
        let failed: Vec<&Value> = data["audit_log"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "auth.login_failed")
            .collect();
        assert!(
            !failed.is_empty(),
            "their failed sign-ins are in the audit section"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'user.export' AND actor_id = {me}"
            ))
            .await,
            1,
            "the export is audited"
        );
    })
    .await;
}

/// Waits for the search index to answer `q` for `token` with `want` hits.
async fn search_hits(app: &TestApp, token: &str, q: &str, want: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, found) = app
            .get(&format!("/api/v1/search?q={}", urlencode(q)), token)
            .await;
        assert_eq!(s, StatusCode::OK, "{found}");
        let hits = found["hits"].as_array().map(Vec::len).unwrap_or(0);
        if hits == want {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "search {q:?}: {hits} hits, not {want}: {found}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn deleting_an_account_leaves_nothing_that_names_them_and_keeps_their_posts() {
    on_each_backend(|app| async move {
        let (me, token) = kent(&app).await;
        let colleague = app.login(COLLEAGUE).await;
        let admin = app.login(ADMIN).await;
        let (thread, opening) = app
            .start_thread(
                &token,
                "leaders",
                "Zyxwharf radio rollout",
                "zyxkept opening post",
            )
            .await;
        app.reply(
            &colleague,
            thread,
            Some(opening),
            "zyxreply from a colleague",
        )
        .await;
        let (s, _) = app
            .request(
                Method::PUT,
                "/api/v1/me/preferences",
                Some(&token),
                Some(json!({"threads": {thread.to_string(): "watching"}})),
            )
            .await;
        assert!(s.is_success());
        assert_eq!(
            app.login_full(SUBJECT, "not the password").await.0,
            StatusCode::UNAUTHORIZED
        );
        // Someone else's address that ends in theirs: its audit entry must stay as it is.
        assert_eq!(
            app.login_full(&format!("x{SUBJECT}"), "not the password")
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        let (s, _) = app.post("/api/v1/me/totp", &token, json!({})).await;
        assert_eq!(s, StatusCode::OK);
        let db = app.db().await;
        for sql in [plant_registration(
            me,
            SUBJECT,
            "approved",
            "zyx-own-request",
        )]
        .into_iter()
        .chain(plant_identity(me))
        {
            db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("plant their request for an account and organisation account");
        }
        search_hits(&app, &colleague, &format!("author:{SUBJECT}"), 1).await;

        // A wrong or missing password changes nothing.
        for (body, why) in [
            (json!({"password": "not my password"}), "wrong password"),
            (json!({}), "no password"),
            (json!({"password": "x".repeat(900_000)}), "a huge password"),
        ] {
            let (s, answer) = app
                .request(Method::DELETE, "/api/v1/me", Some(&token), Some(body))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {answer}");
            assert_error_shape(&answer, why);
            assert_eq!(answer["error"]["field"], "password", "{why}");
        }
        assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);

        let (s, body) = app
            .request(
                Method::DELETE,
                "/api/v1/me",
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");

        assert_eq!(
            app.get("/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );

        // Nothing that names them is left in any table.
        let stored = everything_stored(&app).await;
        let other = format!("x{SUBJECT}");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%\"{other}\"%'"
            ))
            .await,
            1,
            "another person's audit entry is untouched"
        );
        let stored = stored.replace(&other, "ANOTHER PERSON");
        for trace in [
            SUBJECT,
            SUBJECT_NAME,
            SUBJECT_TITLE,
            "Quillfeather",
            "dana.",
        ] {
            let lines: Vec<&str> = stored.lines().filter(|l| l.contains(trace)).collect();
            assert!(
                lines.is_empty(),
                "{trace:?} is still stored:\n{}",
                lines.join("\n")
            );
        }
        // No way back in (a sign-in with the old address is then logged as any attempt
        // for an unknown address is).
        assert_eq!(
            app.login_full(SUBJECT, PASSWORD).await.0,
            StatusCode::UNAUTHORIZED
        );
        for table in [
            "sessions",
            "preferences",
            "thread_watches",
            "thread_reads",
            "space_members",
            "totp_factors",
            "recovery_codes",
            "identities",
            "sign_in_flows",
            "passkeys",
            "passkey_ceremonies",
            "second_factor_challenges",
            "password_resets",
            "mail_jobs",
        ] {
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE user_id = {me}"
                ))
                .await,
                0,
                "{table} still has their rows"
            );
        }
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM users WHERE id = {me} AND password_hash IS NULL \
                 AND feed_secret IS NULL AND portfolios = '' AND job_title = '' \
                 AND disabled = TRUE AND anonymised_at IS NOT NULL"
            ))
            .await,
            1
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'user.delete' AND target_id = {me}"
            ))
            .await,
            1,
            "the deletion is audited"
        );

        // The thread reads as before, under the pseudonym, without their organisation.
        let (s, view) = app
            .get(&format!("/api/v1/threads/{thread}"), &colleague)
            .await;
        assert_eq!(s, StatusCode::OK, "{view}");
        let text = view.to_string();
        assert!(text.contains("zyxkept opening post"), "{text}");
        assert!(text.contains("zyxreply from a colleague"));
        let author = &view["posts"][0]["author"];
        let pseudonym = author["display_name"].as_str().unwrap().to_string();
        assert!(
            pseudonym.starts_with("Former member ")
                && pseudonym.len() == "Former member ".len() + 6,
            "{author}"
        );
        assert_eq!(author["organisation"], "");
        assert_eq!(author["role"], "former_member");
        let (_, shown) = page(&app, &colleague, &format!("/threads/{thread}")).await;
        assert!(shown.contains(&pseudonym), "the page shows the pseudonym");
        assert!(!shown.contains(SUBJECT_NAME));
        assert!(shown.contains("zyxkept opening post"));

        // Search no longer knows them by name or address; the post is found under the
        // pseudonym.
        search_hits(&app, &colleague, &format!("author:{SUBJECT}"), 0).await;
        let found = search_hits(&app, &colleague, "zyxkept", 1).await;
        assert!(!found.to_string().contains(SUBJECT_NAME), "{found}");
        assert!(
            !found["facets"].to_string().contains("Kent Police"),
            "search no longer ties the post to their force: {found}"
        );

        // The directory has no profile for them; an admin sees the account as deleted and
        // cannot bring it back.
        assert_eq!(
            app.get(&format!("/api/v1/people/{me}"), &colleague).await.0,
            StatusCode::NOT_FOUND
        );
        let (_, admin_page) = page(&app, &admin, "/admin/people").await;
        assert!(admin_page.contains("Deleted by its owner"));
        assert!(!admin_page.contains(SUBJECT));

        // The notice went to the address they had.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mails: Vec<String> = std::fs::read_dir(app.data_dir.path().join("mail"))
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                        .collect()
                })
                .unwrap_or_default();
            if mails
                .iter()
                .any(|m| m.contains(SUBJECT) && m.contains("account has been deleted"))
            {
                break;
            }
            assert!(Instant::now() < deadline, "no deletion notice was written");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn deleting_with_the_posts_wipes_their_text_and_keeps_the_replies() {
    on_each_backend(|app| async move {
        let (me, token) = kent(&app).await;
        let colleague = app.login(COLLEAGUE).await;
        let (thread, opening) = app
            .start_thread(&token, "leaders", "Radio rollout", "zyxgone first text")
            .await;
        let (s, _) = app
            .patch(
                &format!("/api/v1/posts/{opening}"),
                &token,
                json!({"body": "zyxgone second text"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        app.reply(&colleague, thread, Some(opening), "zyxstays the reply")
            .await;
        search_hits(&app, &colleague, "zyxgone", 1).await;

        let (s, body) = app
            .request(
                Method::DELETE,
                "/api/v1/me",
                Some(&token),
                Some(json!({"password": PASSWORD, "remove_posts": true})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");

        let stored = everything_stored(&app).await;
        assert!(
            !stored.contains("zyxgone"),
            "the post's text is still stored"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM posts WHERE author_id = {me} AND deleted_at IS NULL"
            ))
            .await,
            0
        );
        let (s, view) = app
            .get(&format!("/api/v1/threads/{thread}"), &colleague)
            .await;
        assert_eq!(s, StatusCode::OK, "{view}");
        assert!(view.to_string().contains("zyxstays the reply"));
        search_hits(&app, &colleague, "zyxgone", 0).await;
        search_hits(&app, &colleague, "zyxstays", 1).await;
    })
    .await;
}

#[tokio::test]
async fn what_is_refused_and_to_whom() {
    for backend in backends() {
        // 0 minutes: no sign-in is recent, so the export asks for the password.
        let app = TestApp::spawn_with(
            backend,
            &[("ROUNDTABLE__AUTH__RECENT_SIGN_IN_MINUTES", "0")],
        )
        .await;
        let (_, token) = kent(&app).await;

        assert_eq!(
            app.request(Method::GET, "/api/v1/me/export", None, None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.request(
                Method::DELETE,
                "/api/v1/me",
                None,
                Some(json!({"password": PASSWORD}))
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        let (s, body) = app.get("/api/v1/me/export", &token).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_error_shape(&body, "an old sign-in");
        // A link on another site cannot start the download.
        let res = app
            .client
            .get(app.url("/api/v1/me/export"))
            .header("cookie", format!("rt_access={token}"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let (s, body) = app
            .post("/api/v1/me/export", &token, json!({"password": "wrong"}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (s, body) = app
            .post("/api/v1/me/export", &token, json!({"password": PASSWORD}))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["profile"]["email"], SUBJECT);

        // With the cookie: another site's request, or one without the CSRF token, is refused.
        let (cookies, _) = cookie_login(&app, SUBJECT).await;
        for headers in [
            vec![("origin", "https://evil.example")],
            vec![("origin", crate::csrf::OWN_ORIGIN)],
        ] {
            let (s, _) = with_cookies(
                &app,
                Method::DELETE,
                "/api/v1/me",
                &cookies,
                &headers,
                Some(json!({"password": PASSWORD})),
            )
            .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{headers:?}");
        }
        assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);

        // The only administrator cannot leave the service without one.
        let admin = app.login(ADMIN).await;
        let (s, body) = app
            .request(
                Method::DELETE,
                "/api/v1/me",
                Some(&admin),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        assert_eq!(app.get("/api/v1/me", &admin).await.0, StatusCode::OK);

        let (s, _) = app
            .request(
                Method::DELETE,
                "/api/v1/me",
                Some(&token),
                Some(json!({"password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, body) = app.get("/api/v1/me/export", &token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    }
}
