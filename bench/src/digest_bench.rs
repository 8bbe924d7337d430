//! Digests built and sent per second for many users, against raw lettre sending pre-built
//! messages of the same size to the same local SMTP sink, in the same run.
//!
//! `digest-bench [USERS] [ROUNDS] [IN_FLIGHT]` (defaults 10000, 3 and 16). Both sides use the
//! same SMTP pool size and the same number of messages in flight.
use anyhow::Context;
use futures_util::StreamExt;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use roundtable::db::entities::mail_job;
use roundtable::delivery::{jobs::ClaimFilter, Delivery};
use roundtable::digest::unsubscribe::UnsubscribeKey;
use roundtable::digest::IsoWeek;
use roundtable::domain::{Marking, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use roundtable::settings::Settings;
use roundtable_bench::median;
use roundtable_tests::smtp_sink::SmtpSink;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use std::sync::Arc;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let users: usize = args
        .first()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let rounds: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let in_flight: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(16);
    let data = tempfile::tempdir()?;
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(users, rounds, in_flight))
}

/// `users` chief officers in 40 forces, and a week of discussion in four spaces: 40 threads
/// with five replies each from different forces, so every digest has content.
async fn seed(db: &DatabaseConnection, users: usize, week: IsoWeek) -> anyhow::Result<()> {
    let (author, _) = roundtable_bench::user_and_space(db, "it-digital", "IT & Digital").await?;
    let now = chrono::Utc::now();
    let backend = db.get_database_backend();
    for f in 0..40 {
        db.execute_unprepared(&format!(
            "INSERT INTO organisations (name, kind, created_at) VALUES ('Force {f}', 'force', '{}')",
            now.to_rfc3339()
        ))
        .await?;
    }
    let first_org: i32 = db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT MIN(id) FROM organisations WHERE name LIKE 'Force %'".to_string(),
        ))
        .await?
        .context("organisations")?
        .try_get_by_index(0)?;
    let created = (week.monday() - chrono::Duration::days(30))
        .and_hms_opt(9, 0, 0)
        .context("date")?
        .and_utc()
        .to_rfc3339();
    for chunk in (0..users).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('chief{i}@force{}.example', 'Chief {i}', 'chief_officer', {}, 'Chief Constable', FALSE, NULL, '{created}')",
                    i % 40,
                    first_org + (*i as i32 % 40)
                )
            })
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO users (email, display_name, role, organisation_id, job_title, disabled, password_hash, created_at) VALUES {}",
            rows.join(", ")
        ))
        .await?;
    }
    let spaces = ["it-digital"];
    let during = week
        .monday()
        .and_hms_opt(7, 0, 0)
        .context("time")?
        .and_utc()
        - chrono::Duration::days(3);
    let txn = db.begin().await?;
    let space = roundtable::spaces::find_by_slug(&txn, spaces[0])
        .await?
        .context("space")?;
    for t in 0..40 {
        let (thread_id, opening) = threads::start(
            &txn,
            space.id,
            author,
            threads::NewThread {
                title: Title::parse(
                    &format!("Shared practice on topic {t}: what worked and what it cost"),
                    200,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?,
                body: RenderedBody::from_markdown(
                    "Opening post with figures and a question for colleagues.",
                    10_000,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?,
                tags: TagList::default(),
                marking: Marking::Official,
            },
            during,
        )
        .await?;
        let (thread, parent) =
            roundtable_bench::thread_and_opening(&txn, thread_id, opening).await?;
        for r in 0..5 {
            let replier = 2 + ((t * 5 + r) % users) as i32;
            let body = RenderedBody::from_markdown(
                "We did this last year; the costs were lower than expected and the benchmarking clause helped.",
                10_000,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            posts::reply(
                &txn,
                &thread,
                &parent,
                replier,
                &body,
                during + chrono::Duration::hours(r as i64 + 1),
            )
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

async fn run(users: usize, rounds: usize, in_flight: usize) -> anyhow::Result<()> {
    let sink = SmtpSink::start();
    std::env::set_var("ROUNDTABLE__MAIL__SMTP_URL", sink.url());
    std::env::set_var("ROUNDTABLE__MAIL__SMTP_POOL_SIZE", in_flight.to_string());
    std::env::set_var("ROUNDTABLE__DIGEST__CONCURRENCY", in_flight.to_string());
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let now = chrono::Utc::now();
    let week = IsoWeek::of(now.date_naive());
    let seeding = Instant::now();
    seed(&db, users, week).await?;
    eprintln!(
        "seeded {users} users in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let delivery = Delivery {
        db: db.clone(),
        mailer: roundtable::mail::Mailer::from_settings(&settings)?,
        settings: Arc::new(settings.clone()),
        unsubscribe: UnsubscribeKey::from_secret(&[7; 32]),
        clock: Arc::new(roundtable::clock::SystemClock),
        worker: roundtable::delivery::worker_name(),
    };

    // The baseline's messages: as large as a real digest, built before the clock starts.
    let account = roundtable::db::entities::user::Entity::find_by_id(2)
        .one(&db)
        .await?
        .context("user")?;
    let composer_digest = delivery_sample(&delivery, &account, week).await?;
    let from: Mailbox = settings.mail.from.parse()?;
    let raw_transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())?
        .pool_config(PoolConfig::new().max_size(in_flight as u32))
        .build();

    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        db.execute_unprepared("DELETE FROM mail_jobs").await?;
        sink.clear();
        let t = Instant::now();
        delivery
            .enqueue_week(week, None, chrono::Utc::now())
            .await?;
        let summary = delivery.drain(&ClaimFilter::default(), |_| {}).await?;
        let ours_rate = summary.sent as f64 / t.elapsed().as_secs_f64();
        anyhow::ensure!(
            summary.sent as usize == users + 1,
            "sent {} of {}",
            summary.sent,
            users + 1
        );
        anyhow::ensure!(sink.count() == users + 1, "the sink got {}", sink.count());

        let messages: Vec<Message> = (0..=users)
            .map(|i| {
                Message::builder()
                    .from(from.clone())
                    .to(format!("chief{i}@force{}.example", i % 40).parse().unwrap())
                    .subject(&composer_digest.0)
                    .multipart(
                        MultiPart::alternative()
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_PLAIN)
                                    .body(composer_digest.1.clone()),
                            )
                            .singlepart(
                                SinglePart::builder()
                                    .header(ContentType::TEXT_HTML)
                                    .body(composer_digest.2.clone()),
                            ),
                    )
                    .unwrap()
            })
            .collect();
        sink.clear();
        let t = Instant::now();
        let sent: Vec<bool> = futures_util::stream::iter(messages)
            .map(|m| {
                let transport = raw_transport.clone();
                async move { transport.send(m).await.is_ok() }
            })
            .buffer_unordered(in_flight)
            .collect()
            .await;
        let raw_rate = sent.len() as f64 / t.elapsed().as_secs_f64();
        anyhow::ensure!(sent.iter().all(|ok| *ok), "raw sending failed");
        eprintln!(
            "round {round}: ours {ours_rate:.0} digests/s, raw lettre {raw_rate:.0} messages/s"
        );
        ours.push(ours_rate);
        raw.push(raw_rate);
    }
    let jobs = mail_job::Entity::find().all(&db).await?.len();
    let (o, r) = (median(ours.clone()), median(raw.clone()));
    let paired = median(ours.iter().zip(&raw).map(|(a, b)| a / b).collect());
    println!(
        "users: {users}; rounds: {rounds}; jobs in the last round: {jobs}; in flight: {in_flight}"
    );
    println!();
    println!("| measure | ours | raw lettre | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| messages/s, median of {rounds}: digests built (database, permissions, askama) and sent vs pre-built messages sent | {o:.0} | {r:.0} | {:.2} (median of per-round ratios {paired:.2}) |",
        o / r
    );
    Ok(())
}

/// One real digest's (subject, text, html), for the baseline's message size.
async fn delivery_sample(
    delivery: &Delivery,
    account: &roundtable::db::entities::user::Model,
    week: IsoWeek,
) -> anyhow::Result<(String, String, String)> {
    let weeks = roundtable::digest::content::WeekCache::default();
    let composer = roundtable::delivery::compose::Composer {
        settings: &delivery.settings,
        unsubscribe: &delivery.unsubscribe,
        weeks: &weeks,
    };
    let digest = composer
        .digest(&delivery.db, account, week)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(!digest.is_empty(), "the sample digest is empty");
    let m = composer.digest_message(&digest)?;
    Ok((m.subject, m.text, m.html.unwrap_or_default()))
}
