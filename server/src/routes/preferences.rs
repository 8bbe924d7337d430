//! `GET/PUT /api/v1/me/preferences`: the signed-in user's email preferences.
use crate::auth::Viewer;
use crate::digest::preferences::{self, weekday_name, WatchState};
use crate::error::{ApiError, ErrorBody};
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use crate::use_cases::{
    self,
    preferences::{DigestEdit, PreferencesEdit},
};
use actix_web::{get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DigestPrefs {
    /// On by default for new users.
    pub enabled: Option<bool>,
    /// monday … sunday; default monday.
    #[schema(schema_with = crate::routes::openapi::fields::weekday_or_null)]
    pub weekday: Option<String>,
    /// 0–23 in `time_zone`; default 7.
    #[schema(maximum = 23)]
    pub hour: Option<u32>,
    /// An IANA time zone; default Europe/London.
    pub time_zone: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct FollowPrefs {
    /// Space slugs, each of a space you can read; `null` follows every space you can read.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::routes::openapi::fields::followed_spaces)]
    pub spaces: Option<Option<Vec<String>>>,
    /// Tag names; `null` follows every tag.
    #[serde(default, deserialize_with = "present")]
    #[schema(schema_with = crate::routes::openapi::fields::followed_tags)]
    pub tags: Option<Option<Vec<String>>>,
}

/// A section of the change: an object (or null), never the array of its fields that serde's
/// derived structs would also take.
fn section<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None => Ok(None),
        Some(v @ serde_json::Value::Object(_)) => {
            T::deserialize(v).map(Some).map_err(D::Error::custom)
        }
        Some(_) => Err(D::Error::custom("each section must be a JSON object")),
    }
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Serialize, Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NotificationPrefs {
    /// Email me soon after someone replies to my posts or threads.
    pub replies: Option<bool>,
    /// Email me soon after a reply in a thread I watch.
    pub watched: Option<bool>,
}

/// The preferences as stored, every field filled in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PreferencesView {
    pub digest: DigestPrefs,
    pub follow: FollowView,
    pub notifications: NotificationPrefs,
    pub threads: ThreadsView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FollowView {
    pub spaces: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ThreadsView {
    pub watching: Vec<i32>,
    pub muted: Vec<i32>,
}

/// A change: every section and field is optional; what is left out stays as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    #[serde(default, deserialize_with = "section")]
    pub digest: Option<DigestPrefs>,
    #[serde(default, deserialize_with = "section")]
    pub follow: Option<FollowPrefs>,
    #[serde(default, deserialize_with = "section")]
    pub notifications: Option<NotificationPrefs>,
    /// Thread id → "watching", "muted" or "default".
    pub threads: Option<BTreeMap<String, WatchState>>,
}

async fn view(state: &AppState, viewer: &Viewer) -> Result<PreferencesView, ApiError> {
    let p = preferences::load(&state.db, viewer.id).await?;
    let spaces = match &p.follow_spaces {
        None => None,
        Some(ids) => Some(
            crate::permissions::readable_by_viewer(state, viewer)
                .await?
                .into_iter()
                .filter(|r| ids.contains(&r.space.id))
                .map(|r| r.space.slug)
                .collect(),
        ),
    };
    let (watching, muted) = preferences::watches(&state.db, viewer.id).await?;
    Ok(PreferencesView {
        digest: DigestPrefs {
            enabled: Some(p.digest_enabled),
            weekday: Some(weekday_name(p.weekday).to_string()),
            hour: Some(p.hour),
            time_zone: Some(p.time_zone.name().to_string()),
        },
        follow: FollowView {
            spaces,
            tags: p.follow_tags,
        },
        notifications: NotificationPrefs {
            replies: Some(p.notify_replies),
            watched: Some(p.notify_watched),
        },
        threads: ThreadsView { watching, muted },
    })
}

/// Your email preferences: the weekly digest, what it follows, notifications, and the threads
/// you watch or muted.
#[utoipa::path(get, path = "/api/v1/me/preferences", tag = "preferences",
    responses((status = 200, body = PreferencesView), (status = 401, body = ErrorBody, description = "Not signed in")))]
#[get("/me/preferences")]
pub async fn show(state: web::Data<AppState>, viewer: Viewer) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(&state, &viewer).await?))
}

/// Changes your email preferences; sections and fields left out stay as they are.
#[utoipa::path(put, path = "/api/v1/me/preferences", tag = "preferences", request_body = PreferencesChange,
    responses((status = 200, body = PreferencesView, description = "The preferences after the change"),
        (status = 400, body = ErrorBody, description = "The body cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "A cookie request from another site or without `X-CSRF-Token`"),
        (status = 413, body = ErrorBody, description = "The body is over `limits.body_bytes`"),
        (status = 415, body = ErrorBody, description = "The body is not sent as JSON"),
        (status = 422, body = ErrorBody, description = "A value breaks a rule: an unknown time zone, a space or thread you cannot read")))]
#[put("/me/preferences")]
pub async fn update(
    state: web::Data<AppState>,
    viewer: Viewer,
    body: JsonBody<PreferencesChange>,
) -> Result<HttpResponse, ApiError> {
    let change = body.into_inner();
    let edit = PreferencesEdit {
        digest: change.digest.map(|d| DigestEdit {
            enabled: d.enabled,
            weekday: d.weekday,
            hour: d.hour,
            time_zone: d.time_zone,
        }),
        follow_spaces: change.follow.as_ref().and_then(|f| f.spaces.clone()),
        follow_tags: change.follow.and_then(|f| f.tags),
        notify_replies: change.notifications.as_ref().and_then(|n| n.replies),
        notify_watched: change.notifications.and_then(|n| n.watched),
        threads: change.threads.unwrap_or_default().into_iter().collect(),
    };
    use_cases::preferences::update(&state, &viewer, edit).await?;
    Ok(HttpResponse::Ok().json(view(&state, &viewer).await?))
}
