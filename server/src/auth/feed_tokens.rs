//! Feed links: a feed reader cannot sign in, so each person's feed addresses carry a token,
//! `{user id}.{HMAC of the id and the person's feed secret}`. The database holds only the
//! secret, so a copy of it cannot make a token without the server's key; a new secret (the
//! reset in settings) cuts off every link given out before.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct FeedKey {
    secret: [u8; 32],
}

impl FeedKey {
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        FeedKey { secret: *secret }
    }

    fn mac(&self, user_id: i32, feed_secret: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(format!("feed:{user_id}:{feed_secret}").as_bytes());
        mac
    }

    pub fn token(&self, user_id: i32, feed_secret: &str) -> String {
        let tag = URL_SAFE_NO_PAD.encode(self.mac(user_id, feed_secret).finalize().into_bytes());
        format!("{user_id}.{tag}")
    }

    /// The user id a token names, before it is checked against that user's secret.
    pub fn claimed_user(token: &str) -> Option<i32> {
        token.split_once('.')?.0.parse().ok().filter(|id| *id > 0)
    }

    /// Whether `token` was made for `user_id` with `feed_secret` (constant time).
    pub fn verify(&self, token: &str, user_id: i32, feed_secret: &str) -> bool {
        let Some((id, tag)) = token.split_once('.') else {
            return false;
        };
        id == user_id.to_string()
            && URL_SAFE_NO_PAD
                .decode(tag)
                .is_ok_and(|tag| self.mac(user_id, feed_secret).verify_slice(&tag).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_only_for_its_user_and_secret() {
        let key = FeedKey::from_secret(&[7; 32]);
        let token = key.token(42, "s1");
        assert_eq!(FeedKey::claimed_user(&token), Some(42));
        assert!(key.verify(&token, 42, "s1"));
        assert!(!key.verify(&token, 42, "s2"), "a reset secret cuts it off");
        assert!(!key.verify(&token.replacen("42.", "43.", 1), 43, "s1"));
        assert!(!FeedKey::from_secret(&[8; 32]).verify(&token, 42, "s1"));
        assert_eq!(FeedKey::claimed_user("junk"), None);
    }
}
