use super::{cookies, csrf, sessions};
use crate::domain::Role;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The signed-in user making the request: an enabled account with a live session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: i32,
    pub session_id: String,
    /// The member-list spaces the viewer is on, when read with the session; `None` means ask
    /// the database.
    pub memberships: Option<Arc<[i32]>>,
    /// When the session began with a sign-in (renewals keep it); `None` for a feed link or an
    /// operator's command, which never count as a recent sign-in.
    pub signed_in_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Where the access token came from. Only a cookie rides along with requests that other
/// sites start, so only cookie requests get the CSRF checks.
enum Presented {
    Bearer(String),
    Cookie(String),
}

fn presented_token(req: &HttpRequest, state: &AppState) -> Option<Presented> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Presented::Bearer(token.trim().to_string()));
    }
    let name = cookies::names(&state.settings.server).access;
    cookies::value(req, name).map(|v| Presented::Cookie(v.to_string()))
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let unauthenticated = || ApiError::Unauthenticated("sign in to continue".into());
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let presented = presented_token(&req, &state).ok_or_else(unauthenticated)?;
            let needs_csrf =
                matches!(presented, Presented::Cookie(_)) && csrf::is_unsafe(req.method());
            let public_origin = &state.settings.server.public_origin;
            if needs_csrf {
                csrf::refuse_cross_site(&req, public_origin)?;
            }
            let token = match presented {
                Presented::Bearer(t) | Presented::Cookie(t) => t,
            };
            let viewer = viewer_from_token(&state, &token)
                .await?
                .ok_or_else(unauthenticated)?;
            if needs_csrf {
                csrf::check_token(&req, &state.keys.csrf, &viewer.session_id)?;
            }
            Ok(viewer)
        })
    }
}

/// A live session and its enabled user, as this process last read them.
#[derive(Debug)]
pub struct CachedSession {
    user_id: i32,
    email: String,
    display_name: String,
    role: Role,
    organisation_id: i32,
    memberships: Arc<[i32]>,
    expires_at: chrono::DateTime<chrono::Utc>,
    signed_in_at: chrono::DateTime<chrono::Utc>,
}

impl CachedSession {
    fn viewer(&self, session_id: String) -> Viewer {
        Viewer {
            id: self.user_id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            organisation_id: self.organisation_id,
            session_id,
            memberships: Some(self.memberships.clone()),
            signed_in_at: Some(self.signed_in_at),
        }
    }
}

/// The viewer behind an access token: `None` when the token is not ours, has expired, or its
/// session has ended or its account is disabled. A session read once is kept in this
/// process's cache, which forgets it within a second of its revocation, the account's
/// disabling or any change of its role or memberships, wherever that happens.
pub async fn viewer_from_token(state: &AppState, token: &str) -> Result<Option<Viewer>, ApiError> {
    let Some(claims) = state.keys.access.verify(token) else {
        return Ok(None);
    };
    let Ok(user_id) = claims.sub.parse::<i32>() else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    let cache = &state.caches.sessions;
    // A cached session past its expiry may have been renewed since: the database says.
    if let Some(known) = cache.get(&claims.sid).filter(|k| k.expires_at > now) {
        return Ok((known.user_id == user_id).then(|| known.viewer(claims.sid)));
    }
    let ticket = cache.ticket();
    let Some((session, user)) = sessions::live_user(&state.db, &claims.sid, user_id, now).await?
    else {
        return Ok(None);
    };
    let role = user
        .role
        .parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("user {} has a bad role: {e}", user.id)))?;
    let memberships = crate::permissions::memberships(&state.db, user.id).await?;
    let known = Arc::new(CachedSession {
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role,
        organisation_id: user.organisation_id,
        memberships: memberships.into(),
        expires_at: session.expires_at,
        signed_in_at: session.created_at,
    });
    cache.insert(ticket, claims.sid.clone(), known.clone());
    Ok(Some(known.viewer(claims.sid)))
}
