//! Changing one's email preferences.
use crate::auth::Viewer;
use crate::db::entities::thread;
use crate::digest::preferences::{self, parse_weekday, Preferences, WatchState};
use crate::domain::Tag;
use crate::error::ApiError;
use crate::permissions::{decide, readable_spaces, Action, Subject};
use crate::state::AppState;
use chrono::Utc;
use sea_orm::EntityTrait;

/// The digest part of a change; `None` leaves a field as it is.
#[derive(Default)]
pub struct DigestEdit {
    pub enabled: Option<bool>,
    pub weekday: Option<String>,
    pub hour: Option<u32>,
    pub time_zone: Option<String>,
}

/// A change to someone's preferences as asked for; `None` leaves a part as it is. For the
/// followed spaces and tags, `Some(None)` means "all".
#[derive(Default)]
pub struct PreferencesEdit {
    pub digest: Option<DigestEdit>,
    pub follow_spaces: Option<Option<Vec<String>>>,
    pub follow_tags: Option<Option<Vec<String>>>,
    pub notify_replies: Option<bool>,
    pub notify_watched: Option<bool>,
    /// (thread id as written, what to do with it).
    pub threads: Vec<(String, WatchState)>,
}

/// Checks every value (each named by its field when wrong), then saves the preferences and
/// the watches together.
pub async fn update(
    app: &AppState,
    viewer: &Viewer,
    edit: PreferencesEdit,
) -> Result<(), ApiError> {
    let current = preferences::load(&app.db, viewer.id).await?;
    let next = apply(app, viewer, current, &edit).await?;
    let watches = watches(app, viewer, &edit.threads).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    preferences::save(&txn, viewer.id, &next, now).await?;
    for (thread_id, watch) in watches {
        preferences::set_watch(&txn, viewer.id, thread_id, watch, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The threads to watch or mute, each one the viewer may read as a member of its audience.
async fn watches(
    app: &AppState,
    viewer: &Viewer,
    asked: &[(String, WatchState)],
) -> Result<Vec<(i32, WatchState)>, ApiError> {
    if asked.is_empty() {
        return Ok(Vec::new());
    }
    let subject = Subject::from(viewer);
    let readable = readable_spaces(&app.db, &subject).await?;
    let mut out = Vec::new();
    for (raw, watch) in asked {
        let field = format!("threads.{raw}");
        let id: i32 = raw
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::validation(&field, "must be a thread id"))?;
        let t = thread::Entity::find_by_id(id).one(&app.db).await?;
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
        out.push((id, *watch));
    }
    Ok(out)
}

/// `p` with the asked changes, each value checked and named by its field when wrong.
async fn apply(
    app: &AppState,
    viewer: &Viewer,
    mut p: Preferences,
    change: &PreferencesEdit,
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
    if let Some(spaces) = &change.follow_spaces {
        p.follow_spaces = match spaces {
            None => None,
            Some(slugs) => {
                let readable = crate::permissions::readable_by_viewer(app, viewer).await?;
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
    if let Some(tags) = &change.follow_tags {
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
    if let Some(v) = change.notify_replies {
        p.notify_replies = v;
    }
    if let Some(v) = change.notify_watched {
        p.notify_watched = v;
    }
    Ok(p)
}

/// Someone's preferences as the settings show them: the spaces they may follow, and the
/// threads they watch or muted, with titles (only those they may still read).
pub struct Current {
    pub prefs: Preferences,
    /// (slug, name) of every space the viewer may read as a member of its audience.
    pub spaces: Vec<(String, String)>,
    /// The followed spaces' slugs; `None` follows all.
    pub followed_spaces: Option<Vec<String>>,
    /// (thread id, title).
    pub watching: Vec<(i32, String)>,
    pub muted: Vec<(i32, String)>,
}

pub async fn current(app: &AppState, viewer: &Viewer) -> Result<Current, ApiError> {
    let prefs = preferences::load(&app.db, viewer.id).await?;
    let readable: Vec<_> = crate::permissions::readable_by_viewer(app, viewer)
        .await?
        .into_iter()
        .filter(|r| !r.as_admin)
        .collect();
    let followed_spaces = prefs.follow_spaces.as_ref().map(|ids| {
        readable
            .iter()
            .filter(|r| ids.contains(&r.space.id))
            .map(|r| r.space.slug.clone())
            .collect()
    });
    let readable_ids: Vec<i32> = readable.iter().map(|r| r.space.id).collect();
    let (watching, muted) = preferences::watches(&app.db, viewer.id).await?;
    let titled = |ids: Vec<i32>| async {
        if ids.is_empty() {
            return Ok::<_, ApiError>(Vec::new());
        }
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        Ok(thread::Entity::find()
            .filter(thread::Column::Id.is_in(ids))
            .filter(thread::Column::SpaceId.is_in(readable_ids.clone()))
            .order_by_asc(thread::Column::Title)
            .all(&app.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.title))
            .collect())
    };
    Ok(Current {
        spaces: readable
            .iter()
            .map(|r| (r.space.slug.clone(), r.space.name.clone()))
            .collect(),
        followed_spaces,
        watching: titled(watching).await?,
        muted: titled(muted).await?,
        prefs,
    })
}
