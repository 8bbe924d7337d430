//! One-click unsubscribe tokens (RFC 8058): `USERID.MAC`, where MAC is an HMAC-SHA256 of the
//! list and the user id under the server's secret. They need no login and do not expire; all
//! one can do with a token is turn that user's mail of that list off.
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The kinds of mail one can stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Weekly,
    Notifications,
}

impl List {
    pub fn as_str(self) -> &'static str {
        match self {
            List::Weekly => "weekly",
            List::Notifications => "notifications",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "weekly" => Some(List::Weekly),
            "notifications" => Some(List::Notifications),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct UnsubscribeKey {
    secret: Vec<u8>,
}

impl UnsubscribeKey {
    pub fn from_secret(secret: &[u8]) -> Self {
        UnsubscribeKey {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, list: List, user_id: i32) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(format!("roundtable-unsubscribe:{}:{user_id}", list.as_str()).as_bytes());
        mac
    }

    pub fn token(&self, list: List, user_id: i32) -> String {
        let tag = self.mac(list, user_id).finalize().into_bytes();
        format!("{user_id}.{}", URL_SAFE_NO_PAD.encode(&tag[..16]))
    }

    /// The user the token was made for, if it is genuine for that list.
    pub fn verify(&self, list: List, token: &str) -> Option<i32> {
        let (id, tag) = token.split_once('.')?;
        let user_id: i32 = id.parse().ok().filter(|n| *n > 0)?;
        // Only the canonical form: `+6` and `006` name user 6 too, but are not the link we sent.
        if id != user_id.to_string() {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if tag.len() != 16 {
            return None;
        }
        self.mac(list, user_id).verify_truncated_left(&tag).ok()?;
        Some(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_user_and_key() {
        let key = UnsubscribeKey::from_secret(&[7; 32]);
        let token = key.token(List::Weekly, 42);
        assert_eq!(key.verify(List::Weekly, &token), Some(42));
        assert_eq!(key.verify(List::Notifications, &token), None);
        let other_user = token.replacen("42.", "43.", 1);
        assert_eq!(key.verify(List::Weekly, &other_user), None);
        assert_eq!(
            UnsubscribeKey::from_secret(&[8; 32]).verify(List::Weekly, &token),
            None
        );
        let tag = token.split_once('.').unwrap().1;
        for junk in [
            "",
            "42",
            "42.",
            "x.y",
            "-1.AAAA",
            &format!("{token}A"),
            &format!("+42.{tag}"),
            &format!("042.{tag}"),
            &format!(" 42.{tag}"),
        ] {
            assert_eq!(key.verify(List::Weekly, junk), None, "{junk}");
        }
    }
}
