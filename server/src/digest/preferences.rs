//! What each user wants by email: the weekly digest's schedule and scope, immediate
//! notifications, and threads watched or muted. A user without a row has every default.
use crate::db::entities::{preference, thread_watch};
use chrono::{DateTime, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

pub const DEFAULT_WEEKDAY: Weekday = Weekday::Mon;
pub const DEFAULT_HOUR: u32 = 7;
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Europe::London;

#[derive(Debug, Clone, PartialEq)]
pub struct Preferences {
    pub digest_enabled: bool,
    pub weekday: Weekday,
    pub hour: u32,
    pub time_zone: Tz,
    /// Space ids; `None` follows every readable space.
    pub follow_spaces: Option<Vec<i32>>,
    /// Tag names; `None` follows every tag.
    pub follow_tags: Option<Vec<String>>,
    pub notify_replies: bool,
    pub notify_watched: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            digest_enabled: true,
            weekday: DEFAULT_WEEKDAY,
            hour: DEFAULT_HOUR,
            time_zone: DEFAULT_TIME_ZONE,
            follow_spaces: None,
            follow_tags: None,
            notify_replies: true,
            notify_watched: true,
        }
    }
}

/// Parses a weekday name in English ("monday", "Mon").
pub fn parse_weekday(raw: &str) -> Option<Weekday> {
    raw.trim().parse::<Weekday>().ok()
}

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

impl From<preference::Model> for Preferences {
    /// Stored values were checked when saved; one that no longer parses (a time zone dropped
    /// from the database, say) falls back to its default rather than stopping the digest.
    fn from(row: preference::Model) -> Self {
        let defaults = Preferences::default();
        Preferences {
            digest_enabled: row.digest_enabled,
            weekday: u8::try_from(row.digest_weekday - 1)
                .ok()
                .and_then(|n| Weekday::try_from(n).ok())
                .unwrap_or(defaults.weekday),
            hour: u32::try_from(row.digest_hour)
                .ok()
                .filter(|h| *h < 24)
                .unwrap_or(defaults.hour),
            time_zone: row.time_zone.parse().unwrap_or(defaults.time_zone),
            follow_spaces: row
                .follow_spaces
                .and_then(|raw| serde_json::from_str(&raw).ok()),
            follow_tags: row
                .follow_tags
                .and_then(|raw| serde_json::from_str(&raw).ok()),
            notify_replies: row.notify_replies,
            notify_watched: row.notify_watched,
        }
    }
}

pub async fn load(db: &impl ConnectionTrait, user_id: i32) -> Result<Preferences, sea_orm::DbErr> {
    Ok(preference::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(Preferences::from)
        .unwrap_or_default())
}

/// Preferences of these users (defaults for those without a row).
pub async fn load_many(
    db: &impl ConnectionTrait,
    user_ids: &[i32],
) -> Result<HashMap<i32, Preferences>, sea_orm::DbErr> {
    let mut out: HashMap<i32, Preferences> = user_ids
        .iter()
        .map(|id| (*id, Preferences::default()))
        .collect();
    for chunk in user_ids.chunks(500) {
        for row in preference::Entity::find()
            .filter(preference::Column::UserId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(row.user_id, row.into());
        }
    }
    Ok(out)
}

pub async fn save(
    db: &impl ConnectionTrait,
    user_id: i32,
    p: &Preferences,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let row = preference::ActiveModel {
        user_id: Set(user_id),
        digest_enabled: Set(p.digest_enabled),
        digest_weekday: Set(p.weekday.number_from_monday() as i32),
        digest_hour: Set(p.hour as i32),
        time_zone: Set(p.time_zone.name().to_string()),
        follow_spaces: Set(p
            .follow_spaces
            .as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_default())),
        follow_tags: Set(p
            .follow_tags
            .as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_default())),
        notify_replies: Set(p.notify_replies),
        notify_watched: Set(p.notify_watched),
        updated_at: Set(now),
    };
    preference::Entity::insert(row)
        .on_conflict(
            OnConflict::column(preference::Column::UserId)
                .update_columns([
                    preference::Column::DigestEnabled,
                    preference::Column::DigestWeekday,
                    preference::Column::DigestHour,
                    preference::Column::TimeZone,
                    preference::Column::FollowSpaces,
                    preference::Column::FollowTags,
                    preference::Column::NotifyReplies,
                    preference::Column::NotifyWatched,
                    preference::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A user's choice for one thread.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WatchState {
    /// Tell me about every reply.
    Watching,
    /// Never tell me about it, in digests or notifications.
    Muted,
    /// Neither: forget my choice.
    Default,
}

impl WatchState {
    fn stored(self) -> Option<&'static str> {
        match self {
            WatchState::Watching => Some("watch"),
            WatchState::Muted => Some("mute"),
            WatchState::Default => None,
        }
    }
}

pub async fn set_watch(
    db: &impl ConnectionTrait,
    user_id: i32,
    thread_id: i32,
    state: WatchState,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    thread_watch::Entity::delete_many()
        .filter(thread_watch::Column::UserId.eq(user_id))
        .filter(thread_watch::Column::ThreadId.eq(thread_id))
        .exec(db)
        .await?;
    if let Some(stored) = state.stored() {
        thread_watch::Entity::insert(thread_watch::ActiveModel {
            user_id: Set(user_id),
            thread_id: Set(thread_id),
            state: Set(stored.to_string()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Thread ids the user watches and mutes.
pub async fn watches(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<(Vec<i32>, Vec<i32>), sea_orm::DbErr> {
    let rows = thread_watch::Entity::find()
        .filter(thread_watch::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let (watching, muted): (Vec<_>, Vec<_>) = rows.into_iter().partition(|w| w.state == "watch");
    Ok((
        watching.into_iter().map(|w| w.thread_id).collect(),
        muted.into_iter().map(|w| w.thread_id).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_rows_round_trip_and_bad_values_fall_back() {
        let row = preference::Model {
            user_id: 1,
            digest_enabled: false,
            digest_weekday: 5,
            digest_hour: 18,
            time_zone: "Europe/Dublin".into(),
            follow_spaces: Some("[3,4]".into()),
            follow_tags: Some("[\"cloud\"]".into()),
            notify_replies: false,
            notify_watched: true,
            updated_at: Utc::now(),
        };
        let p = Preferences::from(row.clone());
        assert_eq!(p.weekday, Weekday::Fri);
        assert_eq!(p.hour, 18);
        assert_eq!(p.time_zone, chrono_tz::Europe::Dublin);
        assert_eq!(p.follow_spaces, Some(vec![3, 4]));
        assert_eq!(p.follow_tags, Some(vec!["cloud".to_string()]));
        let broken = Preferences::from(preference::Model {
            digest_weekday: 9,
            digest_hour: 31,
            time_zone: "Mars/Olympus".into(),
            ..row
        });
        assert_eq!(broken.weekday, DEFAULT_WEEKDAY);
        assert_eq!(broken.hour, DEFAULT_HOUR);
        assert_eq!(broken.time_zone, DEFAULT_TIME_ZONE);
        assert_eq!(parse_weekday("Tuesday"), Some(Weekday::Tue));
        assert_eq!(parse_weekday("someday"), None);
    }
}
