//! One master secret, a separate key for each purpose (HKDF-SHA256, RFC 5869), so that a value
//! made for one use can never pass as another: an unsubscribe link is no access token, and a
//! leaked CSRF token says nothing about either.
use super::csrf::CsrfKey;
use super::feed_tokens::FeedKey;
use super::jwt::JwtKeys;
use super::totp::SealingKey;
use crate::digest::unsubscribe::UnsubscribeKey;
use hkdf::Hkdf;
use sha2::Sha256;

/// What a derived key is for; the name is the HKDF `info`, so it must never change.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    AccessTokens,
    Unsubscribe,
    Csrf,
    Feeds,
    AuthenticatorSecrets,
    ProviderSecrets,
}

impl Purpose {
    fn info(self) -> &'static [u8] {
        match self {
            Purpose::AccessTokens => b"roundtable/v1/access-tokens",
            Purpose::Unsubscribe => b"roundtable/v1/unsubscribe",
            Purpose::Csrf => b"roundtable/v1/csrf",
            Purpose::Feeds => b"roundtable/v1/feeds",
            Purpose::AuthenticatorSecrets => b"roundtable/v1/authenticator-secrets",
            Purpose::ProviderSecrets => b"roundtable/v1/provider-secrets",
        }
    }
}

/// The 32-byte key for `purpose` under `master`.
pub fn derive(master: &[u8], purpose: Purpose) -> [u8; 32] {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"roundtable"), master)
        .expand(purpose.info(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

/// Every key the server signs with, each derived from the one master secret.
#[derive(Clone)]
pub struct Keys {
    pub access: JwtKeys,
    pub unsubscribe: UnsubscribeKey,
    pub csrf: CsrfKey,
    pub feeds: FeedKey,
    pub authenticators: SealingKey,
    /// Seals the client secrets of organisations' identity providers.
    pub provider_secrets: SealingKey,
}

impl Keys {
    pub fn from_master(master: &[u8]) -> Self {
        Keys {
            access: JwtKeys::from_secret(&derive(master, Purpose::AccessTokens)),
            unsubscribe: UnsubscribeKey::from_secret(&derive(master, Purpose::Unsubscribe)),
            csrf: CsrfKey::from_secret(&derive(master, Purpose::Csrf)),
            feeds: FeedKey::from_secret(&derive(master, Purpose::Feeds)),
            authenticators: SealingKey::from_secret(&derive(master, Purpose::AuthenticatorSecrets)),
            provider_secrets: SealingKey::from_secret(&derive(master, Purpose::ProviderSecrets)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_has_its_own_key_and_none_is_the_master() {
        let master = [9u8; 48];
        let keys = [
            derive(&master, Purpose::AccessTokens),
            derive(&master, Purpose::Unsubscribe),
            derive(&master, Purpose::Csrf),
            derive(&master, Purpose::Feeds),
            derive(&master, Purpose::AuthenticatorSecrets),
            derive(&master, Purpose::ProviderSecrets),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(keys.iter().all(|k| k[..] != master[..32]));
        assert_eq!(keys[0], derive(&master, Purpose::AccessTokens));
        assert_ne!(keys[0], derive(&[8u8; 48], Purpose::AccessTokens));
    }
}
