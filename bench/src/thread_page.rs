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
use std::process::Command;

use roundtable_bench::{EMAIL, PASSWORD};

struct Sample {
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let data = tempfile::tempdir()?;
    // Set before any thread starts: the settings loader reads them.
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed (apt-get install -y wrk)");
    }
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

    let (mut hello_samples, mut thread_samples) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        hello_samples.push(wrk(&hello_url, None, seconds).await?);
        thread_samples.push(wrk(&thread_url, Some(&auth), seconds).await?);
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

async fn wrk(url: &str, header: Option<&str>, seconds: u64) -> anyhow::Result<Sample> {
    let mut cmd = tokio::process::Command::new("wrk");
    cmd.args(["-t1", "-c16", &format!("-d{seconds}s"), "--latency"]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().await.context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if text.contains("Non-2xx") {
        bail!("wrk saw error responses:\n{text}");
    }
    let number = |prefix: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.trim_start().starts_with(prefix))?;
        let value = line.split_whitespace().nth(1)?;
        parse_duration_ms(value).or_else(|| value.parse().ok())
    };
    Ok(Sample {
        requests_per_sec: number("Requests/sec:")
            .with_context(|| format!("no Requests/sec in {text}"))?,
        p50_ms: number("50%").with_context(|| format!("no p50 in {text}"))?,
        p99_ms: number("99%").with_context(|| format!("no p99 in {text}"))?,
    })
}

/// wrk prints latencies as `812.00us`, `1.23ms` or `1.01s`.
fn parse_duration_ms(value: &str) -> Option<f64> {
    let (num, factor) = if let Some(v) = value.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = value.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = value.strip_suffix('s') {
        (v, 1000.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|n| n * factor)
}

fn medians(samples: &[Sample]) -> Sample {
    let median = |f: &dyn Fn(&Sample) -> f64| {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    Sample {
        requests_per_sec: median(&|s| s.requests_per_sec),
        p50_ms: median(&|s| s.p50_ms),
        p99_ms: median(&|s| s.p99_ms),
    }
}
