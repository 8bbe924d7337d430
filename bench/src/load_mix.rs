//! A load script anyone can run: a realistic mix against a seeded server with many users,
//! reporting throughput and p50/p99 per kind of request. The mix: 60% thread reads
//! (`GET /api/v1/threads/{id}`), 20% space listings (`GET /api/v1/spaces/{slug}/threads`),
//! 15% searches (the webmasters data set's queries) and 5% replies, each client signed in as
//! one of `USERS` chief officers. The same clients then load an actix-web hello-world in the
//! same process for the same time, as the baseline.
//!
//! Run (release, on an idle machine):
//! `cargo run --release -p roundtable-bench --bin load-mix -- CORPUS QUERIES [SECONDS] [CLIENTS] [USERS] [DOCS]`
//! e.g. `… -- ../shared/data/cqadupstack-webmasters/corpus.jsonl ../shared/data/cqadupstack-webmasters/queries-dev.jsonl 20 64 50 2000`.
//! `DOCS` corpus documents become threads of six posts each. `BENCH_DATA_DIR` keeps the seeded
//! database between runs; `ROUNDTABLE__DATABASE__URL` measures PostgreSQL.
use anyhow::Context;
use roundtable::accounts::{self, NewUser};
use roundtable::db::entities::thread;
use roundtable::domain::{Email, Role};
use roundtable::settings::Settings;
use roundtable_bench::webmasters::{self, Doc, Query};
use roundtable_bench::{percentile, Rng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::time::{Duration, Instant};

const KINDS: [&str; 4] = ["thread", "space", "search", "reply"];

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let corpus = args.next().context("give the corpus (JSON lines)")?;
    let queries = args.next().context("give the queries (JSON lines)")?;
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(20);
    let clients: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    let users: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50);
    let docs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2000);
    let scratch = tempfile::tempdir()?;
    webmasters::use_data_dir(scratch.path());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, &queries, seconds, clients, users, docs))
}

async fn run(
    corpus: &str,
    queries: &str,
    seconds: u64,
    clients: usize,
    users: usize,
    docs: usize,
) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    roundtable::telemetry::init(&settings.log);
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let all: Vec<Doc> = webmasters::lines(corpus)?;
    let docs: Vec<Doc> = all.into_iter().take(docs).collect();
    let started = Instant::now();
    let (space_id, posts) = webmasters::seed_or_reuse(&db, &docs).await?;
    eprintln!(
        "{posts} posts ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let queries: Vec<String> = webmasters::lines::<Query>(queries)?
        .into_iter()
        .map(|q| q.text)
        .collect();
    let thread_ids: Vec<i32> = thread::Entity::find()
        .select_only()
        .column(thread::Column::Id)
        .filter(thread::Column::SpaceId.eq(space_id))
        .into_tuple()
        .all(&db)
        .await?;
    anyhow::ensure!(!thread_ids.is_empty(), "no threads were seeded");

    // The readers: chief officers of one force (the space's read roles), made once.
    let org = accounts::find_org_by_name(&db, "Kent Police")
        .await?
        .context("the benchmark's force")?;
    let password = roundtable_bench::PASSWORD;
    for i in 0..users {
        let email = Email::parse(&format!("reader{i}@kent.example"))?;
        if accounts::find_user(&db, &email).await?.is_none() {
            accounts::add_user(
                &db,
                NewUser {
                    email: &email,
                    display_name: &format!("Reader {i}"),
                    role: Role::ChiefOfficer,
                    organisation_id: org.id,
                    job_title: "Chief Superintendent",
                    password: Some(password),
                },
                chrono::Utc::now(),
            )
            .await?;
        }
    }

    let app = roundtable::startup::Application::build(settings).await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let mut tokens = Vec::with_capacity(users);
    for i in 0..users {
        let email = format!("reader{i}@kent.example");
        tokens.push(roundtable_bench::sign_in_as(&client, &base, &email, password).await?);
    }

    eprintln!("{clients} clients for {seconds} s against {base} ({users} users)");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let base = base.clone();
        let token = tokens[c % users].clone();
        let thread_ids = thread_ids.clone();
        let queries = queries.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (c as u64 + 1));
            // Per kind: latencies (ms) of answered requests, and failures.
            let mut seen: Vec<(Vec<f64>, usize)> = vec![(Vec::new(), 0); KINDS.len()];
            while Instant::now() < deadline {
                let roll = rng.below(100);
                let thread = thread_ids[rng.below(thread_ids.len())];
                let (kind, request) = match roll {
                    0..60 => (0, client.get(format!("{base}/api/v1/threads/{thread}"))),
                    60..80 => (
                        1,
                        client.get(format!("{base}/api/v1/spaces/webmasters/threads")),
                    ),
                    80..95 => {
                        // As plain words: the data set's questions are not written in the
                        // query language (a stray quote would be a 400).
                        let q = search_index::query::escape(&queries[rng.below(queries.len())]);
                        (
                            2,
                            client
                                .get(format!("{base}/api/v1/search"))
                                .query(&[("q", q)]),
                        )
                    }
                    _ => (
                        3,
                        client
                            .post(format!("{base}/api/v1/threads/{thread}/posts"))
                            .json(&serde_json::json!({"body": "A reply from the load script."})),
                    ),
                };
                let at = Instant::now();
                let ok = match request.bearer_auth(&token).send().await {
                    Ok(res) => {
                        let good = res.status().is_success();
                        let _ = res.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                let ms = at.elapsed().as_secs_f64() * 1000.0;
                if ok {
                    seen[kind].0.push(ms);
                } else {
                    seen[kind].1 += 1;
                }
            }
            seen
        }));
    }
    let mut totals: Vec<(Vec<f64>, usize)> = vec![(Vec::new(), 0); KINDS.len()];
    for t in tasks {
        for (k, (lat, failed)) in t.await?.into_iter().enumerate() {
            totals[k].0.extend(lat);
            totals[k].1 += failed;
        }
    }
    // The baseline, in the same run: the same clients against an actix-web hello-world.
    let hello = actix_web::HttpServer::new(|| {
        actix_web::App::new().route(
            "/",
            actix_web::web::get()
                .to(|| async { actix_web::HttpResponse::Ok().body("Hello world!") }),
        )
    })
    .workers(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
    )
    .bind("127.0.0.1:0")?;
    let hello_url = format!("http://{}/", hello.addrs()[0]);
    tokio::spawn(hello.run());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = client.clone();
        let url = hello_url.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let at = Instant::now();
                if let Ok(res) = client.get(&url).send().await {
                    let _ = res.bytes().await;
                    lat.push(at.elapsed().as_secs_f64() * 1000.0);
                }
            }
            lat
        }));
    }
    let mut hello_lat = Vec::new();
    for t in tasks {
        hello_lat.extend(t.await?);
    }
    hello_lat.sort_by(|a, b| a.total_cmp(b));
    let hello_rps = hello_lat.len() as f64 / seconds as f64;

    println!("| kind | answered | req/s | p50 ms | p99 ms | failed |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut all_ok = 0;
    for (k, (mut lat, failed)) in totals.into_iter().enumerate() {
        lat.sort_by(|a, b| a.total_cmp(b));
        all_ok += lat.len();
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            KINDS[k],
            lat.len(),
            lat.len() as f64 / seconds as f64,
            percentile(&lat, 0.5),
            percentile(&lat, 0.99),
            failed
        );
    }
    println!(
        "| all | {all_ok} | {:.0} | | | |",
        all_ok as f64 / seconds as f64
    );
    println!(
        "| hello-world (baseline) | {} | {hello_rps:.0} | {:.1} | {:.1} | |",
        hello_lat.len(),
        percentile(&hello_lat, 0.5),
        percentile(&hello_lat, 0.99)
    );
    println!(
        "mix / hello-world requests a second: {:.3}",
        all_ok as f64 / seconds as f64 / hello_rps
    );
    Ok(())
}
