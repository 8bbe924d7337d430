//! Starts the real `roundtable` server as a process on a random port, with a fresh database
//! (SQLite file, or a PostgreSQL database created for the run and dropped after) and a temp
//! data folder, and talks HTTP to it.
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_roundtable-under-test");

/// The server binary under test: ours, or another build named by `ROUNDTABLE_TEST_BIN` (used
/// to show that a new test fails on the code before its fix).
pub fn server_binary() -> String {
    std::env::var("ROUNDTABLE_TEST_BIN").unwrap_or_else(|_| BIN.to_string())
}
pub const PASSWORD: &str = "a long test password";
/// Used for PostgreSQL runs, which refuse to start without an explicit key.
pub const PG_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres { server_url: String },
}

/// SQLite always; PostgreSQL too when ROUNDTABLE_TEST_PG holds a server URL.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    match std::env::var("ROUNDTABLE_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => all.push(Backend::Postgres { server_url: url }),
        _ => eprintln!("note: ROUNDTABLE_TEST_PG is not set, so this test ran on SQLite only (PostgreSQL run skipped)"),
    }
    all
}

/// Runs `scenario` once per backend, each on its own fresh server.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        scenario(app).await;
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    pub db_url: String,
    pub backend: Backend,
    env: Vec<(String, String)>,
    child: Option<Child>,
    pg_database: Option<(String, String)>,
}

fn pg_url_with_db(server_url: &str, db: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server_url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, extra_env: &[(&str, &str)]) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (db_url, pg_database, secret) = match &backend {
            Backend::Sqlite => (
                format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("roundtable.db").display()
                ),
                None,
                String::new(),
            ),
            Backend::Postgres { server_url } => {
                let name = format!("rt_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(server_url.as_str())
                    .await
                    .expect("connect to ROUNDTABLE_TEST_PG");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                (
                    pg_url_with_db(server_url, &name),
                    Some((server_url.clone(), name)),
                    PG_SECRET.to_string(),
                )
            }
        };
        let mut env = vec![
            (
                "ROUNDTABLE__SERVER__BIND".to_string(),
                "127.0.0.1:0".to_string(),
            ),
            (
                "ROUNDTABLE__DATA_DIR".to_string(),
                data_dir.path().display().to_string(),
            ),
            ("ROUNDTABLE__DATABASE__URL".to_string(), db_url.clone()),
            ("ROUNDTABLE__AUTH__JWT_SECRET".to_string(), secret),
            ("ROUNDTABLE__SERVER__WORKERS".to_string(), "2".to_string()),
            (
                "ROUNDTABLE__LOG__LEVEL".to_string(),
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".to_string()),
            ),
        ];
        for (k, v) in extra_env {
            env.push((k.to_string(), v.to_string()));
        }
        let mut app = TestApp {
            base: String::new(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            data_dir,
            db_url,
            backend,
            env,
            child: None,
            pg_database,
        };
        app.start();
        app
    }

    /// Starts (or restarts: a running process is killed first) the server process and waits
    /// for its address.
    pub fn start(&mut self) {
        self.stop();
        let (child, addr) = serve(self.command(), self.data_dir.path());
        self.base = addr;
        self.child = Some(child);
    }

    /// Sets (or replaces) a variable for the next start and for CLI runs.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Starts another server process on the same database, with its own data folder (and so
    /// its own search index); it stops when the returned value is dropped.
    pub fn start_sibling(&self) -> Sibling {
        self.start_sibling_in(tempfile::tempdir().expect("temp dir"))
    }

    /// `start_sibling` with a data folder of its own choosing (one a stopped sibling left).
    pub fn start_sibling_in(&self, data_dir: tempfile::TempDir) -> Sibling {
        let mut cmd = self.command();
        cmd.env("ROUNDTABLE__DATA_DIR", data_dir.path());
        let (child, base) = serve(cmd, data_dir.path());
        Sibling {
            child,
            base,
            data_dir,
        }
    }

    /// Adds `n` enabled users of `role` in organisation `org_id` straight into the database
    /// (no password: they are only mail recipients). Returns their (id, email), in order.
    pub async fn insert_users(&self, n: usize, org_id: i64, role: &str) -> Vec<(i64, String)> {
        let db = self.db().await;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let now = chrono::Utc::now().to_rfc3339();
        let mut out = Vec::new();
        for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "('reader{i}.{tag}@force{i}.example', 'Reader {i}', '{role}', {org_id}, \
                         'Reader', FALSE, NULL, '{now}')"
                    )
                })
                .collect();
            db.execute_unprepared(&format!(
                "INSERT INTO users (email, display_name, role, organisation_id, job_title, \
                 disabled, password_hash, created_at) VALUES {}",
                rows.join(", ")
            ))
            .await
            .expect("insert users");
        }
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id, email FROM users WHERE email LIKE '%.{tag}@%' ORDER BY id"),
            ))
            .await
            .expect("read users back");
        for row in rows {
            out.push((
                row.try_get_by_index::<i32>(0).expect("id") as i64,
                row.try_get_by_index::<String>(1).expect("email"),
            ));
        }
        assert_eq!(out.len(), n);
        out
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(server_binary());
        cmd.env_remove("ROUNDTABLE_CONFIG")
            .env_remove("ROUNDTABLE_PASSWORD");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs the CLI against this app's database and data folder.
    pub fn cli(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command();
        cmd.args(args);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().expect("run the CLI")
    }

    /// Runs the CLI, expects success, and returns the id on stdout's last line.
    pub fn cli_id(&self, args: &[&str], extra_env: &[(&str, &str)]) -> i64 {
        let out = self.cli(args, extra_env);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "roundtable {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no id on the last line of {stdout:?}"))
    }

    pub fn add_org(&self, name: &str, kind: &str) -> i64 {
        self.cli_id(&["org", "add", "--name", name, "--kind", kind], &[])
    }

    pub fn add_user(&self, email: &str, org: &str, role: &str) -> i64 {
        self.cli_id(
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                &format!("Test {role}"),
                "--org",
                org,
                "--role",
                role,
            ],
            &[("ROUNDTABLE_PASSWORD", PASSWORD)],
        )
    }

    pub fn add_space(&self, slug: &str, read: &str, post: &str, members: Option<&str>) -> i64 {
        let mut args = vec![
            "space",
            "add",
            "--slug",
            slug,
            "--name",
            slug,
            "--read-roles",
            read,
            "--post-roles",
            post,
        ];
        if let Some(m) = members {
            args.extend(["--members", m]);
        }
        self.cli_id(&args, &[])
    }

    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(self.db_url.as_str())
            .await
            .expect("connect to the test database")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.request_at(&self.base, method, path, token, body).await
    }

    /// `request` to another process of the same app (a sibling's `base`).
    pub async fn request_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn login_full(&self, email: &str, password: &str) -> (StatusCode, Value) {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn login(&self, email: &str) -> String {
        let (status, body) = self.login_full(email, PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// Kent Police's chief officer (`chief@kent.example`) and a space only chief officers use;
    /// returns their access token.
    pub async fn chief_with_space(&self, slug: &str) -> String {
        self.add_org("Kent Police", "force");
        self.add_user("chief@kent.example", "Kent Police", "chief_officer");
        self.add_space(slug, "chief_officer", "chief_officer", None);
        self.login("chief@kent.example").await
    }

    /// Starts a thread and returns (thread id, opening post id).
    pub async fn start_thread(
        &self,
        token: &str,
        space: &str,
        title: &str,
        body: &str,
    ) -> (i64, i64) {
        let (status, created) = self
            .post(
                &format!("/api/v1/spaces/{space}/threads"),
                token,
                serde_json::json!({"title": title, "body": body, "tags": [], "marking": "OFFICIAL"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "start thread in {space}: {created}"
        );
        (
            created["id"].as_i64().unwrap(),
            created["post_id"].as_i64().unwrap(),
        )
    }

    pub async fn reply(&self, token: &str, thread: i64, parent: Option<i64>, body: &str) -> i64 {
        let (status, created) = self
            .post(
                &format!("/api/v1/threads/{thread}/posts"),
                token,
                serde_json::json!({"body": body, "parent_id": parent}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "reply in {thread}: {created}");
        created["id"].as_i64().unwrap()
    }

    /// Counts rows in a table (for checks on what a request wrote).
    pub async fn count(&self, sql: &str) -> i64 {
        let db = self.db().await;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql.to_string(),
            ))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }
}

/// Runs `serve` with `cmd`, logging to `log_dir/server.log`, and waits for its address.
fn serve(mut cmd: Command, log_dir: &std::path::Path) -> (Child, String) {
    let log_path = log_dir.join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = cmd
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start the server binary");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("Roundtable listening on ") {
                let _ = tx.send(addr.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(90)) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("server did not start within 90 s; its log:\n{log}");
        }
    }
}

/// A second server process on the same database.
pub struct Sibling {
    child: Child,
    /// Its address, `http://127.0.0.1:PORT`.
    pub base: String,
    data_dir: tempfile::TempDir,
}

impl Sibling {
    /// Stops the process and hands back its data folder (its search index, its log).
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("temp dir"))
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts the error shape: `{"error": {"code": "...", "message": "..."}}`.
pub fn assert_error_shape(body: &Value, context: &str) {
    let err = &body["error"];
    assert!(
        err["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{context}: no error.code in {body}"
    );
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: no error.message in {body}"
    );
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
        if let Some((server_url, name)) = self.pg_database.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(server_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}
