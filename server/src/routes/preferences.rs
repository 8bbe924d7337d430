//! `GET/PUT /api/v1/me/preferences`: the signed-in user's email preferences.
use crate::auth::Viewer;
use crate::db::entities::thread;
use crate::digest::preferences::{self, parse_weekday, weekday_name, Preferences, WatchState};
use crate::domain::Tag;
use crate::error::{ApiError, ErrorBody};
use crate::permissions::{decide, readable_spaces, Action, Subject};
use crate::routes::json_body::JsonBody;
use crate::state::AppState;
use actix_web::{get, put, web, HttpResponse};
use chrono::Utc;
use sea_orm::{EntityTrait, TransactionTrait};
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
            readable_spaces(&state.db, &Subject::from(viewer))
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

async fn apply(
    state: &AppState,
    viewer: &Viewer,
    mut p: Preferences,
    change: &PreferencesChange,
) -> Result<Preferences, ApiError> {
    if let Some(d) = &change.digest {
        if let Some(enabled) = d.enabled {
            p.digest_enabled = enabled;
        }
        if let Some(day) = &d.weekday {
            p.weekday = parse_weekday(day).ok_or_else(|| {
                ApiError::validation(
                    "digest.weekday",
                    "must be a day of the week, such as monday",
                )
            })?;
        }
        if let Some(hour) = d.hour {
            if hour > 23 {
                return Err(ApiError::validation(
                    "digest.hour",
                    "must be between 0 and 23",
                ));
            }
            p.hour = hour;
        }
        if let Some(tz) = &d.time_zone {
            p.time_zone = tz.trim().parse().map_err(|_| {
                ApiError::validation(
                    "digest.time_zone",
                    format!("{tz:?} is not an IANA time zone such as Europe/London"),
                )
            })?;
        }
    }
    if let Some(f) = &change.follow {
        if let Some(spaces) = &f.spaces {
            p.follow_spaces = match spaces {
                None => None,
                Some(slugs) => {
                    let readable = readable_spaces(&state.db, &Subject::from(viewer)).await?;
                    let mut ids = Vec::new();
                    for slug in slugs {
                        let found =
                            readable
                                .iter()
                                .find(|r| r.space.slug == *slug)
                                .ok_or_else(|| {
                                    ApiError::validation(
                                        "follow.spaces",
                                        format!("no space {slug:?} that you can read"),
                                    )
                                })?;
                        ids.push(found.space.id);
                    }
                    ids.sort_unstable();
                    ids.dedup();
                    Some(ids)
                }
            };
        }
        if let Some(tags) = &f.tags {
            p.follow_tags = match tags {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|n| Tag::parse(n).map(|t| t.to_string()))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| ApiError::validation("follow.tags", e.to_string()))?,
                ),
            };
        }
    }
    if let Some(n) = &change.notifications {
        if let Some(v) = n.replies {
            p.notify_replies = v;
        }
        if let Some(v) = n.watched {
            p.notify_watched = v;
        }
    }
    Ok(p)
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
    let current = preferences::load(&state.db, viewer.id).await?;
    let next = apply(&state, &viewer, current, &body).await?;
    let mut watches = Vec::new();
    if let Some(threads) = &body.threads {
        let subject = Subject::from(&viewer);
        let readable = readable_spaces(&state.db, &subject).await?;
        for (raw, watch) in threads {
            let field = format!("threads.{raw}");
            let id: i32 = raw
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::validation(&field, "must be a thread id"))?;
            let t = thread::Entity::find_by_id(id).one(&state.db).await?;
            let visible = t.is_some_and(|t| {
                readable.iter().any(|r| {
                    r.space.id == t.space_id
                        && !r.as_admin
                        && decide(&subject, &r.access, Action::Read).allowed()
                })
            });
            if !visible {
                return Err(ApiError::validation(
                    &field,
                    "no such thread that you can read",
                ));
            }
            watches.push((id, *watch));
        }
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    preferences::save(&txn, viewer.id, &next, now).await?;
    for (thread_id, watch) in watches {
        preferences::set_watch(&txn, viewer.id, thread_id, watch, now).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(view(&state, &viewer).await?))
}
