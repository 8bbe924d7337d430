//! Headers every response carries unless its handler set its own: no MIME sniffing, no framing
//! (clickjacking), no referrer leaving the site, nothing kept in caches (every answer here is
//! either someone's private view or holds a token), and HSTS when Roundtable is on HTTPS.
use crate::settings::ServerSettings;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// A strict policy for JSON and small pages: nothing loads, nothing frames us. Pages that need
/// more set their own `Content-Security-Policy`.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub fn middleware(server: &ServerSettings) -> DefaultHeaders {
    // `same-origin` rather than `no-referrer`: under `no-referrer` browsers send `Origin: null`
    // with our own forms' POSTs, and the CSRF check needs the real origin.
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::CONTENT_SECURITY_POLICY, DEFAULT_CSP))
        .add((header::CACHE_CONTROL, "no-store"))
        .add(("cross-origin-resource-policy", "same-origin"));
    if server.is_https() {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
