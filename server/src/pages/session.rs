//! Who is looking at a page. Pages are signed in with the access cookie only (never a Bearer
//! token); a request without a live sign-in is sent to sign in and brought back afterwards.
use super::errors::PageError;
use super::render::Chrome;
use crate::auth::extractor::viewer_from_token;
use crate::auth::{cookies, csrf, Viewer};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// A signed-in person on a page, with the page frame made for them.
pub struct SignedIn {
    pub viewer: Viewer,
    pub chrome: Chrome,
}

/// The signed-in person if there is one; for pages anyone may open.
pub struct MaybeSignedIn(pub Option<SignedIn>);

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Api(ApiError::Internal(anyhow::anyhow!("no app state"))))
}

async fn signed_in(req: &HttpRequest) -> Result<Option<SignedIn>, PageError> {
    let state = state_of(req)?;
    if csrf::is_unsafe(req.method()) {
        csrf::refuse_cross_site(req, &state.settings.server.public_origin)?;
    }
    let name = cookies::names(&state.settings.server).access;
    let Some(token) = cookies::value(req, name).map(str::to_string) else {
        return Ok(None);
    };
    Ok(viewer_from_token(&state, &token)
        .await?
        .map(|viewer| SignedIn {
            chrome: Chrome::for_viewer(&state, &viewer),
            viewer,
        }))
}

/// Where to come back to after signing in: the page asked for, or for a form sent after the
/// sign-in lapsed, the page the form was on.
fn come_back_to(req: &HttpRequest) -> String {
    let here = if req.method() == Method::GET || req.method() == Method::HEAD {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        req.headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            })
            .unwrap_or_else(|| "/".into())
    };
    local_path(&here).unwrap_or_else(|| "/".into())
}

/// A return address is only ever a path on this site: it starts with one `/`, is not
/// `//host` or `/\host` (which browsers read as another site), and holds no control
/// characters. Anything else is refused.
pub fn local_path(raw: &str) -> Option<String> {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && raw.len() <= 2000
        && !raw.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| raw.to_string())
}

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            signed_in(&req).await?.ok_or_else(|| PageError::SignIn {
                next: come_back_to(&req),
            })
        })
    }
}

impl FromRequest for MaybeSignedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeSignedIn(signed_in(&req).await?)) })
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_return_addresses() {
        assert_eq!(
            local_path("/threads/4?x=1#p").as_deref(),
            Some("/threads/4?x=1#p")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "/ok\\..",
            "evil",
            "",
            "/a\nb",
            "/a\tb",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
