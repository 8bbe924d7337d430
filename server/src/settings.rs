//! Layered configuration: the embedded `config/default.toml`, then an optional file, then
//! `ROUNDTABLE__SECTION__KEY` environment variables. Validated once; a bad value stops
//! start-up with a message naming the key.
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

const DEFAULTS: &str = include_str!("../../config/default.toml");

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub search: SearchSettings,
    pub digest: DigestSettings,
    pub clock: ClockSettings,
    pub limits: Limits,
    pub library: LibrarySettings,
    pub scan: ScanSettings,
    pub markdown: MarkdownSettings,
    pub log: LogSettings,
    pub metrics: MetricsSettings,
    pub cache: CacheSettings,
    pub nodes: NodeSettings,
}

/// How the server processes sharing a database keep track of each other.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSettings {
    /// How often each process records that it is alive and how far its index has read.
    pub heartbeat_seconds: u64,
    /// A process silent for longer is not waited for when the outbox is pruned.
    pub live_seconds: u64,
    /// Outbox rows younger than this are never pruned.
    pub outbox_retention_seconds: u64,
}

/// What each process keeps in memory between requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    /// Rendered threads kept, in megabytes of JSON; 0 keeps none.
    pub thread_megabytes: u64,
}

/// Prometheus metrics at `GET /metrics`, for a scraper sending `Authorization: Bearer TOKEN`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Empty: no metrics (the address answers 404).
    pub token: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: String,
    pub public_url: String,
    pub workers: usize,
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<String>,
    /// `scheme://host[:port]` of `public_url`, as browsers send it in `Origin`.
    #[serde(skip)]
    pub public_origin: String,
    /// `trusted_proxies`, parsed.
    #[serde(skip)]
    pub trusted_proxy_nets: Vec<ipnet::IpNet>,
}

impl ServerSettings {
    /// Whether Roundtable is reached over HTTPS.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Cookies are `Secure` whenever the public address is HTTPS, or when forced.
    pub fn cookies_secure(&self) -> bool {
        self.secure_cookies || self.is_https()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub access_token_minutes: u32,
    pub refresh_token_days: u32,
    pub invitation_days: u32,
    pub login_failures_per_account: u32,
    pub login_failures_per_ip: u32,
    pub login_window_seconds: u64,
    /// A rotated-out refresh token presented again within this many seconds is refused
    /// without ending the session (two tabs refreshing at once); later, it ends the session.
    pub refresh_reuse_grace_seconds: u32,
    /// Changing how one signs in (a second factor) needs a sign-in at most this many minutes
    /// old, or the password given again. 0 always asks for the password.
    pub recent_sign_in_minutes: u32,
    /// Roles whose password sign-ins must also give a code from an authenticator app; someone
    /// without one sets it up as part of signing in. `everyone` stands for every role.
    pub require_second_factor: Vec<String>,
    /// How far an organisation's sign-in service's clock may be behind ours: an ID token is
    /// accepted this many seconds past its expiry.
    pub sso_clock_skew_seconds: u32,
}

impl AuthSettings {
    /// Whether a person with `role` must sign in with a second factor.
    pub fn second_factor_required(&self, role: &str) -> bool {
        self.require_second_factor
            .iter()
            .any(|r| r == "everyone" || r == role)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    Auto,
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub file_dir: PathBuf,
    pub smtp_url: SecretString,
    pub from: String,
    pub timeout_seconds: u64,
    pub smtp_pool_size: u32,
    pub smtp_ca_file: PathBuf,
    pub sensitive_title_domains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub scheduler: bool,
    pub tick_seconds: u64,
    pub send_empty: bool,
    pub late_hours: u32,
    pub batch: u32,
    pub concurrency: u32,
    pub max_attempts: u32,
    pub retry_base_seconds: u64,
    pub lease_seconds: u64,
    pub notify_batch_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    pub start: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSettings {
    pub index_dir: PathBuf,
    /// Searches one user may have running at once; more are answered 429.
    pub max_concurrent_per_user: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub title_chars: usize,
    pub post_chars: usize,
    pub tags: usize,
    pub body_bytes: usize,
    /// Deepest reply; a reply to a post at this depth hangs under its parent instead.
    pub reply_depth: i32,
    /// Time allowed to render one post's Markdown; a body that needs longer is refused.
    pub render_budget_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibrarySettings {
    /// Content-addressed file store; empty in the file means `{data_dir}/files`.
    pub files_dir: PathBuf,
    pub max_file_bytes: u64,
    pub daily_bytes_per_user: u64,
    /// Wall time one file's text extraction may take.
    pub extract_seconds: u64,
    /// Memory the extraction process may use.
    pub extract_memory_mb: u64,
    /// Most characters of text kept from one file.
    pub extract_max_chars: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSettings {
    /// `unix:PATH` or `tcp:HOST:PORT` of clamd; empty: no scanning.
    pub clamd: String,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownSettings {
    /// Hosts whose images posts may show; any other image becomes a link.
    pub image_hosts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A trusted proxy: one address (`10.0.0.5`, `::1`) or a range (`10.0.0.0/8`).
fn parse_net(raw: &str) -> Result<ipnet::IpNet, SettingsError> {
    let raw = raw.trim();
    raw.parse::<ipnet::IpNet>()
        .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| {
            invalid(
                "server.trusted_proxies",
                format!("{raw:?} is not an IP address or CIDR range"),
            )
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl Settings {
    /// Loads the layers. `file` comes from `--config`, else from `ROUNDTABLE_CONFIG`.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let env_file = std::env::var_os("ROUNDTABLE_CONFIG").map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(invalid(
                    "--config",
                    format!("{} does not exist or is not a file", path.display()),
                ));
            }
            builder = builder.add_source(config::File::from(path).required(true));
        }
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("ROUNDTABLE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("markdown.image_hosts")
                    .with_list_parse_key("mail.sensitive_title_domains")
                    .with_list_parse_key("auth.require_second_factor"),
            )
            .build()?
            .try_deserialize()?;
        settings.resolved()
    }

    /// Fills the derived defaults (paths under `data_dir`) and checks every rule.
    fn resolved(mut self) -> Result<Self, SettingsError> {
        // A list set from an environment variable as "" means an empty list.
        for list in [
            &mut self.server.trusted_proxies,
            &mut self.markdown.image_hosts,
            &mut self.mail.sensitive_title_domains,
        ] {
            list.retain(|item| !item.trim().is_empty());
        }
        if self.database.url.trim().is_empty() {
            self.database.url = format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("roundtable.db").display()
            );
        }
        if self.mail.file_dir.as_os_str().is_empty() {
            self.mail.file_dir = self.data_dir.join("mail");
        }
        if self.search.index_dir.as_os_str().is_empty() {
            self.search.index_dir = self.data_dir.join("index");
        }
        if self.library.files_dir.as_os_str().is_empty() {
            self.library.files_dir = self.data_dir.join("files");
        }
        self.validate()?;
        self.server.public_origin = url::Url::parse(&self.server.public_url)
            .map_err(|e| invalid("server.public_url", format!("is not a URL: {e}")))?
            .origin()
            .ascii_serialization();
        self.server.trusted_proxy_nets = self
            .server
            .trusted_proxies
            .iter()
            .map(|raw| parse_net(raw))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.bind_addr()?;
        if !(self.server.public_url.starts_with("http://")
            || self.server.public_url.starts_with("https://"))
        {
            return Err(invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        let kind = self.database_kind()?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        let secret_len = self.auth.jwt_secret.expose_secret().len();
        if kind == DatabaseKind::Postgres && secret_len < 32 {
            return Err(invalid(
                "auth.jwt_secret",
                "PostgreSQL is configured, so an explicit key of at least 32 bytes is required \
                 (set ROUNDTABLE__AUTH__JWT_SECRET)",
            ));
        }
        if secret_len > 0 && secret_len < 32 {
            return Err(invalid("auth.jwt_secret", "must be at least 32 bytes"));
        }
        if !(1..=15).contains(&self.auth.access_token_minutes) {
            return Err(invalid(
                "auth.access_token_minutes",
                "must be between 1 and 15",
            ));
        }
        if let Some(unknown) = self
            .auth
            .require_second_factor
            .iter()
            .find(|r| r.as_str() != "everyone" && r.parse::<crate::domain::Role>().is_err())
        {
            return Err(invalid(
                "auth.require_second_factor",
                format!(
                    "{unknown:?} is not a role: use chief_officer, pcc, staff, supplier, admin \
                     or everyone"
                ),
            ));
        }
        if self.auth.sso_clock_skew_seconds > 600 {
            return Err(invalid(
                "auth.sso_clock_skew_seconds",
                "must be at most 600",
            ));
        }
        if self.auth.recent_sign_in_minutes > 60 {
            return Err(invalid("auth.recent_sign_in_minutes", "must be at most 60"));
        }
        if self.auth.refresh_token_days == 0 {
            return Err(invalid("auth.refresh_token_days", "must be at least 1"));
        }
        if self.auth.invitation_days == 0 {
            return Err(invalid("auth.invitation_days", "must be at least 1"));
        }
        if self.auth.login_failures_per_account == 0 {
            return Err(invalid(
                "auth.login_failures_per_account",
                "must be at least 1",
            ));
        }
        if self.auth.login_failures_per_ip == 0 {
            return Err(invalid("auth.login_failures_per_ip", "must be at least 1"));
        }
        if !(1..=2_592_000).contains(&self.auth.login_window_seconds) {
            return Err(invalid(
                "auth.login_window_seconds",
                "must be between 1 and 2592000 (30 days)",
            ));
        }
        let smtp_url = self.mail.smtp_url.expose_secret();
        if self.mail.transport == MailTransportKind::Smtp && smtp_url.is_empty() {
            return Err(invalid(
                "mail.smtp_url",
                "mail.transport is smtp, so smtp_url must be set",
            ));
        }
        if !(smtp_url.is_empty()
            || smtp_url.starts_with("smtp://")
            || smtp_url.starts_with("smtps://"))
        {
            return Err(invalid(
                "mail.smtp_url",
                "must start with smtp:// or smtps://",
            ));
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "mail.from",
                "is not a mailbox such as \"Roundtable <no-reply@example.org>\"",
            ));
        }
        if self.mail.smtp_pool_size == 0 {
            return Err(invalid("mail.smtp_pool_size", "must be at least 1"));
        }
        let d = &self.digest;
        for (key, value) in [
            ("mail.timeout_seconds", self.mail.timeout_seconds),
            ("digest.tick_seconds", d.tick_seconds),
            ("digest.batch", u64::from(d.batch)),
            ("digest.concurrency", u64::from(d.concurrency)),
            ("digest.max_attempts", u64::from(d.max_attempts)),
            ("digest.retry_base_seconds", d.retry_base_seconds),
            ("digest.lease_seconds", d.lease_seconds),
            ("library.max_file_bytes", self.library.max_file_bytes),
            (
                "library.daily_bytes_per_user",
                self.library.daily_bytes_per_user,
            ),
            ("library.extract_seconds", self.library.extract_seconds),
            ("library.extract_memory_mb", self.library.extract_memory_mb),
            ("scan.timeout_seconds", self.scan.timeout_seconds),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        self.clock_start()?;
        if !self.scan.clamd.is_empty() {
            crate::library::scan::Clamd::parse(&self.scan.clamd)
                .map_err(|message| invalid("scan.clamd", message))?;
        }
        if self.limits.title_chars == 0
            || self.limits.post_chars == 0
            || self.limits.body_bytes < 1024
        {
            return Err(invalid(
                "limits",
                "title_chars and post_chars must be positive, body_bytes at least 1024",
            ));
        }
        if self.search.max_concurrent_per_user == 0 {
            return Err(invalid(
                "search.max_concurrent_per_user",
                "must be at least 1",
            ));
        }
        if self.limits.reply_depth < 1 {
            return Err(invalid("limits.reply_depth", "must be at least 1"));
        }
        if !(10..=10_000).contains(&self.limits.render_budget_ms) {
            return Err(invalid(
                "limits.render_budget_ms",
                "must be between 10 and 10000",
            ));
        }
        if let Some(bad) = self
            .markdown
            .image_hosts
            .iter()
            .find(|h| h.is_empty() || h.contains(['/', ':', ' ', '*']))
        {
            return Err(invalid(
                "markdown.image_hosts",
                format!("{bad:?} is not a host name such as images.police.example"),
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!("{:?} is not a log filter", self.log.level),
            ));
        }
        Ok(())
    }

    pub fn bind_addr(&self) -> Result<SocketAddr, SettingsError> {
        self.server
            .bind
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| {
                invalid(
                    "server.bind",
                    format!("{:?} is not HOST:PORT", self.server.bind),
                )
            })
    }

    pub fn database_kind(&self) -> Result<DatabaseKind, SettingsError> {
        let url = &self.database.url;
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(invalid(
                "database.url",
                "must start with sqlite:// or postgres://",
            ))
        }
    }

    pub fn uses_smtp(&self) -> bool {
        match self.mail.transport {
            MailTransportKind::Smtp => true,
            MailTransportKind::File => false,
            MailTransportKind::Auto => !self.mail.smtp_url.expose_secret().is_empty(),
        }
    }

    /// The moment the clock should read at start-up, when one is configured.
    pub fn clock_start(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, SettingsError> {
        let raw = self.clock.start.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        chrono::DateTime::parse_from_rfc3339(raw)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                invalid(
                    "clock.start",
                    "must be an RFC 3339 time such as 2026-11-30T06:59:00Z",
                )
            })
    }

    /// The host name in `server.public_url`, for Message-IDs and List-Id.
    pub fn public_host(&self) -> &str {
        let rest = self
            .public_url()
            .split_once("://")
            .map(|(_, r)| r)
            .unwrap_or("");
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
        match host.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => host,
        }
    }

    pub fn public_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Settings {
        let s: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        s.resolved().unwrap()
    }

    #[test]
    fn defaults_are_embedded_sqlite() {
        let s = defaults();
        assert_eq!(s.database_kind().unwrap(), DatabaseKind::Sqlite);
        assert!(s.database.url.ends_with("roundtable.db?mode=rwc"));
        assert_eq!(s.mail.file_dir, PathBuf::from("data/mail"));
        assert!(!s.uses_smtp());
    }

    #[test]
    fn postgres_needs_a_long_key() {
        let mut s = defaults();
        s.database.url = "postgres://postgres@127.0.0.1/x".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("auth.jwt_secret"), "{err}");
        s.auth.jwt_secret = SecretString::from("k".repeat(32));
        s.validate().unwrap();
    }

    #[test]
    fn a_second_factor_is_required_of_the_roles_named_or_everyone() {
        let mut s = defaults();
        assert!(!s.auth.second_factor_required("admin"));
        s.auth.require_second_factor = vec!["admin".into(), "pcc".into()];
        s.validate().unwrap();
        assert!(s.auth.second_factor_required("admin"));
        assert!(s.auth.second_factor_required("pcc"));
        assert!(!s.auth.second_factor_required("staff"));
        s.auth.require_second_factor = vec!["everyone".into()];
        assert!(s.auth.second_factor_required("supplier"));
        s.auth.require_second_factor = vec!["chief".into()];
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("auth.require_second_factor"), "{err}");
        assert!(err.contains("\"chief\" is not a role"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut s = defaults();
        s.auth.access_token_minutes = 60;
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("auth.access_token_minutes"));
        let mut s = defaults();
        s.server.bind = "nonsense".into();
        assert!(s
            .validate()
            .unwrap_err()
            .to_string()
            .contains("server.bind"));
    }
}
