//! The mail queue: one `mail_jobs` row per message owed, under a unique key (a digest per user
//! and ISO week, a notification per reply and recipient), so each is sent once.
//!
//! A job goes pending → sending (claimed, with a lease) → sent | skipped | failed. A transient
//! failure puts it back to pending with an exponential delay; a 5xx refusal fails it at once.
//! A process that dies while sending leaves its jobs claimed; once the lease runs out another
//! round claims them again. Only a message already handed to the SMTP server whose `sent`
//! mark was not yet written can go out twice, and then with the same Message-ID.
use crate::db::entities::mail_job;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, Statement, Value,
};
use std::collections::HashSet;

pub const DIGEST: &str = "digest";
pub const NOTIFICATION: &str = "notification";

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const SKIPPED: &str = "skipped";
pub const FAILED: &str = "failed";

pub fn digest_key(user_id: i32, week: &str) -> String {
    format!("digest:{user_id}:{week}")
}

pub fn notification_key(post_id: i32, user_id: i32) -> String {
    format!("notify:{post_id}:{user_id}")
}

/// A job to add; nothing happens if its key is already queued.
pub struct NewJob {
    pub key: String,
    pub kind: &'static str,
    pub user_id: i32,
    pub week: Option<String>,
    pub post_id: Option<i32>,
    pub due_at: DateTime<Utc>,
}

/// Adds the jobs whose keys are new. Returns how many were added.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    jobs: Vec<NewJob>,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let mut added = 0;
    for chunk in jobs.chunks(200) {
        let rows: Vec<mail_job::ActiveModel> = chunk
            .iter()
            .map(|j| mail_job::ActiveModel {
                job_key: Set(j.key.clone()),
                kind: Set(j.kind.to_string()),
                user_id: Set(j.user_id),
                week: Set(j.week.clone()),
                post_id: Set(j.post_id),
                status: Set(PENDING.to_string()),
                attempts: Set(0),
                last_error: Set(None),
                due_at: Set(j.due_at),
                claimed_by: Set(None),
                lease_until: Set(None),
                message_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                sent_at: Set(None),
                ..Default::default()
            })
            .collect();
        added += mail_job::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(mail_job::Column::JobKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(added)
}

/// Which of these keys are already queued (in any state).
pub async fn existing_keys(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashSet<String>, sea_orm::DbErr> {
    let mut out = HashSet::new();
    for chunk in keys.chunks(500) {
        let found: Vec<String> = mail_job::Entity::find()
            .select_only()
            .column(mail_job::Column::JobKey)
            .filter(mail_job::Column::JobKey.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// What to claim.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub kind: Option<&'static str>,
    pub week: Option<String>,
    pub user_id: Option<i32>,
    /// Claim pending jobs due by this time rather than by now.
    pub due_by: Option<DateTime<Utc>>,
}

/// Claims up to `limit` due jobs for `worker`: pending ones whose time has come and sending
/// ones whose lease ran out. On PostgreSQL, concurrent claimers skip each other's rows
/// (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time, so the update is the claim.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    limit: u32,
    lease: Duration,
    filter: &ClaimFilter,
    now: DateTime<Utc>,
) -> Result<Vec<mail_job::Model>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let mut param = |v: Value| {
        values.push(v);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_string(),
        }
    };
    let worker_p = param(worker.into());
    let lease_p = param((now + lease).into());
    let now_p = param(now.into());
    let now_p2 = param(filter.due_by.unwrap_or(now).into());
    let now_p3 = param(now.into());
    let mut extra = String::new();
    if let Some(kind) = filter.kind {
        extra += &format!(" AND kind = {}", param(kind.into()));
    }
    if let Some(week) = &filter.week {
        extra += &format!(" AND week = {}", param(week.clone().into()));
    }
    if let Some(user_id) = filter.user_id {
        extra += &format!(" AND user_id = {}", param(user_id.into()));
    }
    let limit_p = param(i64::from(limit).into());
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE mail_jobs SET status = '{SENDING}', claimed_by = {worker_p}, \
         lease_until = {lease_p}, attempts = attempts + 1, updated_at = {now_p} \
         WHERE id IN (SELECT id FROM mail_jobs \
           WHERE ((status = '{PENDING}' AND due_at <= {now_p2}) \
              OR (status = '{SENDING}' AND lease_until < {now_p3})){extra} \
           ORDER BY due_at, id LIMIT {limit_p}{lock}) \
         RETURNING *"
    );
    mail_job::Model::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await
}

/// Claims every other pending notification of `user_id`, whatever its due time, so replies
/// that arrived close together go out in one message.
pub async fn claim_notifications_of(
    db: &impl ConnectionTrait,
    worker: &str,
    user_id: i32,
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<mail_job::Model>, sea_orm::DbErr> {
    claim(
        db,
        worker,
        1000,
        lease,
        &ClaimFilter {
            kind: Some(NOTIFICATION),
            week: None,
            user_id: Some(user_id),
            due_by: Some(now + Duration::days(1)),
        },
        now,
    )
    .await
}

/// The end of one attempt.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        message_id: String,
    },
    Skipped {
        reason: String,
    },
    /// Try again after `retry_in`, or fail if attempts are used up.
    Transient {
        error: String,
    },
    Permanent {
        error: String,
    },
}

pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
}

impl RetryPolicy {
    /// base, 2·base, 4·base, ... after the 1st, 2nd, 3rd failed attempt.
    pub fn delay(&self, attempts: i32) -> Duration {
        let exp = attempts.clamp(1, 20) - 1;
        self.base * 2_i32.pow(exp as u32)
    }
}

/// Records how a claimed job ended. Only the claimer's own claim is changed: a job whose
/// lease ran out and was claimed by another worker is left to that worker.
pub async fn finish(
    db: &impl ConnectionTrait,
    job: &mail_job::Model,
    worker: &str,
    outcome: &Outcome,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let mut update = mail_job::Entity::update_many()
        .filter(mail_job::Column::Id.eq(job.id))
        .filter(mail_job::Column::Status.eq(SENDING))
        .filter(mail_job::Column::ClaimedBy.eq(worker))
        .col_expr(mail_job::Column::UpdatedAt, now.into())
        .col_expr(
            mail_job::Column::LeaseUntil,
            Option::<DateTime<Utc>>::None.into(),
        );
    let set = |u: sea_orm::UpdateMany<mail_job::Entity>, status: &str| {
        u.col_expr(mail_job::Column::Status, status.into())
    };
    update =
        match outcome {
            Outcome::Sent { message_id } => set(update, SENT)
                .col_expr(mail_job::Column::MessageId, message_id.clone().into())
                .col_expr(mail_job::Column::SentAt, Some(now).into())
                .col_expr(mail_job::Column::LastError, Option::<String>::None.into()),
            Outcome::Skipped { reason } => set(update, SKIPPED)
                .col_expr(mail_job::Column::LastError, Some(reason.clone()).into()),
            Outcome::Permanent { error } => set(update, FAILED)
                .col_expr(mail_job::Column::LastError, Some(error.clone()).into()),
            Outcome::Transient { error } if job.attempts >= policy.max_attempts as i32 => {
                set(update, FAILED).col_expr(
                    mail_job::Column::LastError,
                    Some(format!("gave up after {} attempts: {error}", job.attempts)).into(),
                )
            }
            Outcome::Transient { error } => set(update, PENDING)
                .col_expr(mail_job::Column::LastError, Some(error.clone()).into())
                .col_expr(
                    mail_job::Column::DueAt,
                    (now + policy.delay(job.attempts)).into(),
                ),
        };
    Ok(update.exec(db).await?.rows_affected == 1)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct StatusCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
}

pub async fn status_counts(db: &impl ConnectionTrait) -> Result<Vec<StatusCount>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    StatusCount::find_by_statement(Statement::from_string(
        backend,
        "SELECT kind, status, COUNT(*) AS count FROM mail_jobs GROUP BY kind, status \
         ORDER BY kind, status",
    ))
    .all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::seconds(60),
        };
        let delays: Vec<i64> = (1..=4).map(|a| p.delay(a).num_seconds()).collect();
        assert_eq!(delays, vec![60, 120, 240, 480]);
        assert_eq!(p.delay(0).num_seconds(), 60);
    }
}
