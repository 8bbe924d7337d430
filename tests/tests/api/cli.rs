//! The command line: ids on stdout's last line, errors that name the problem, configuration.
use crate::helpers::*;
use reqwest::StatusCode;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[tokio::test]
async fn cli_adds_records_and_names_bad_input() {
    on_each_backend(|app| async move {
        let org = app.add_org("Thames Valley Police", "force");
        assert!(org > 0);
        let out = app.cli(
            &[
                "org",
                "add",
                "--name",
                "Thames Valley Police",
                "--kind",
                "force",
            ],
            &[],
        );
        assert!(!out.status.success(), "duplicate organisation");
        assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
        let out = app.cli(&["org", "add", "--name", "X", "--kind", "galaxy"], &[]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("galaxy") && stderr(&out).contains("--kind"),
            "{}",
            stderr(&out)
        );

        let user = app.add_user("ACC@TVP.Example", "Thames Valley Police", "chief_officer");
        assert!(user > 0);
        let out = app.cli(
            &[
                "user",
                "add",
                "--email",
                "acc@tvp.example",
                "--name",
                "Again",
                "--org",
                "Thames Valley Police",
                "--role",
                "staff",
            ],
            &[("ROUNDTABLE_PASSWORD", PASSWORD)],
        );
        assert!(
            !out.status.success(),
            "emails are unique whatever their case"
        );
        let out = app.cli(
            &[
                "user",
                "add",
                "--email",
                "x@tvp.example",
                "--name",
                "X",
                "--org",
                "Nowhere",
                "--role",
                "staff",
            ],
            &[("ROUNDTABLE_PASSWORD", PASSWORD)],
        );
        assert!(stderr(&out).contains("Nowhere"), "{}", stderr(&out));
        let out = app.cli(
            &[
                "user",
                "add",
                "--email",
                "y@tvp.example",
                "--name",
                "Y",
                "--org",
                "Thames Valley Police",
                "--role",
                "staff",
            ],
            &[("ROUNDTABLE_PASSWORD", "short")],
        );
        assert!(
            !out.status.success() && stderr(&out).contains("password"),
            "{}",
            stderr(&out)
        );
        let out = app.cli(
            &[
                "user",
                "add",
                "--email",
                "z@tvp.example",
                "--name",
                "Z",
                "--org",
                "Thames Valley Police",
                "--role",
                "staff",
            ],
            &[],
        );
        assert!(
            !out.status.success(),
            "no password and no terminal is an error, not a hang"
        );

        let space = app.add_space(
            "chiefs",
            "chief_officer",
            "chief_officer",
            Some("acc@tvp.example"),
        );
        assert!(space > 0);
        let out = app.cli(
            &[
                "space",
                "add",
                "--slug",
                "Bad Slug",
                "--name",
                "x",
                "--read-roles",
                "pcc",
                "--post-roles",
                "pcc",
            ],
            &[],
        );
        assert!(stderr(&out).contains("--slug"), "{}", stderr(&out));
        let out = app.cli(
            &[
                "space",
                "add",
                "--slug",
                "ok",
                "--name",
                "x",
                "--read-roles",
                "pcc,boss",
                "--post-roles",
                "pcc",
            ],
            &[],
        );
        assert!(stderr(&out).contains("boss"), "{}", stderr(&out));
        let out = app.cli(
            &[
                "space",
                "add",
                "--slug",
                "ok2",
                "--name",
                "x",
                "--read-roles",
                "pcc",
                "--post-roles",
                "pcc",
                "--members",
                "ghost@x.example",
            ],
            &[],
        );
        assert!(stderr(&out).contains("ghost@x.example"), "{}", stderr(&out));

        let token = app.login("acc@tvp.example").await;
        let (s, spaces) = app.get("/api/v1/spaces", &token).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(spaces["spaces"][0]["slug"], "chiefs");
        assert_eq!(spaces["spaces"][0]["members_only"], true);

        let out = app.cli(
            &[
                "user",
                "add",
                "--email",
                "inv@tvp.example",
                "--name",
                "I",
                "--org",
                "Thames Valley Police",
                "--role",
                "staff",
                "--invite",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let mails = std::fs::read_dir(app.data_dir.path().join("mail"))
            .unwrap()
            .count();
        assert_eq!(mails, 1, "the invitation was written as an .eml file");
    })
    .await;
}

#[tokio::test]
async fn the_demo_seed_is_idempotent_and_readable() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let first = app.cli(
        &["seed", "--demo"],
        &[("ROUNDTABLE_DEMO_PASSWORD", PASSWORD)],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("shown once"), "{text}");
    let threads = app.count("SELECT COUNT(*) FROM threads").await;
    let posts = app.count("SELECT COUNT(*) FROM posts").await;
    assert!(threads >= 40, "{threads} threads");
    assert!(
        app.count("SELECT COUNT(*) FROM threads WHERE marking = 'OFFICIAL-SENSITIVE'")
            .await
            > 0
    );
    assert!(app.count("SELECT COUNT(*) FROM posts WHERE parent_id IS NOT NULL AND parent_id NOT IN (SELECT id FROM posts WHERE parent_id IS NULL)").await > 0, "nested replies");
    let second = app.cli(&["seed", "--demo"], &[]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        !String::from_utf8_lossy(&second.stdout).contains("shown once"),
        "the password is printed once"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM threads").await, threads);
    assert_eq!(app.count("SELECT COUNT(*) FROM posts").await, posts);
    // The demo library: every accepted type once, labelled as demo, loaded once.
    assert!(text.contains("demo library: 9 documents added"), "{text}");
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT file_type) FROM document_versions")
            .await,
        9
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM documents WHERE title NOT LIKE '%(demo%'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 9);
    // A dozen demo case studies across the service areas, labelled as demo, loaded once; the
    // demo's best practice includes a superseded thread and every endorsed thread has an owner.
    assert!(text.contains("demo case studies: 12 added"), "{text}");
    assert!(String::from_utf8_lossy(&second.stdout).contains("demo case studies: 0 added"));
    assert_eq!(app.count("SELECT COUNT(*) FROM case_studies").await, 12);
    assert!(
        app.count("SELECT COUNT(DISTINCT service_area_id) FROM case_studies")
            .await
            >= 8
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM case_studies c JOIN threads t ON t.id = c.thread_id WHERE t.title NOT LIKE '%(demo)'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM endorsements WHERE status = 'superseded' AND succeeded_by_thread_id IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM threads WHERE best_practice AND id NOT IN (SELECT thread_id FROM endorsements WHERE thread_id IS NOT NULL)")
            .await,
        0
    );
    // Every role signs in and sees only its spaces.
    let supplier = app
        .count("SELECT COUNT(*) FROM users WHERE role = 'supplier'")
        .await;
    assert!(supplier > 0);
    let (_, tokens) = app.login_full("admin@roundtable.example", PASSWORD).await;
    let admin = tokens["access_token"].as_str().unwrap().to_string();
    let (_, all) = app.get("/api/v1/spaces", &admin).await;
    assert!(all["spaces"].as_array().unwrap().len() >= 7);
}

#[tokio::test]
async fn bad_settings_stop_start_up_naming_the_key() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cases: [(&str, &str, &str); 6] = [
        ("ROUNDTABLE__SERVER__BIND", "not-an-address", "server.bind"),
        (
            "ROUNDTABLE__AUTH__ACCESS_TOKEN_MINUTES",
            "60",
            "auth.access_token_minutes",
        ),
        ("ROUNDTABLE__LIMITS__TITLE_CHARS", "lots", "title_chars"),
        ("ROUNDTABLE__MAIL__TRANSPORT", "pigeon", "transport"),
        ("ROUNDTABLE__DATABASE__URL", "mysql://x", "database.url"),
        ("ROUNDTABLE__SERVER__COLOUR", "blue", "colour"),
    ];
    for (key, value, named) in cases {
        let out = app.cli(&["migrate"], &[(key, value)]);
        assert!(!out.status.success(), "{key}={value} accepted");
        assert!(
            stderr(&out).contains(named),
            "{key}={value}: {}",
            stderr(&out)
        );
    }
    // PostgreSQL without an explicit key of 32 bytes refuses to start (checked before connecting).
    let out = app.cli(
        &["serve"],
        &[
            (
                "ROUNDTABLE__DATABASE__URL",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            ("ROUNDTABLE__AUTH__JWT_SECRET", ""),
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("auth.jwt_secret"), "{}", stderr(&out));
    let out = app.cli(
        &["serve"],
        &[
            (
                "ROUNDTABLE__DATABASE__URL",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            ("ROUNDTABLE__AUTH__JWT_SECRET", "too-short"),
        ],
    );
    assert!(stderr(&out).contains("auth.jwt_secret"), "{}", stderr(&out));
    // A settings file is layered between the defaults and the environment.
    let file = app.data_dir.path().join("custom.toml");
    std::fs::write(&file, "[limits]\ntitle_chars = 0\n").unwrap();
    let out = app.cli(&["--config", file.to_str().unwrap(), "migrate"], &[]);
    assert!(stderr(&out).contains("limits"), "{}", stderr(&out));
    let out = app.cli(
        &["migrate"],
        &[
            ("ROUNDTABLE_CONFIG", file.to_str().unwrap()),
            ("ROUNDTABLE__LIMITS__TITLE_CHARS", "50"),
        ],
    );
    assert!(
        out.status.success(),
        "environment wins over the file: {}",
        stderr(&out)
    );
    let out = app.cli(&["--config", "/no/such/file.toml", "migrate"], &[]);
    assert!(
        stderr(&out).contains("/no/such/file.toml"),
        "{}",
        stderr(&out)
    );
    // The generated signing key is private to the server's user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.data_dir.path().join("jwt.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
