//! Roundtable at scale: seeds a forum of `THREADS` threads of `POSTS` posts each (100,000 ×
//! 10 = a million by default) from the shared webmasters corpus through the real write path
//! (`threads::start`, `posts::reply`: the same rows, tags and outbox entries a person's
//! posting makes), then reports, against baselines measured in the same run:
//!
//! - seed time, database size, `roundtable reindex` time (run as its own process) and index
//!   size;
//! - search p50/p99 through `GET /api/v1/search` against raw tantivy on the same index;
//! - a 50-post thread's JSON and HTML page (the page asked for as browsers ask, taking gzip)
//!   under `wrk` against an actix-web hello-world;
//! - 500 readers, each opening a random thread's page after a random 0–2 s pause (about 500
//!   pages a second), and the same 500 connections with no pause (`wrk -c500` and a Lua script
//!   choosing random threads; taking gzip as browsers do);
//! - the server's resident memory idle and at its peak under each load.
//!
//! The server under test is the `roundtable` binary in its own process, so its memory is its
//! own. Build both first: `cargo build --release -p roundtable-server -p roundtable-bench`, then
//! `./target/release/scale-bench CORPUS QUERIES [THREADS] [POSTS] [USERS] [SECONDS] [ROUNDS]`.
//! `BENCH_DATA_DIR=DIR` keeps the seeded database and index between runs;
//! `SCALE_BENCH_SEARCH_ONLY=1` stops after the search figures;
//! `ROUNDTABLE__DATABASE__URL` (with `ROUNDTABLE__AUTH__JWT_SECRET`) measures PostgreSQL.
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{bail, Context};
use roundtable::accounts::{self, NewUser};
use roundtable::db::entities::thread;
use roundtable::domain::{Email, Marking, OrgKind, Role, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use roundtable::settings::Settings;
use roundtable_bench::raw_tantivy::Raw;
use roundtable_bench::webmasters::{lines, use_data_dir, Doc, Query};
use roundtable_bench::wrk::{self, Load, Sample};
use roundtable_bench::{BROWSER_ENCODINGS, PASSWORD};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, QuerySelect, TransactionTrait,
};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: scale-bench CORPUS QUERIES [THREADS] [POSTS] [USERS] [SECONDS] [ROUNDS]";
/// The thread measured against the hello-world, found again by its title on a reused database.
const BIG_TITLE: &str = "Scale benchmark: a fifty-post thread";
const BIG_POSTS: usize = 50;
const READERS: usize = 500;
const SEARCH_QUERIES: usize = 200;
const THREADS_PER_TRANSACTION: usize = 200;
const ORGANISATIONS: [&str; 4] = [
    "Kent Police",
    "Essex Police",
    "Thames Valley Police",
    "Greater Manchester Police",
];
const SPACES: [(&str, &str); 4] = [
    ("it-and-digital", "IT and digital"),
    ("resilience", "Resilience"),
    ("best-practice", "Best practice"),
    ("finance", "Finance and procurement"),
];

struct Plan {
    threads: usize,
    posts: usize,
    users: usize,
    seconds: u64,
    rounds: usize,
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match args.get(i) {
        None => Ok(default),
        Some(a) => a
            .parse()
            .map_err(|e| anyhow::anyhow!("argument {}: {a:?}: {e}\n{USAGE}", i + 1)),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args.first().context(USAGE)?.clone();
    let queries = args.get(1).context(USAGE)?.clone();
    let plan = Plan {
        threads: arg(&args, 2, 100_000)?,
        posts: arg(&args, 3, 10)?,
        users: arg(&args, 4, 100)?,
        seconds: arg(&args, 5, 10)?,
        rounds: arg(&args, 6, 3)?,
    };
    if plan.threads == 0 || plan.posts == 0 || plan.users == 0 || plan.rounds == 0 {
        bail!("threads, posts, users and rounds must each be at least 1\n{USAGE}");
    }
    let scratch = tempfile::tempdir()?;
    use_data_dir(scratch.path());
    wrk::require_wrk()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, &queries, plan))
}

/// The `roundtable` binary built next to this one.
fn server_binary() -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("roundtable");
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p roundtable-server`",
            bin.display()
        );
    }
    Ok(bin)
}

struct Seeded {
    posts: u64,
    thread_ids: Vec<i32>,
    big: i32,
    /// Seconds the seeding took, or None when an earlier run's database was reused.
    seconds: Option<f64>,
}

async fn run(corpus: &str, queries: &str, plan: Plan) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    roundtable::telemetry::init(&settings.log);
    let bin = server_binary()?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let docs: Vec<Doc> = lines(corpus)?;
    let seeded = seed_or_reuse(&db, &docs, &plan).await?;
    let database_bytes = database_size(&db).await?;
    drop(db);

    eprintln!("reindexing {} posts in a separate process", seeded.posts);
    let started = Instant::now();
    let out = Command::new(&bin)
        .arg("reindex")
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!(
            "roundtable reindex failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let reindex_seconds = started.elapsed().as_secs_f64();
    let index_dir = search_index::IndexStore::new(&settings.search.index_dir)
        .current()
        .context("reindex left no current index")?;
    let index_bytes = dir_size(&index_dir)?;

    let server = Server::start(&bin)?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(READERS)
        .build()?;
    let tokens = sign_in_readers(&client, &base, 1).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_kb = rss_kb(server.pid())?;
    let peak = Peak::watch(server.pid());

    // Search: every query through the API, then the same on raw tantivy, in turn.
    let raw = Arc::new(Raw::open(&index_dir)?);
    let queries: Vec<String> = lines::<Query>(queries)?
        .into_iter()
        .take(SEARCH_QUERIES)
        .map(|q| search_index::query::escape(&q.text))
        .collect();
    let latencies =
        roundtable_bench::paired_search_latencies(&client, &base, &tokens[0], &raw, &queries, 1)
            .await?;
    let search_peak_kb = peak.take();
    if std::env::var_os("SCALE_BENCH_SEARCH_ONLY").is_some() {
        for (what, ours, raw) in latencies.percentiles() {
            println!(
                "search {what}: {ours:.2} ms vs {raw:.2} ms ({:.2}×)",
                ours / raw
            );
        }
        return Ok(());
    }

    // The 50-post thread against a hello-world served by this process.
    let hello = HttpServer::new(|| {
        App::new().route(
            "/",
            web::get().to(|| async { HttpResponse::Ok().body("Hello world!") }),
        )
    })
    .workers(2)
    .bind("127.0.0.1:0")?;
    let hello_url = format!("http://{}/", hello.addrs()[0]);
    tokio::spawn(hello.run());
    let cookie_name = roundtable::auth::cookies::names(&settings.server).access;
    let load = Load {
        threads: 2,
        connections: 64,
        seconds: plan.seconds,
    };
    let json_url = format!("{base}/api/v1/threads/{}", seeded.big);
    let html_url = format!("{base}/threads/{}", seeded.big);
    let (mut hello_s, mut json_s, mut html_s) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..plan.rounds {
        let token = sign_in_readers(&client, &base, 1).await?.remove(0);
        let bearer = format!("Authorization: Bearer {token}");
        let cookie = format!("Cookie: {cookie_name}={token}");
        expect_page(&client, &html_url, &cookie).await?;
        for k in 0..3 {
            match (k + round) % 3 {
                0 => hello_s.push(wrk::run(&hello_url, &[], load).await?),
                1 => json_s.push(wrk::run(&json_url, &[bearer.as_str()], load).await?),
                _ => html_s
                    .push(wrk::run(&html_url, &[cookie.as_str(), BROWSER_ENCODINGS], load).await?),
            }
        }
        eprintln!("thread page round {} done", round + 1);
    }
    let (hello_m, json_m, html_m) = (
        wrk::medians(&hello_s),
        wrk::medians(&json_s),
        wrk::medians(&html_s),
    );
    let thread_peak_kb = peak.take();

    // 500 readers with a pause between pages, then the same connections with none.
    let token = sign_in_readers(&client, &base, 1).await?.remove(0);
    let cookie = format!("Cookie: {cookie_name}={token}");
    let readers_load = Load {
        threads: 2,
        connections: READERS,
        seconds: plan.seconds * 2,
    };
    let paused = random_thread_script(&seeded.thread_ids, true)?;
    let root = format!("{base}/");
    let scripted = |script: &tempfile::NamedTempFile, load: Load| {
        let (root, cookie, path) = (root.clone(), cookie.clone(), script.path().to_path_buf());
        async move {
            let mut samples = Vec::new();
            for _ in 0..plan.rounds {
                samples.push(
                    wrk::run_script(&root, &[cookie.as_str(), BROWSER_ENCODINGS], &path, load)
                        .await?,
                );
            }
            anyhow::Ok(wrk::medians(&samples))
        }
    };
    let reading = scripted(&paused, readers_load).await?;
    let readers_peak_kb = peak.take();
    let script = random_thread_script(&seeded.thread_ids, false)?;
    let saturated_load = Load {
        threads: 2,
        connections: READERS,
        seconds: plan.seconds,
    };
    let saturated = scripted(&script, saturated_load).await?;
    let saturated_peak_kb = peak.take();
    peak.stop();
    let log_tail = server.stop();

    let backend = if settings.database.url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mb = |bytes: u64| bytes as f64 / 1_048_576.0;
    let kb_mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "{backend}: {} posts in {} threads ({} per thread, and one of {BIG_POSTS}) by {} users in {} spaces",
        seeded.posts,
        seeded.thread_ids.len(),
        plan.posts,
        plan.users,
        SPACES.len()
    );
    println!();
    println!("| measure | figure |");
    println!("|---|---:|");
    match seeded.seconds {
        Some(s) => println!(
            "| seed time (real write path, {THREADS_PER_TRANSACTION} threads a transaction) | {s:.0} s ({:.0} posts/s) |",
            seeded.posts as f64 / s
        ),
        None => println!("| seed time | (database reused from an earlier run) |"),
    }
    println!("| database size | {:.0} MB |", mb(database_bytes));
    println!(
        "| `roundtable reindex` | {reindex_seconds:.0} s ({:.0} posts/s) |",
        seeded.posts as f64 / reindex_seconds
    );
    println!("| index size | {:.0} MB |", mb(index_bytes));
    for (what, ours, raw) in latencies.percentiles() {
        println!(
            "| search {what}, `GET /api/v1/search` vs raw tantivy ({} queries) | {ours:.1} ms vs {raw:.1} ms ({:.2}×) |",
            queries.len(),
            ours / raw
        );
    }
    let ratio = |s: &Sample| s.requests_per_sec / hello_m.requests_per_sec;
    println!(
        "| hello-world ({}, medians of {}) | {:.0} req/s, p99 {:.2} ms |",
        load.describe(),
        plan.rounds,
        hello_m.requests_per_sec,
        hello_m.p99_ms
    );
    for (label, s) in [
        ("JSON thread", &json_m),
        ("HTML thread page (gzip, as browsers ask)", &html_m),
    ] {
        println!(
            "| {label}, {BIG_POSTS} posts | {:.0} req/s = **{:.3}** of hello, p99 {:.2} ms ({:.1}× hello's) |",
            s.requests_per_sec,
            ratio(s),
            s.p99_ms,
            s.p99_ms / hello_m.p99_ms
        );
    }
    // The readers ask as browsers do, taking gzip.
    println!(
        "| {READERS} readers, random thread pages, a random 0–2 s pause before each (`{}` + Lua, medians of {}) | {:.0} pages/s, p50 {:.1} ms, **p99 {:.1} ms** |",
        readers_load.describe(),
        plan.rounds,
        reading.requests_per_sec,
        reading.p50_ms,
        reading.p99_ms
    );
    println!(
        "| {READERS} connections, random thread pages, no pause (`{}` + Lua, medians of {}) | {:.0} pages/s, p50 {:.1} ms, p99 {:.1} ms |",
        saturated_load.describe(),
        plan.rounds,
        saturated.requests_per_sec,
        saturated.p50_ms,
        saturated.p99_ms
    );
    let mem = |(all, anon): (u64, u64)| format!("{:.0} ({:.0})", kb_mb(all), kb_mb(anon));
    println!(
        "| server resident memory, idle: all (own, without mapped index files) | {} MB |",
        mem(idle_kb)
    );
    println!(
        "| peak resident memory, all (own): searching / thread page / {READERS} readers / no pause | {} / {} / {} / {} MB |",
        mem(search_peak_kb),
        mem(thread_peak_kb),
        mem(readers_peak_kb),
        mem(saturated_peak_kb)
    );
    if !log_tail.trim().is_empty() {
        eprintln!("server log (last lines):\n{log_tail}");
    }
    Ok(())
}

async fn seed_or_reuse(
    db: &DatabaseConnection,
    docs: &[Doc],
    plan: &Plan,
) -> anyhow::Result<Seeded> {
    let existing = roundtable::search::documents::count_posts(db).await?;
    let seconds = if existing == 0 {
        let started = Instant::now();
        seed(db, docs, plan).await?;
        Some(started.elapsed().as_secs_f64())
    } else {
        eprintln!("reusing the {existing} posts seeded by an earlier run");
        None
    };
    let all: Vec<(i32, String)> = thread::Entity::find()
        .select_only()
        .column(thread::Column::Id)
        .column(thread::Column::Title)
        .order_by_asc(thread::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let big = all
        .iter()
        .find(|(_, title)| title == BIG_TITLE)
        .map(|(id, _)| *id)
        .context("the fifty-post thread is missing: use an empty BENCH_DATA_DIR")?;
    Ok(Seeded {
        posts: roundtable::search::documents::count_posts(db).await?,
        thread_ids: all.into_iter().map(|(id, _)| id).collect(),
        big,
        seconds,
    })
}

async fn seed(db: &DatabaseConnection, docs: &[Doc], plan: &Plan) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut orgs = Vec::new();
    for name in ORGANISATIONS {
        orgs.push(
            accounts::add_organisation(db, name, OrgKind::Force, now)
                .await?
                .id,
        );
    }
    let mut users = Vec::new();
    for i in 0..plan.users {
        let email = Email::parse(&reader_email(i))?;
        let user = accounts::add_user(
            db,
            NewUser {
                email: &email,
                display_name: &format!("Reader {i}"),
                role: Role::ChiefOfficer,
                organisation_id: orgs[i % orgs.len()],
                job_title: "Assistant Chief Constable",
                password: Some(PASSWORD),
            },
            now,
        )
        .await?;
        users.push(user.id);
    }
    let mut space_ids = Vec::new();
    for (slug, name) in SPACES {
        space_ids.push(roundtable_bench::add_space(db, slug, name, now).await?);
    }

    // Each text is rendered once: posts reuse the corpus's texts. A text the renderer refuses
    // (one of 17,405: a whole web page pasted as text) is skipped, as the importer skips it.
    let rendered: Vec<(usize, RenderedBody)> = docs
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let text = if d.text.trim().is_empty() {
                "(empty)"
            } else {
                &d.text
            };
            RenderedBody::from_markdown(text, 100_000)
                .ok()
                .map(|b| (i, b))
        })
        .collect();
    anyhow::ensure!(
        !rendered.is_empty(),
        "no text of the corpus could be rendered"
    );
    let n = rendered.len();
    let started = Instant::now();
    let first = now - chrono::Duration::seconds(60 * (plan.threads as i64 + 1));
    let mut made = 0u64;
    // Thread number `plan.threads` is the fifty-post one, written last.
    for chunk_start in (0..=plan.threads).step_by(THREADS_PER_TRANSACTION) {
        let txn = db.begin().await?;
        for i in chunk_start..(chunk_start + THREADS_PER_TRANSACTION).min(plan.threads + 1) {
            let big = i == plan.threads;
            let (doc, body) = &rendered[i % n];
            let title = if big {
                BIG_TITLE.to_string()
            } else {
                docs[*doc].title.chars().take(200).collect()
            };
            let title = Title::parse(&title, 200)
                .or_else(|_| Title::parse("Untitled", 200))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let tags = docs[*doc]
                .metadata
                .as_ref()
                .map(|m| m.tags.clone())
                .unwrap_or_default();
            let at = first + chrono::Duration::seconds(60 * i as i64);
            let (thread_id, opening) = threads::start(
                &txn,
                space_ids[i % space_ids.len()],
                users[i % users.len()],
                threads::NewThread {
                    title,
                    body: body.clone(),
                    tags: TagList::parse(&tags, 10).unwrap_or_default(),
                    marking: Marking::Official,
                },
                at,
            )
            .await?;
            let (t, opening) =
                roundtable_bench::thread_and_opening(&txn, thread_id, opening).await?;
            let posts = if big { BIG_POSTS } else { plan.posts };
            let mut previous = opening.clone();
            for k in 1..posts {
                // Two in three answer the opening post, the rest the post before them.
                let parent = if k % 3 == 0 { &previous } else { &opening };
                let reply = posts::reply(
                    &txn,
                    &t,
                    parent,
                    users[(i + k) % users.len()],
                    &rendered[(i * 7 + k * 1009) % n].1,
                    at + chrono::Duration::seconds(k as i64),
                )
                .await?;
                previous = reply;
            }
            made += posts as u64;
        }
        txn.commit().await?;
        if (chunk_start / THREADS_PER_TRANSACTION) % 50 == 49 {
            eprintln!(
                "seeded {made} posts ({:.0}/s)",
                made as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn reader_email(i: usize) -> String {
    format!("reader{i}@scale.example")
}

/// Signs in the first `n` readers; returns their access tokens.
async fn sign_in_readers(
    client: &reqwest::Client,
    base: &str,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        tokens.push(roundtable_bench::sign_in_as(client, base, &reader_email(i), PASSWORD).await?);
    }
    Ok(tokens)
}

/// The page must be the thread, signed in, before it is measured.
async fn expect_page(client: &reqwest::Client, url: &str, cookie: &str) -> anyhow::Result<()> {
    let (name, value) = cookie
        .strip_prefix("Cookie: ")
        .unwrap_or(cookie)
        .split_once('=')
        .context("cookie")?;
    let res = client
        .get(url)
        .header("Cookie", format!("{name}={value}"))
        .send()
        .await?;
    let status = res.status();
    let body = res.text().await?;
    if status != 200 || !body.contains(BIG_TITLE) {
        bail!("GET {url} answered {status} without the thread; nothing measured");
    }
    Ok(())
}

/// A `wrk` script asking for a random thread's page among (up to 5,000 of) `thread_ids`;
/// with `pause`, each connection waits a random 0–2 s before each request, as a reader does
/// (wrk leaves the pause out of the latency).
fn random_thread_script(
    thread_ids: &[i32],
    pause: bool,
) -> anyhow::Result<tempfile::NamedTempFile> {
    use std::io::Write;
    let step = (thread_ids.len() / 5000).max(1);
    let ids: Vec<String> = thread_ids
        .iter()
        .step_by(step)
        .map(|id| id.to_string())
        .collect();
    let mut file = tempfile::Builder::new().suffix(".lua").tempfile()?;
    writeln!(
        file,
        "local ids = {{{}}}\nrequest = function()\n  return wrk.format(\"GET\", \"/threads/\" .. ids[math.random(#ids)])\nend",
        ids.join(",")
    )?;
    if pause {
        writeln!(
            file,
            "delay = function()\n  return math.random(0, 2000)\nend"
        )?;
    }
    file.flush()?;
    Ok(file)
}

async fn database_size(db: &DatabaseConnection) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT pg_database_size(current_database()) AS bytes"
        }
        _ => "SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()",
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(backend, sql))
        .await?
        .context("database size")?;
    Ok(row.try_get::<i64>("", "bytes")? as u64)
}

fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// The process's resident memory in kB: (all of it, its own anonymous memory). The rest is
/// file pages mapped in, chiefly the search index, which the kernel can drop at will.
fn rss_kb(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("RssAnon:")?))
}

/// The server process's highest resident memory (all, anonymous) since the last `take`,
/// sampled every 100 ms.
struct Peak {
    kb: Arc<[AtomicU64; 2]>,
    stop: Arc<AtomicBool>,
}

impl Peak {
    fn watch(pid: u32) -> Peak {
        let kb = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let stop = Arc::new(AtomicBool::new(false));
        let (k, s) = (kb.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok((all, anon)) = rss_kb(pid) {
                    k[0].fetch_max(all, Ordering::Relaxed);
                    k[1].fetch_max(anon, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Peak { kb, stop }
    }

    fn take(&self) -> (u64, u64) {
        (
            self.kb[0].swap(0, Ordering::Relaxed),
            self.kb[1].swap(0, Ordering::Relaxed),
        )
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// `roundtable serve` in its own process, on the settings this process was given.
struct Server {
    child: Child,
    base: String,
    log: tempfile::NamedTempFile,
}

impl Server {
    fn start(bin: &Path) -> anyhow::Result<Server> {
        let log = tempfile::NamedTempFile::new()?;
        let mut child = Command::new(bin)
            .arg("serve")
            .env("ROUNDTABLE__LOG__LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(log.reopen()?)
            .spawn()?;
        let stdout = child.stdout.take().context("server stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Roundtable listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(600)) {
            Ok(base) => Ok(Server { child, base, log }),
            Err(_) => {
                let _ = child.kill();
                bail!(
                    "the server did not start:\n{}",
                    std::fs::read_to_string(log.path()).unwrap_or_default()
                )
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server; returns the end of its log.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
