//! Cross-site request defence for requests authenticated by cookie. A browser sends our cookies
//! with requests that other sites start, so an unsafe request that rides on a cookie must come
//! from our own origin and carry the session's CSRF token, which another site cannot read.
//! Requests with a Bearer token are not affected: no browser adds that header by itself.
use crate::error::ApiError;
use actix_web::http::{header, Method};
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the token on API requests; forms send the field `csrf_token`.
pub const CSRF_HEADER: &str = "x-csrf-token";

type HmacSha256 = Hmac<Sha256>;

/// Makes and checks per-session CSRF tokens: an HMAC of the session id, so nothing is stored
/// and the token lasts exactly as long as the session.
#[derive(Clone)]
pub struct CsrfKey {
    secret: [u8; 32],
}

impl CsrfKey {
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        CsrfKey { secret: *secret }
    }

    fn mac(&self, session_id: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(b"csrf:");
        mac.update(session_id.as_bytes());
        mac
    }

    pub fn token(&self, session_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(session_id).finalize().into_bytes())
    }

    /// Whether `presented` is this session's token (compared in constant time).
    pub fn verify(&self, session_id: &str, presented: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(presented.trim())
            .is_ok_and(|tag| self.mac(session_id).verify_slice(&tag).is_ok())
    }
}

/// Methods that change something and so need the defence.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether the browser tells us the request was started by another site: `Origin` when it is
/// sent (an opaque `null` origin counts as foreign), else `Sec-Fetch-Site`. A client that sends
/// neither is not a browser acting for another site; it still needs the token.
pub fn is_cross_site(req: &HttpRequest, public_origin: &str) -> bool {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        return origin
            .to_str()
            .map_or(true, |o| !o.trim().eq_ignore_ascii_case(public_origin));
    }
    match req.headers().get("sec-fetch-site") {
        Some(site) => !matches!(site.to_str(), Ok("same-origin") | Ok("none")),
        None => false,
    }
}

/// Refuses a request another site started, with 403.
pub fn refuse_cross_site(req: &HttpRequest, public_origin: &str) -> Result<(), ApiError> {
    if is_cross_site(req, public_origin) {
        return Err(ApiError::Forbidden(
            "this request came from another site and was refused".into(),
        ));
    }
    Ok(())
}

/// The full check for an unsafe request authenticated by cookie: same origin, and the
/// session's token in the `X-CSRF-Token` header.
pub fn check_cookie_request(
    req: &HttpRequest,
    public_origin: &str,
    key: &CsrfKey,
    session_id: &str,
) -> Result<(), ApiError> {
    refuse_cross_site(req, public_origin)?;
    check_token(req, key, session_id)
}

/// The session's token in the `X-CSRF-Token` header, else 403.
pub fn check_token(req: &HttpRequest, key: &CsrfKey, session_id: &str) -> Result<(), ApiError> {
    let presented = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if presented.is_empty() || !key.verify(session_id, presented) {
        return Err(ApiError::Forbidden(
            "the CSRF token is missing or wrong: send the token from sign-in or \
             GET /api/v1/auth/csrf in the X-CSRF-Token header"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    const ORIGIN: &str = "https://roundtable.example";

    #[test]
    fn tokens_belong_to_one_session_and_one_key() {
        let key = CsrfKey::from_secret(&[1; 32]);
        let token = key.token("session-a");
        assert!(key.verify("session-a", &token));
        assert!(!key.verify("session-b", &token));
        assert!(!CsrfKey::from_secret(&[2; 32]).verify("session-a", &token));
        for junk in ["", "x", "!!!", &token[..10]] {
            assert!(!key.verify("session-a", junk), "{junk}");
        }
    }

    #[test]
    fn foreign_and_opaque_origins_are_cross_site() {
        let cross = |req: TestRequest| is_cross_site(&req.to_http_request(), ORIGIN);
        assert!(!cross(
            TestRequest::default().insert_header(("origin", ORIGIN))
        ));
        assert!(cross(
            TestRequest::default().insert_header(("origin", "https://evil.example"))
        ));
        assert!(cross(
            TestRequest::default().insert_header(("origin", "null"))
        ));
        assert!(cross(
            TestRequest::default().insert_header(("origin", "https://roundtable.example:444"))
        ));
        assert!(cross(
            TestRequest::default().insert_header(("sec-fetch-site", "cross-site"))
        ));
        assert!(cross(
            TestRequest::default().insert_header(("sec-fetch-site", "same-site"))
        ));
        assert!(!cross(
            TestRequest::default().insert_header(("sec-fetch-site", "same-origin"))
        ));
        assert!(!cross(TestRequest::default()));
    }
}
