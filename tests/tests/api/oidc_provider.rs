//! The OpenID provider the single sign-on tests talk to: npm's `oidc-provider` 8.8.1 (OpenID
//! Certified) in `tests/oidc-provider/`, one issuer per tenant as Entra ID has, started as a
//! process; its control API adds tenants, rotates keys and makes the next ID token misbehave.
use crate::helpers::TestApp;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "roundtable-tests";
pub const CLIENT_SECRET: &str = "a-client-secret-that-is-long-enough-for-hs256-0123456789";
pub const TENANT: &str = "8f3c2a51-6b1e-4c2d-9a7f-0e1d2c3b4a59";
pub const OTHER_TENANT: &str = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9";
pub const CALLBACK: &str = "/login/organisation/callback";

/// The provider process; stopped when dropped.
pub struct Provider {
    child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn harness_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
}

/// Installs the provider's pinned packages (`npm ci`) once, when they are not there yet.
fn installed() -> Result<(), String> {
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = harness_dir();
            if dir.join("node_modules/oidc-provider").exists() {
                return Ok(());
            }
            let out = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(&dir)
                .output()
                .map_err(|e| format!("npm could not be run ({e}): install Node.js 20 and npm"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "`npm ci --prefix {}` failed: {}",
                    dir.display(),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .clone()
}

/// Starts the provider (installing its packages the first time), or says why it cannot, and
/// fails when CI requires it.
pub fn start_provider() -> Option<Provider> {
    let dir = harness_dir();
    if let Err(why) = installed() {
        if std::env::var_os("ROUNDTABLE_TEST_REQUIRE_OIDC").is_some() {
            panic!("{why}, and ROUNDTABLE_TEST_REQUIRE_OIDC is set");
        }
        eprintln!("note: single sign-on test skipped: {why}");
        return None;
    }
    let mut child = Command::new("node")
        .arg(dir.join("server.js"))
        .current_dir(&dir)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the provider's first line");
    let port = line
        .trim()
        .strip_prefix("LISTENING ")
        .unwrap_or_else(|| panic!("the provider said {line:?}"))
        .to_string();
    Some(Provider {
        child,
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    })
}

#[derive(Clone, Copy)]
pub struct Account<'a> {
    pub login: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub oid: &'a str,
    pub tid: Option<&'a str>,
    pub idp: Option<&'a str>,
}

impl<'a> Account<'a> {
    pub fn member(login: &'a str, email: &'a str, oid: &'a str) -> Self {
        Account {
            login,
            email,
            name: "Sam Okafor",
            oid,
            tid: None,
            idp: None,
        }
    }
}

impl Provider {
    async fn control(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(format!("{}/_control/{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("control the provider");
        assert!(
            res.status().is_success(),
            "control {path}: {}",
            res.status()
        );
        res.json().await.expect("control answer")
    }

    /// Makes `tenant` with our client (calling back to `app`) and `accounts`; its issuer.
    pub async fn tenant(&self, tenant: &str, app_base: &str, accounts: &[Account<'_>]) -> String {
        let accounts: Vec<Value> = accounts
            .iter()
            .map(|a| {
                let mut v = json!({
                    "login": a.login, "sub": format!("sub-{}", a.oid), "oid": a.oid,
                    "email": a.email, "name": a.name, "tid": a.tid.unwrap_or(tenant),
                });
                if let Some(idp) = a.idp {
                    v["idp"] = idp.into();
                }
                v
            })
            .collect();
        let made = self
            .control(
                "tenants",
                json!({
                    "tenant": tenant,
                    "clients": [{
                        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                        "redirect_uris": [format!("{app_base}{CALLBACK}")],
                    }],
                    "accounts": accounts,
                    "id_token_ttl": 600,
                }),
            )
            .await;
        made["issuer"].as_str().expect("issuer").to_string()
    }

    /// The next ID token `tenant` issues is altered as `how` says.
    pub async fn tamper(&self, tenant: &str, how: Value) {
        self.control(&format!("{tenant}/tamper"), how).await;
    }

    pub async fn rotate(&self, tenant: &str) {
        self.control(&format!("{tenant}/rotate"), json!({})).await;
    }
}

/// Registers `tenant` as Kent Police's provider (Entra style: issuer and tenant id).
pub fn register_provider(app: &TestApp, issuer: &str, tenant: &str, auto_admit: bool) {
    let mut args = vec![
        "org",
        "idp",
        "add",
        "--org",
        "Kent Police",
        "--issuer",
        issuer,
        "--tenant-id",
        tenant,
        "--client-id",
        CLIENT_ID,
        "--client-secret-env",
        "KENT_CLIENT_SECRET",
    ];
    if auto_admit {
        args.push("--auto-admit");
    }
    let out = app.cli(&args, &[("KENT_CLIENT_SECRET", CLIENT_SECRET)]);
    assert!(
        out.status.success(),
        "org idp add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
