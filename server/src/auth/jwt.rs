//! Short-lived access tokens (HS256), each bound to a session row by `sid`.
use crate::settings::{DatabaseKind, Settings};
use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id, as a string as RFC 7519 wants.
    pub sub: String,
    /// Session id; the session must still be live for the token to count.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Tokens whose signature this process has checked, with their claims: a token is
    /// presented with every request for its 15 minutes, and checking its signature and
    /// reading its claims again each time costs more than the rest of a cached read. The key
    /// never changes while the process runs; expiry is still checked at each use.
    verified: moka::sync::Cache<String, Claims>,
}

/// Checked tokens kept at most: one per person active in the last minute, or so.
const VERIFIED_TOKENS: u64 = 20_000;

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_TOKENS)
                .time_to_live(std::time::Duration::from_secs(60))
                .build(),
        }
    }

    /// The configured key, or with SQLite and no key, the one in `{data_dir}/jwt.key`,
    /// generated on first start with mode 0600.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self::from_secret(&load_secret(settings)?))
    }

    pub fn issue(&self, claims: &Claims) -> anyhow::Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .context("signing access token")
    }

    /// Checks signature (HS256 only, so `alg: none` and other algorithms fail) and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        if let Some(known) = self.verified.get(token) {
            // As jsonwebtoken decides with no leeway: expired once `exp` is in the past.
            return (known.exp >= now).then_some(known);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()?
            .claims;
        self.verified.insert(token.to_string(), claims.clone());
        Some(claims)
    }
}

/// The server's signing secret: `auth.jwt_secret`, or with SQLite and no key, the one in
/// `{data_dir}/jwt.key`, generated on first start with mode 0600.
pub fn load_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = settings.auth.jwt_secret.expose_secret();
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    if settings.database_kind()? == DatabaseKind::Postgres {
        anyhow::bail!("auth.jwt_secret is required with PostgreSQL");
    }
    load_or_create_key_file(&settings.data_dir.join("jwt.key"))
}

fn load_or_create_key_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    use std::io::Write;
    if let Ok(existing) = std::fs::read_to_string(path) {
        let bytes = hex::decode(existing.trim()).with_context(|| {
            format!(
                "{} is not a hex key; delete it to generate a new one",
                path.display()
            )
        })?;
        anyhow::ensure!(
            bytes.len() >= 32,
            "{} holds a key shorter than 32 bytes",
            path.display()
        );
        return Ok(bytes);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut key = vec![0u8; 64];
    rand::thread_rng().fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating the signing key {}", path.display()))?;
    file.write_all(hex::encode(&key).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_stable() {
        let dir = std::env::temp_dir().join(format!("rt-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("jwt.key");
        let first = load_or_create_key_file(&path).unwrap();
        let second = load_or_create_key_file(&path).unwrap();
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn rejects_other_keys_and_expired_tokens() {
        let keys = JwtKeys::from_secret(&[7u8; 32]);
        let other = JwtKeys::from_secret(&[8u8; 32]);
        let now = chrono::Utc::now().timestamp();
        let live = Claims {
            sub: "1".into(),
            sid: "s".into(),
            iat: now,
            exp: now + 60,
        };
        let token = keys.issue(&live).unwrap();
        assert!(keys.verify(&token).is_some());
        assert!(other.verify(&token).is_none());
        let old = Claims {
            sub: "1".into(),
            sid: "s".into(),
            iat: now - 120,
            exp: now - 60,
        };
        assert!(keys.verify(&keys.issue(&old).unwrap()).is_none());
    }

    #[test]
    fn a_token_checked_before_is_refused_once_expired_and_a_forgery_is_never_taken_for_it() {
        let keys = JwtKeys::from_secret(&[7u8; 32]);
        let now = chrono::Utc::now().timestamp();
        let token = keys
            .issue(&Claims {
                sub: "1".into(),
                sid: "s".into(),
                iat: now,
                exp: now + 1,
            })
            .unwrap();
        assert!(keys.verify(&token).is_some());
        assert!(keys.verify(&token).is_some(), "kept, still live");
        let (body, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let forged = format!("{body}.{flipped}{}", &signature[1..]);
        assert!(keys.verify(&forged).is_none());
        std::thread::sleep(std::time::Duration::from_millis(2100));
        assert!(keys.verify(&token).is_none(), "expired while kept");
    }
}
