//! Benchmark: `GET /api/v1/threads/{id}` for a 50-post thread against an actix-web
//! hello-world handler, both served by this one process, measured with `wrk` in the same run.
//!
//! Run: `cargo run --release -p roundtable-bench --bin thread-page-bench -- [ROUNDS] [SECONDS]`
//! (needs `wrk` on the PATH). Set `ROUNDTABLE__DATABASE__URL` to measure on PostgreSQL.
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{bail, Context};
use roundtable::domain::{Marking, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use roundtable::settings::Settings;
use sea_orm::TransactionTrait;

use roundtable_bench::wrk::{self, medians, Load};
use roundtable_bench::{EMAIL, PASSWORD};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let data = tempfile::tempdir()?;
    // Set before any thread starts: the settings loader reads them.
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    wrk::require_wrk()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(rounds, seconds))
}

async fn run(rounds: usize, seconds: u64) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    roundtable::telemetry::init(&settings.log);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let thread_id = seed_thread(&db).await?;

    let app = roundtable::startup::Application::build(settings).await?;
    let app_addr = app.addr();
    tokio::spawn(app.run_until_stopped());
    let hello = HttpServer::new(|| {
        App::new().route(
            "/",
            web::get().to(|| async { HttpResponse::Ok().body("Hello world!") }),
        )
    })
    .workers(workers)
    .bind("127.0.0.1:0")?;
    let hello_addr = *hello.addrs().first().context("hello address")?;
    tokio::spawn(hello.run());

    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{app_addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("login failed")?
        .to_string();
    let thread_url = format!("http://{app_addr}/api/v1/threads/{thread_id}");
    let check: serde_json::Value = client
        .get(&thread_url)
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let post_count = check["posts"].as_array().map(Vec::len).unwrap_or(0);
    if post_count != 50 {
        bail!("expected a 50-post thread, got {post_count}");
    }
    let hello_url = format!("http://{hello_addr}/");
    let auth = format!("Authorization: Bearer {token}");

    let load = Load {
        threads: 1,
        connections: 16,
        seconds,
    };
    let (mut hello_samples, mut thread_samples) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        hello_samples.push(wrk::run(&hello_url, &[], load).await?);
        thread_samples.push(wrk::run(&thread_url, &[&auth], load).await?);
        eprintln!(
            "round {round}: hello {:.0} req/s, thread {:.0} req/s",
            hello_samples
                .last()
                .map(|s| s.requests_per_sec)
                .unwrap_or_default(),
            thread_samples
                .last()
                .map(|s| s.requests_per_sec)
                .unwrap_or_default()
        );
    }
    let hello = medians(&hello_samples);
    let thread = medians(&thread_samples);
    println!("| endpoint | req/s (median of {rounds}) | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|");
    println!(
        "| hello world (same process) | {:.0} | {:.2} | {:.2} |",
        hello.requests_per_sec, hello.p50_ms, hello.p99_ms
    );
    println!(
        "| GET /api/v1/threads/{{id}}, 50 posts | {:.0} | {:.2} | {:.2} |",
        thread.requests_per_sec, thread.p50_ms, thread.p99_ms
    );
    println!(
        "| ratio thread / hello | {:.3} | {:.2}x | {:.2}x |",
        thread.requests_per_sec / hello.requests_per_sec,
        thread.p50_ms / hello.p50_ms,
        thread.p99_ms / hello.p99_ms
    );
    Ok(())
}

/// One user, one space, and a thread of 50 posts: 49 replies, some nested.
async fn seed_thread(db: &sea_orm::DatabaseConnection) -> anyhow::Result<i32> {
    let now = chrono::Utc::now();
    let (user_id, space_id) =
        roundtable_bench::user_and_space(db, "it-digital", "IT & Digital").await?;
    let txn = db.begin().await?;
    let paragraph = "We moved our records management system to a shared cloud tenancy last year. \
        The **costing data** is in the table below; the benchmarking clause let us compare \
        unit prices with two neighbouring forces.\n\n| Item | Cost |\n|---|---:|\n| Licences | £120k |\n";
    let body = |i: usize| {
        RenderedBody::from_markdown(&format!("Post {i}. {paragraph}"), 100_000)
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let (thread_id, opening_id) = threads::start(
        &txn,
        space_id,
        user_id,
        threads::NewThread {
            title: Title::parse("Shared ICT platforms: what did the move cost?", 200)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            body: body(0)?,
            tags: TagList::parse(&["cloud".to_string(), "RMS".to_string()], 10)?,
            marking: Marking::Official,
        },
        now,
    )
    .await?;
    let thread = roundtable::db::entities::thread::Entity::find_by_id(thread_id)
        .one(&txn)
        .await?
        .context("thread")?;
    let mut parents = vec![
        roundtable::db::entities::post::Entity::find_by_id(opening_id)
            .one(&txn)
            .await?
            .context("post")?,
    ];
    for i in 1..50 {
        let parent = parents[(i * 7) % parents.len()].clone();
        let made = posts::reply(&txn, &thread, &parent, user_id, &body(i)?, now).await?;
        parents.push(made);
    }
    txn.commit().await?;
    Ok(thread_id)
}

use sea_orm::EntityTrait;
