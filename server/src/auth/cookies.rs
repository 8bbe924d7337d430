//! The token cookies: HttpOnly, SameSite=Lax, `Secure` whenever Roundtable is reached over
//! HTTPS, and then named with the `__Host-` (access) and `__Secure-` (refresh) prefixes, which
//! browsers only accept from a secure origin, so a sibling subdomain cannot plant them.
use crate::settings::ServerSettings;
use actix_web::cookie::{time::Duration, Cookie, SameSite};

/// The refresh cookie is sent only to the sign-in endpoints.
pub const REFRESH_PATH: &str = "/api/v1/auth";

pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
    /// A random value the sign-in form's CSRF token is bound to before any session exists.
    pub pre_session: &'static str,
}

pub fn names(server: &ServerSettings) -> CookieNames {
    if server.cookies_secure() {
        CookieNames {
            access: "__Host-rt_access",
            refresh: "__Secure-rt_refresh",
            pre_session: "__Host-rt_pre",
        }
    } else {
        CookieNames {
            access: "rt_access",
            refresh: "rt_refresh",
            pre_session: "rt_pre",
        }
    }
}

/// The value of the request's first cookie called `name`, read straight from its `Cookie`
/// headers without parsing the others (the token cookies' values are base64url and JWTs,
/// never percent-encoded).
pub fn value<'a>(req: &'a actix_web::HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().trim_matches('"'))
        })
}

fn build(
    server: &ServerSettings,
    name: &'static str,
    value: String,
    path: &'static str,
) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(name, value)
        .http_only(true)
        .secure(server.cookies_secure())
        .same_site(SameSite::Lax)
        .path(path)
}

pub fn access(server: &ServerSettings, value: String, max_age: Duration) -> Cookie<'static> {
    build(server, names(server).access, value, "/")
        .max_age(max_age)
        .finish()
}

pub fn refresh(server: &ServerSettings, value: String, max_age: Duration) -> Cookie<'static> {
    build(server, names(server).refresh, value, REFRESH_PATH)
        .max_age(max_age)
        .finish()
}

/// The sign-in form's pre-session cookie; it lasts as long as the browser session.
pub fn pre_session(server: &ServerSettings, value: String) -> Cookie<'static> {
    build(server, names(server).pre_session, value, "/").finish()
}

/// Removal cookies for both tokens.
pub fn cleared(server: &ServerSettings) -> [Cookie<'static>; 2] {
    let names = names(server);
    let mut access = build(server, names.access, String::new(), "/").finish();
    access.make_removal();
    let mut refresh = build(server, names.refresh, String::new(), REFRESH_PATH).finish();
    refresh.make_removal();
    [access, refresh]
}

#[cfg(test)]
mod tests {
    use super::value;
    use actix_web::test::TestRequest;

    #[test]
    fn a_cookie_is_found_by_its_exact_name_among_the_others() {
        let req = TestRequest::default()
            .insert_header(("Cookie", "rt_access_old=x; rt_access=abc.def; theme=dark"))
            .append_header(("Cookie", "rt_access=second"))
            .to_http_request();
        assert_eq!(value(&req, "rt_access"), Some("abc.def"));
        assert_eq!(value(&req, "theme"), Some("dark"));
        assert_eq!(value(&req, "rt"), None);
        let quoted = TestRequest::default()
            .insert_header(("Cookie", " rt_access = \"q\" "))
            .to_http_request();
        assert_eq!(value(&quoted, "rt_access"), Some("q"));
        assert_eq!(
            value(&TestRequest::default().to_http_request(), "rt_access"),
            None
        );
    }
}
