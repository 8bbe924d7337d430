//! Codes from an authenticator app (TOTP, RFC 6238: SHA-1, six digits, 30-second steps), the
//! sealing of their secrets at rest, and recovery codes.
//!
//! A code is taken from the step before, the current step or the one after, to allow for a
//! phone's clock being a little out; never from a step at or before the last one accepted,
//! so a code seen over someone's shoulder cannot be used again.
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Roundtable";

/// A fresh random secret for a new authenticator.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut secret);
    secret
}

fn generator(secret: &[u8], account: &str) -> TOTP {
    // The account name may not hold a colon in an otpauth URL's label.
    let account = account.replace(':', " ");
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some(ISSUER.to_string()),
        account,
    )
}

/// What an authenticator app needs to be set up: the secret in base32 (typed by hand) and the
/// `otpauth://` address (scanned as a QR code).
pub fn enrolment(secret: &[u8], account: &str) -> (String, String) {
    let totp = generator(secret, account);
    (totp.get_secret_base32(), totp.get_url())
}

/// The code for the step `step`.
pub fn code_at_step(secret: &[u8], step: u64) -> String {
    generator(secret, "").generate(step * STEP_SECONDS)
}

/// A typed code with the spaces people put in it taken out.
pub fn normalise_code(typed: &str) -> String {
    typed.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The step, within one of the step of `unix_seconds`, whose code is `code`, and which is
/// after `last_used`; `None` when there is none.
pub fn matching_step(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_used: Option<u64>,
) -> Option<u64> {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix_seconds / STEP_SECONDS;
    let mut found = None;
    for step in now.saturating_sub(1)..=now + 1 {
        let expected = code_at_step(secret, step);
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && last_used.is_none_or(|last| step > last) {
            found = Some(step);
        }
    }
    found
}

/// The key that seals authenticator secrets in the database.
#[derive(Clone)]
pub struct SealingKey(XChaCha20Poly1305);

const NONCE_BYTES: usize = 24;

impl SealingKey {
    pub fn from_secret(key: &[u8; 32]) -> Self {
        SealingKey(XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key)))
    }

    /// `secret` sealed for `user_id` only: base64 of a random nonce and the ciphertext.
    pub fn seal(&self, user_id: i32, secret: &[u8]) -> anyhow::Result<String> {
        self.seal_for(&associated_data(user_id), secret)
    }

    /// The secret sealed for `user_id`; `None` when it was sealed with another key or for
    /// someone else, or has been altered.
    pub fn open(&self, user_id: i32, sealed: &str) -> Option<Vec<u8>> {
        self.open_for(&associated_data(user_id), sealed)
    }

    /// `secret` sealed so that it opens only with the same `context` (what it belongs to).
    pub fn seal_for(&self, aad: &str, secret: &[u8]) -> anyhow::Result<String> {
        use base64::Engine;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The secret sealed for `aad`; `None` when it was sealed with another key or for another
    /// context, or has been altered.
    pub fn open_for(&self, aad: &str, sealed: &str) -> Option<Vec<u8>> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if bytes.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().ok()?;
        self.0
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .ok()
    }
}

fn associated_data(user_id: i32) -> String {
    format!("roundtable/totp/user/{user_id}")
}

/// Letters and digits that cannot be mistaken for one another (no I, O, 0 or 1).
const RECOVERY_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh recovery code: 16 characters (80 bits) in four groups, `ABCD-EFGH-JKLM-NPQR`.
pub fn new_recovery_code() -> String {
    let mut rng = rand::thread_rng();
    let chars: Vec<char> = (0..16)
        .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code as it is hashed: upper case, without spaces or dashes.
pub fn normalise_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 seed and its eight-digit codes.
    #[test]
    fn codes_match_rfc_6238_test_vectors() {
        let seed = b"12345678901234567890";
        let vectors = [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let eight_digits = TOTP::new_unchecked(
            Algorithm::SHA1,
            8,
            1,
            STEP_SECONDS,
            seed.to_vec(),
            None,
            String::new(),
        );
        for (time, code) in vectors {
            assert_eq!(eight_digits.generate(time), code, "at {time}");
            // Our six-digit codes are the last six digits of the same value.
            assert_eq!(
                code_at_step(seed, time / STEP_SECONDS),
                code[2..],
                "at {time}"
            );
        }
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_no_further() {
        let secret = new_secret();
        let now = 1_800_000_015u64;
        let step = now / STEP_SECONDS;
        for offset in [-1i64, 0, 1] {
            let s = step.checked_add_signed(offset).unwrap();
            assert_eq!(
                matching_step(&secret, &code_at_step(&secret, s), now, None),
                Some(s),
                "offset {offset}"
            );
        }
        for offset in [-2i64, 2, -3, 3] {
            let s = step.checked_add_signed(offset).unwrap();
            let code = code_at_step(&secret, s);
            // A code of a far step may by chance equal a near one's; then it is that one's.
            let near: Vec<_> = (step - 1..=step + 1)
                .filter(|n| code_at_step(&secret, *n) == code)
                .collect();
            let found = matching_step(&secret, &code, now, None);
            assert!(
                found.is_none() || near.contains(&found.unwrap()),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn a_code_at_or_before_the_last_step_used_is_refused() {
        let secret = new_secret();
        let now = 1_800_000_015u64;
        let step = now / STEP_SECONDS;
        let code = code_at_step(&secret, step);
        assert_eq!(
            matching_step(&secret, &code, now, Some(step - 1)),
            Some(step)
        );
        assert_eq!(matching_step(&secret, &code, now, Some(step)), None);
        assert_eq!(matching_step(&secret, &code, now, Some(step + 1)), None);
        let previous = code_at_step(&secret, step - 1);
        assert_eq!(matching_step(&secret, &previous, now, Some(step - 1)), None);
    }

    #[test]
    fn only_six_digits_are_a_code() {
        let secret = new_secret();
        let now = 1_800_000_015u64;
        let code = code_at_step(&secret, now / STEP_SECONDS);
        for bad in [
            String::new(),
            code[..5].to_string(),
            format!("{code}0"),
            format!(" {code}"),
            code.replace(|c: char| c == code.chars().next().unwrap(), "a"),
        ] {
            assert_eq!(matching_step(&secret, &bad, now, None), None, "{bad:?}");
        }
        assert_eq!(
            normalise_code(&format!(" {} {} ", &code[..3], &code[3..])),
            code
        );
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_for_its_owner() {
        let key = SealingKey::from_secret(&[7u8; 32]);
        let secret = new_secret();
        let sealed = key.seal(42, &secret).unwrap();
        assert_eq!(key.open(42, &sealed).as_deref(), Some(&secret[..]));
        assert_eq!(key.open(43, &sealed), None);
        assert_eq!(SealingKey::from_secret(&[8u8; 32]).open(42, &sealed), None);
        assert_ne!(
            key.seal(42, &secret).unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        assert_eq!(key.open(42, "not base64!"), None);
        assert_eq!(key.open(42, ""), None);
    }

    #[test]
    fn the_enrolment_address_names_the_issuer_and_carries_the_secret() {
        let secret = new_secret();
        let (base32, url) = enrolment(&secret, "chief@force.police.uk");
        assert!(
            url.starts_with("otpauth://totp/Roundtable:chief%40force.police.uk?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={base32}")), "{url}");
        assert!(url.contains("issuer=Roundtable"), "{url}");
        assert_eq!(base32.len(), 32);
    }

    #[test]
    fn recovery_codes_are_eighty_bits_in_four_groups_and_forgiving_to_type() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        assert_eq!(code.split('-').count(), 4);
        assert!(code
            .chars()
            .all(|c| c == '-' || RECOVERY_ALPHABET.contains(&(c as u8))));
        let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(normalise_recovery_code(&typed), code.replace('-', ""));
        assert_ne!(new_recovery_code(), code);
    }
}
