use super::sessions;
use crate::domain::Role;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

pub const ACCESS_COOKIE: &str = "rt_access";
pub const REFRESH_COOKIE: &str = "rt_refresh";

/// The signed-in user making the request: an enabled account with a live session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub organisation_id: i32,
    pub session_id: String,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string());
    }
    req.cookie(ACCESS_COOKIE).map(|c| c.value().to_string())
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let unauthenticated = || ApiError::Unauthenticated("sign in to continue".into());
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            let token = token.ok_or_else(unauthenticated)?;
            let claims = state.keys.verify(&token).ok_or_else(unauthenticated)?;
            let user_id: i32 = claims.sub.parse().map_err(|_| unauthenticated())?;
            let user = sessions::live_user(&state.db, &claims.sid, user_id, chrono::Utc::now())
                .await?
                .ok_or_else(unauthenticated)?;
            let role = user.role.parse().map_err(|e| {
                ApiError::Internal(anyhow::anyhow!("user {} has a bad role: {e}", user.id))
            })?;
            Ok(Viewer {
                id: user.id,
                email: user.email,
                display_name: user.display_name,
                role,
                organisation_id: user.organisation_id,
                session_id: claims.sid,
            })
        })
    }
}
