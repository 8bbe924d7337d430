//! `roundtable digest preview | run | status`.
use super::jobs::{self, ClaimFilter, DIGEST};
use super::{due_week, Delivery};
use crate::accounts::find_user;
use crate::digest::{preferences, IsoWeek};
use crate::domain::Email;
use crate::mail::Mailer;
use crate::settings::Settings;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::path::Path;
use std::sync::Arc;

fn delivery(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<Delivery> {
    let secret = crate::auth::jwt::load_secret(settings)?;
    Ok(Delivery {
        db: db.clone(),
        mailer: Mailer::from_settings(settings)?,
        settings: Arc::new(settings.clone()),
        unsubscribe: crate::auth::keys::Keys::from_master(&secret).unsubscribe,
        clock: crate::clock::from_settings(settings)?,
        worker: super::worker_name(),
    })
}

fn parse_week(raw: &str) -> anyhow::Result<IsoWeek> {
    raw.parse::<IsoWeek>()
        .map_err(|e| anyhow::anyhow!("--week: {e}"))
}

async fn account(
    db: &DatabaseConnection,
    email: &str,
) -> anyhow::Result<crate::db::entities::user::Model> {
    let parsed = Email::parse(email).map_err(|e| anyhow::anyhow!("--user: {e}"))?;
    find_user(db, &parsed)
        .await?
        .with_context(|| format!("--user: no account with the email {email}"))
}

/// Prints the text part of a user's digest (and writes the HTML part to `html`).
pub async fn preview(
    db: &DatabaseConnection,
    settings: &Settings,
    email: &str,
    week: Option<&str>,
    html: Option<&Path>,
) -> anyhow::Result<()> {
    let d = delivery(db, settings)?;
    let account = account(db, email).await?;
    let week = match week {
        Some(w) => parse_week(w)?,
        None => {
            let prefs = preferences::load(db, account.id).await?;
            due_week(&prefs, d.clock.now()).0
        }
    };
    let weeks = crate::digest::content::WeekCache::default();
    let composer = d.composer(&weeks);
    let digest = composer
        .digest(db, &account, week)
        .await
        .context("building the digest")?;
    let message = composer.digest_message(&digest)?;
    if let Some(path) = html {
        std::fs::write(path, message.html.as_deref().unwrap_or_default())
            .with_context(|| format!("--html: cannot write {}", path.display()))?;
    }
    println!("Subject: {}", message.subject);
    if digest.is_empty() {
        println!("(Nothing new for this reader in {week}: no email would be sent.)");
    }
    println!();
    print!("{}", message.text);
    Ok(())
}

/// Queues and sends the digest of `week` (this week by default) now, for one user or all.
pub async fn run(
    db: &DatabaseConnection,
    settings: &Settings,
    week: Option<&str>,
    email: Option<&str>,
) -> anyhow::Result<()> {
    let d = delivery(db, settings)?;
    let now = d.clock.now();
    let week = match week {
        Some(w) => parse_week(w)?,
        None => IsoWeek::of(
            now.with_timezone(&preferences::DEFAULT_TIME_ZONE)
                .date_naive(),
        ),
    };
    let only = match email {
        Some(e) => Some(account(db, e).await?.id),
        None => None,
    };
    d.enqueue_week(week, only, now).await?;
    let filter = ClaimFilter {
        kind: Some(DIGEST),
        week: Some(week.to_string()),
        user_id: only,
        due_by: None,
    };
    let mut due = crate::db::entities::mail_job::Entity::find()
        .filter(crate::db::entities::mail_job::Column::Kind.eq(DIGEST))
        .filter(crate::db::entities::mail_job::Column::Week.eq(week.to_string()))
        .filter(
            crate::db::entities::mail_job::Column::Status.is_in([jobs::PENDING, jobs::SENDING]),
        );
    if let Some(id) = only {
        due = due.filter(crate::db::entities::mail_job::Column::UserId.eq(id));
    }
    let total = sea_orm::PaginatorTrait::count(due, db).await?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} digests for {msg} [{bar:40}] {pos}/{len}")
            .context("progress bar template")?
            .progress_chars("=> "),
    );
    bar.set_message(week.to_string());
    let summary = d.drain(&filter, |n| bar.inc(n)).await?;
    bar.finish_and_clear();
    println!(
        "{week}: sent {}, skipped (empty or turned off) {}, failed {}, to retry {}",
        summary.sent, summary.skipped, summary.failed, summary.retrying
    );
    if summary.failed > 0 || summary.retrying > 0 {
        println!("see `roundtable digest status` for the errors");
    }
    Ok(())
}

/// The queue: jobs per kind and state, what is due next, and the latest errors.
pub async fn status(db: &DatabaseConnection) -> anyhow::Result<()> {
    use crate::db::entities::mail_job;
    let counts = jobs::status_counts(db).await?;
    if counts.is_empty() {
        println!("The mail queue is empty.");
        return Ok(());
    }
    println!("{:<14} {:<10} {:>8}", "kind", "status", "jobs");
    for c in &counts {
        println!("{:<14} {:<10} {:>8}", c.kind, c.status, c.count);
    }
    let next = mail_job::Entity::find()
        .filter(mail_job::Column::Status.eq(jobs::PENDING))
        .order_by_asc(mail_job::Column::DueAt)
        .one(db)
        .await?;
    if let Some(job) = next {
        println!("next due: {} at {}", job.job_key, job.due_at.to_rfc3339());
    }
    let errors = mail_job::Entity::find()
        .filter(mail_job::Column::LastError.is_not_null())
        .filter(mail_job::Column::Status.is_in([jobs::FAILED, jobs::PENDING]))
        .order_by_desc(mail_job::Column::UpdatedAt)
        .limit(10)
        .all(db)
        .await?;
    if !errors.is_empty() {
        println!("latest errors:");
        for job in errors {
            println!(
                "  {} ({}, {} attempts): {}",
                job.job_key,
                job.status,
                job.attempts,
                job.last_error.unwrap_or_default()
            );
        }
    }
    Ok(())
}
