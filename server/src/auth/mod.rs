//! Who is asking: passwords, tokens, sessions, cookies, CSRF and the `Viewer` extractor.
pub mod cookies;
pub mod csrf;
pub mod extractor;
pub mod feed_tokens;
pub mod jwt;
pub mod keys;
pub mod login_throttle;
pub mod password;
pub mod sessions;
pub mod totp;

pub use extractor::Viewer;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random opaque token (refresh tokens, invitation links): 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Opaque tokens are stored only as their SHA-256, so a database leak reveals no live token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
