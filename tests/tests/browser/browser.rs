//! A real browser for the page tests: Debian's headless Chromium driven over WebDriver by
//! chromedriver, one per test, closed even when the test fails. With axe-core for
//! accessibility, the browser's console log, and screenshots in `target/screenshots/`.
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const AXE: &str = include_str!("../../assets/axe.min.js");

/// Whether scripts run in the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scripts {
    On,
    Off,
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    pub base: String,
    pub scripts: Scripts,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Chromium and chromedriver must be installed (`.ci/run` installs Debian's `chromium` and
/// `chromium-driver`); without them the browser tests fail and say so, never pass.
fn require_browser() {
    for path in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(path).exists(),
            "the browser tests need {path}: install Debian's chromium and chromium-driver \
             (apt-get install -y chromium chromium-driver), as .ci/run does"
        );
    }
}

impl Browser {
    pub async fn start(base: &str, scripts: Scripts) -> Browser {
        require_browser();
        // Both of rustls's providers are compiled in (through different crates): pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut prefs = json!({});
        if scripts == Scripts::Off {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.keep().display()),
                ],
                "prefs": prefs,
            }
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("chromedriver did not start: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Browser {
            client,
            driver,
            base: base.to_string(),
            scripts,
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }

    /// Sets a field's value directly (for long or unusual text that typing would make slow).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clicks a link or a submit button and waits until the next page has loaded (the old
    /// page's body has gone), which works with scripts off too.
    pub async fn follow(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("body"))
            .await
            .expect("the page has a body");
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while old.tag_name().await.is_ok() {
            assert!(
                Instant::now() < deadline,
                "clicking {css} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("body"))
            .await
            .expect("the new page has a body");
    }

    /// Waits until an element matching `css` is on the page (after a page moves on by itself).
    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
    }

    /// Gives the browser a virtual passkey authenticator (WebDriver's WebAuthn extension) that
    /// verifies the user and says yes to every request, as a person touching it would.
    pub async fn add_virtual_authenticator(&self) {
        self.client
            .issue_cmd(VirtualAuthenticator)
            .await
            .expect("add a virtual authenticator");
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        self.open("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.follow("form[action='/login'] button[type=submit]")
            .await;
    }

    /// axe-core's serious and critical violations on the current page, one line each.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.client
            .execute(AXE, vec![])
            .await
            .expect("inject axe-core");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' at ' +
                          v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));",
                vec![],
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(found).expect("axe result")
    }

    /// Messages logged at SEVERE level since the last call (errors, blocked scripts, CSP
    /// violations, failed loads), except the page's own status when it is an error page or
    /// a form sent back with errors, which Chromium logs too.
    pub async fn console_errors(&self) -> Vec<String> {
        let mut here = self.client.current_url().await.expect("current url");
        here.set_fragment(None);
        let own_status = format!("{here} - Failed to load resource");
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read the browser log");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .filter(|m| !m.contains("favicon.ico") && !m.starts_with(&own_status))
            .collect()
    }

    /// Whether a JavaScript dialog (alert, confirm, prompt) is open.
    pub async fn dialog_open(&self) -> bool {
        self.client.get_alert_text().await.is_ok()
    }

    /// What makes the page, at `width` CSS pixels (a 320px phone, or 640px: a 1280px window
    /// at 200% zoom), wider than the window, so that the whole page would scroll sideways:
    /// empty when nothing does. Tables and code blocks scroll inside their own boxes and do
    /// not count.
    pub async fn sideways_at(&self, width: u32) -> Vec<String> {
        self.client
            .set_window_size(width, 900)
            .await
            .expect("resize");
        let found = self
            .client
            .execute(
                "const root = document.documentElement;
                 if (root.scrollWidth <= root.clientWidth) return [];
                 const out = [];
                 for (const el of document.body.querySelectorAll('*')) {
                   const r = el.getBoundingClientRect();
                   if (r.right > root.clientWidth + 1 && el.closest('.rt-table-wrapper, pre') === null) {
                     out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                       (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                       ' right=' + Math.round(r.right));
                   }
                   if (out.length >= 8) break;
                 }
                 return out.length ? out : ['the page (' + root.scrollWidth + 'px)'];",
                vec![],
            )
            .await
            .expect("measure the page");
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resize back");
        serde_json::from_value(found).unwrap_or_default()
    }

    /// Saves a screenshot of the page at `width` pixels to `target/screenshots/{name}-{width}.png`.
    pub async fn screenshot(&self, name: &str, width: u32) {
        self.client
            .set_window_size(width, 1200)
            .await
            .expect("resize");
        // From the top of the page, whatever the address's fragment scrolled to.
        let _ = self.client.execute("window.scrollTo(0, 0);", vec![]).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("save screenshot");
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resize back");
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("screenshots")
}

/// chromedriver's browser log (`goog:loggingPrefs`), which W3C WebDriver has no command for.
#[derive(Debug)]
struct BrowserLog;

#[derive(Debug)]
struct VirtualAuthenticator;

impl WebDriverCompatibleCommand for VirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let options = json!({
            "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
            "hasUserVerification": true, "isUserVerified": true,
            "automaticPresenceSimulation": true,
        });
        (http::Method::POST, Some(options.to_string()))
    }
}

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}
