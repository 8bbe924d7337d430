//! Sends what the platform owes people by email: weekly digests and immediate notifications.
//! `jobs` is the queue, `compose` builds each message, and `Delivery` claims, sends and
//! records, inside `serve` (a loop every `digest.tick_seconds`) or from the CLI.
pub mod cli;
pub mod compose;
pub mod jobs;

use crate::clock::Clock;
use crate::db::entities::{mail_job, preference, user};
use crate::digest::content::WeekCache;
use crate::digest::preferences::Preferences;
use crate::digest::unsubscribe::UnsubscribeKey;
use crate::digest::IsoWeek;
use crate::mail::{MailError, Mailer};
use crate::settings::Settings;
use chrono::{DateTime, Duration, Utc};
use compose::{Composed, Composer};
use futures_util::StreamExt;
use jobs::{ClaimFilter, NewJob, Outcome, RetryPolicy, DIGEST, NOTIFICATION};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub struct Delivery {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub settings: Arc<Settings>,
    pub unsubscribe: UnsubscribeKey,
    pub clock: Arc<dyn Clock>,
    /// Names this process's claims.
    pub worker: String,
}

/// How a run of rounds ended, counted per job.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub sent: u64,
    pub skipped: u64,
    pub retrying: u64,
    pub failed: u64,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome, jobs: u64, gave_up: bool) {
        match outcome {
            Outcome::Sent { .. } => self.sent += jobs,
            Outcome::Skipped { .. } => self.skipped += jobs,
            Outcome::Transient { .. } if !gave_up => self.retrying += jobs,
            Outcome::Transient { .. } | Outcome::Permanent { .. } => self.failed += jobs,
        }
    }

    pub fn total(&self) -> u64 {
        self.sent + self.skipped + self.retrying + self.failed
    }
}

/// The week whose digest `prefs` makes due at or before `now`, and when it fell due.
pub fn due_week(prefs: &Preferences, now: DateTime<Utc>) -> (IsoWeek, DateTime<Utc>) {
    let week = IsoWeek::of(now.with_timezone(&prefs.time_zone).date_naive());
    let due = week.moment(prefs.weekday, prefs.hour, prefs.time_zone);
    if due <= now {
        (week, due)
    } else {
        let previous = week.previous();
        (
            previous,
            previous.moment(prefs.weekday, prefs.hour, prefs.time_zone),
        )
    }
}

pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "roundtable".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &id[..8])
}

impl Delivery {
    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.settings.digest.max_attempts,
            base: Duration::seconds(self.settings.digest.retry_base_seconds as i64),
        }
    }

    fn lease(&self) -> Duration {
        Duration::seconds(self.settings.digest.lease_seconds as i64)
    }

    fn composer<'a>(&'a self, weeks: &'a WeekCache) -> Composer<'a> {
        Composer {
            settings: &self.settings,
            unsubscribe: &self.unsubscribe,
            weeks,
        }
    }

    /// Queues the digest of every enabled user whose moment has come this week (and is not
    /// more than `digest.late_hours` past). Returns how many were added.
    pub async fn enqueue_due_digests(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let accounts: Vec<(i32, DateTime<Utc>)> = user::Entity::find()
            .filter(user::Column::Disabled.eq(false))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.created_at))
            .collect();
        let prefs: HashMap<i32, Preferences> = preference::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.user_id, p.into()))
            .collect();
        let late = Duration::hours(i64::from(self.settings.digest.late_hours));
        let defaults = Preferences::default();
        let candidates: Vec<NewJob> = accounts
            .into_iter()
            .filter_map(|(id, created_at)| {
                let p = prefs.get(&id).unwrap_or(&defaults);
                if !p.digest_enabled {
                    return None;
                }
                let (week, due) = due_week(p, now);
                (now - due <= late && created_at <= due).then(|| NewJob {
                    key: jobs::digest_key(id, &week.to_string()),
                    kind: DIGEST,
                    user_id: id,
                    week: Some(week.to_string()),
                    post_id: None,
                    due_at: due,
                })
            })
            .collect();
        self.enqueue_new(candidates, now).await
    }

    /// Queues the digest of `week` for these users (all enabled users when `None`), due now.
    pub async fn enqueue_week(
        &self,
        week: IsoWeek,
        only: Option<i32>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let mut query = user::Entity::find().filter(user::Column::Disabled.eq(false));
        if let Some(id) = only {
            query = query.filter(user::Column::Id.eq(id));
        }
        let candidates = query
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| NewJob {
                key: jobs::digest_key(u.id, &week.to_string()),
                kind: DIGEST,
                user_id: u.id,
                week: Some(week.to_string()),
                post_id: None,
                due_at: now,
            })
            .collect();
        self.enqueue_new(candidates, now).await
    }

    async fn enqueue_new(
        &self,
        candidates: Vec<NewJob>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let keys: Vec<String> = candidates.iter().map(|j| j.key.clone()).collect();
        let existing = jobs::existing_keys(&self.db, &keys).await?;
        let fresh: Vec<NewJob> = candidates
            .into_iter()
            .filter(|j| !existing.contains(&j.key))
            .collect();
        Ok(jobs::enqueue(&self.db, fresh, now).await?)
    }

    /// Claims and sends until nothing due is left. `progress` hears of each finished job.
    pub async fn drain(
        &self,
        filter: &ClaimFilter,
        mut progress: impl FnMut(u64),
    ) -> anyhow::Result<Summary> {
        let mut summary = Summary::default();
        loop {
            let round = self.round(filter).await?;
            if round.total() == 0 {
                return Ok(summary);
            }
            progress(round.total());
            summary.sent += round.sent;
            summary.skipped += round.skipped;
            summary.retrying += round.retrying;
            summary.failed += round.failed;
        }
    }

    /// One claim of up to `digest.batch` jobs, sent `digest.concurrency` at a time.
    pub async fn round(&self, filter: &ClaimFilter) -> anyhow::Result<Summary> {
        let now = self.clock.now();
        let claimed = jobs::claim(
            &self.db,
            &self.worker,
            self.settings.digest.batch,
            self.lease(),
            filter,
            now,
        )
        .await?;
        // Notifications of one recipient go out together.
        let mut units: Vec<Vec<mail_job::Model>> = Vec::new();
        let mut by_user: BTreeMap<i32, Vec<mail_job::Model>> = BTreeMap::new();
        for job in claimed {
            if job.kind == NOTIFICATION {
                by_user.entry(job.user_id).or_default().push(job);
            } else {
                units.push(vec![job]);
            }
        }
        units.extend(by_user.into_values());
        let weeks = WeekCache::default();
        let digest_readers: Vec<i32> = units
            .iter()
            .filter(|u| u[0].kind == DIGEST)
            .map(|u| u[0].user_id)
            .collect();
        let readers = compose::Readers::load(&self.db, &digest_readers).await?;
        let results: Vec<anyhow::Result<Summary>> = futures_util::stream::iter(units)
            .map(|unit| self.process(unit, &weeks, &readers))
            .buffer_unordered(self.settings.digest.concurrency as usize)
            .collect()
            .await;
        let mut summary = Summary::default();
        for r in results {
            let r = r?;
            summary.sent += r.sent;
            summary.skipped += r.skipped;
            summary.retrying += r.retrying;
            summary.failed += r.failed;
        }
        Ok(summary)
    }

    async fn process(
        &self,
        mut unit: Vec<mail_job::Model>,
        weeks: &WeekCache,
        readers: &compose::Readers,
    ) -> anyhow::Result<Summary> {
        let Some(first) = unit.first().cloned() else {
            return Ok(Summary::default());
        };
        let composer = self.composer(weeks);
        let composed = if first.kind == DIGEST {
            composer.digest_job(&self.db, &first, readers).await
        } else {
            let more = jobs::claim_notifications_of(
                &self.db,
                &self.worker,
                first.user_id,
                self.lease(),
                self.clock.now(),
            )
            .await?;
            unit.extend(more);
            composer.notification_jobs(&self.db, &unit).await
        };
        let outcome = match composed {
            Err(e) => {
                let error = format!("building the message: {}", crate::error::with_causes(&e));
                tracing::error!(job = first.id, %error, "a message could not be built");
                Outcome::Transient { error }
            }
            Ok(Composed::Nothing(outcome)) => outcome,
            Ok(Composed::Message(message)) => {
                let message_id = message.message_id.clone().unwrap_or_default();
                match self.mailer.send(*message).await {
                    Ok(()) => Outcome::Sent { message_id },
                    Err(MailError::Permanent(error)) | Err(MailError::Build(error)) => {
                        Outcome::Permanent { error }
                    }
                    Err(MailError::Transient(error)) => Outcome::Transient { error },
                }
            }
        };
        let policy = self.policy();
        let now = self.clock.now();
        let mut summary = Summary::default();
        for job in &unit {
            jobs::finish(&self.db, job, &self.worker, &outcome, &policy, now).await?;
            let gave_up = job.attempts >= policy.max_attempts as i32;
            summary.add(&outcome, 1, gave_up);
        }
        match &outcome {
            Outcome::Transient { error } | Outcome::Permanent { error } => {
                tracing::warn!(job = %first.job_key, attempts = first.attempts, %error, "mail not sent")
            }
            _ => {}
        }
        Ok(summary)
    }

    /// The scheduler inside `serve`.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let tick = std::time::Duration::from_secs(self.settings.digest.tick_seconds);
            loop {
                let now = self.clock.now();
                if let Err(e) = self.enqueue_due_digests(now).await {
                    tracing::error!(error = %e, "queueing digests failed");
                }
                if let Err(e) = self.drain(&ClaimFilter::default(), |_| {}).await {
                    tracing::error!(error = %e, "sending mail failed");
                }
                tokio::time::sleep(tick).await;
            }
        })
    }
}
