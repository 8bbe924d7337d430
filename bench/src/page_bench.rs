//! Benchmark: the HTML thread page `GET /threads/{id}` (signed in with the access cookie)
//! against the JSON thread `GET /api/v1/threads/{id}` (bearer token) and an actix-web
//! hello-world, for a thread of 50 posts and one of 200, and the home page `GET /` and the
//! space page `GET /spaces/{slug}` (a full page of 25 threads), all served by this one process
//! and measured with `wrk` in the same run. A second hello-world handler answers a fixed copy
//! of each answer's bytes (the 50-post thread's JSON and page, the home and space pages), to
//! show what sending those bytes costs on its own.
//!
//! Run: `cargo run --release -p roundtable-bench --bin page-bench -- [CORPUS] [ROUNDS] [SECONDS]
//! [CONNECTIONS]` (needs `wrk` on the PATH). Defaults: the shared webmasters corpus, 3 rounds of
//! 10 s, 64 connections over 2 wrk threads. Set `ROUNDTABLE__DATABASE__URL` to measure on
//! PostgreSQL, `PAGE_BENCH_ONLY=TEXT` to measure only the targets whose label holds TEXT
//! (for profiling), and `PAGE_BENCH_SAVE=DIR` to keep each thread's page and JSON there (to see
//! where the bytes go).
//!
//! The threads are built from the corpus: each post's body is one document's text (as the
//! search benchmark's forum), replies form a tree (about two in five answer the opening post,
//! a quarter continue the conversation under the post before them, the rest answer an earlier
//! post), up to 8 levels deep, by seven authors from four organisations.
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{bail, Context};
use roundtable::accounts::{self, NewUser};
use roundtable::domain::{Email, Marking, OrgKind, Role, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use roundtable::settings::Settings;
use roundtable_bench::webmasters::{self, Doc};
use roundtable_bench::wrk::{self, medians, Load, Sample};
use sea_orm::{DatabaseConnection, TransactionTrait};

/// The thread sizes measured, in posts (the opening post included).
const SIZES: [usize; 2] = [50, 200];
/// Two-post threads seeded beside the measured ones, so the space page lists a full page
/// (25) and the home page's lists are full.
const SMALL_THREADS: usize = 40;
const SPACE_SLUG: &str = "it-digital";
/// The deepest reply of the seeded trees; the page shows `SHOWN_LEVELS` levels and links the
/// rest, so a few posts of each thread continue on a branch page.
const MAX_DEPTH: usize = 8;
const DEFAULT_CORPUS: &str = "../shared/data/cqadupstack-webmasters/corpus.jsonl";

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let corpus = args.next().unwrap_or_else(|| DEFAULT_CORPUS.to_string());
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let connections: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    if rounds == 0 {
        bail!("at least one round");
    }
    let data = tempfile::tempdir()?;
    // Set before any thread starts: the settings loader reads them. A fresh database each run
    // (never `BENCH_DATA_DIR`): the threads are seeded here.
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    wrk::require_wrk()?;
    let load = Load {
        threads: 2,
        connections,
        seconds,
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, rounds, load))
}

/// A seeded thread.
struct Seeded {
    id: i32,
    title: String,
    posts: usize,
    /// Posts at each depth (index 0: the opening post).
    depths: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Hello,
    /// A hello-world handler answering a fixed copy of a thread's JSON: the cost of the
    /// bytes alone, for comparison.
    Bytes,
    Json,
    Html,
    /// The home page or a space page (HTML, cookie).
    Page,
}

struct Target {
    label: String,
    kind: Kind,
    /// The thread's size, for the JSON and HTML targets.
    posts: usize,
    url: String,
    /// Response body size, bytes.
    bytes: usize,
    /// Asked with `Accept-Encoding` as a browser sends it (the thread's JSON and page).
    gzip: bool,
    samples: Vec<Sample>,
}

async fn run(corpus: &str, rounds: usize, load: Load) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    roundtable::telemetry::init(&settings.log);
    let cookie_name = roundtable::auth::cookies::names(&settings.server).access;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let docs: Vec<Doc> = webmasters::lines(corpus)?;
    let seeded = seed(&db, &docs).await?;

    let app = roundtable::startup::Application::build(settings).await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    // No redirects followed: a page that sends us to sign in must show as a 303, not as the
    // sign-in page's 200.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token = roundtable_bench::sign_in(&client, &base).await?;
    let mut targets: Vec<Target> = Vec::new();
    let mut copies: Vec<(String, web::Bytes)> = Vec::new();
    for t in &seeded {
        let json_url = format!("{base}/api/v1/threads/{}", t.id);
        let json = client.get(&json_url).bearer_auth(&token).send().await?;
        let status = json.status();
        let json_text = json.text().await?;
        if status != 200 {
            bail!("GET {json_url} answered {status}: {json_text}");
        }
        let value: serde_json::Value = serde_json::from_str(&json_text)?;
        let got = value["posts"].as_array().map(Vec::len).unwrap_or(0);
        if got != t.posts {
            bail!(
                "expected a {}-post thread from {json_url}, got {got}",
                t.posts
            );
        }

        let html_url = format!("{base}/threads/{}", t.id);
        let html = check_thread_page(&client, &html_url, cookie_name, &token, t).await?;
        let html_bytes = html.len();
        let page_text = html.clone();
        if let Ok(dir) = std::env::var("PAGE_BENCH_SAVE") {
            let dir = std::path::Path::new(&dir);
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("thread-{}.html", t.posts)), &html)?;
            std::fs::write(dir.join(format!("thread-{}.json", t.posts)), &json_text)?;
        }
        if t.posts == SIZES[0] {
            copies.push((
                format!("{}-post JSON", t.posts),
                web::Bytes::from(json_text.clone()),
            ));
            copies.push((
                format!("{}-post page", t.posts),
                web::Bytes::from(html.clone()),
            ));
        }
        targets.push(Target {
            label: format!("GET /api/v1/threads/{{id}} (JSON), {} posts", t.posts),
            kind: Kind::Json,
            posts: t.posts,
            url: json_url.clone(),
            bytes: json_text.len(),
            gzip: false,
            samples: Vec::new(),
        });
        targets.push(Target {
            label: format!("GET /threads/{{id}} (HTML page), {} posts", t.posts),
            kind: Kind::Html,
            posts: t.posts,
            url: html_url.clone(),
            bytes: html_bytes,
            gzip: false,
            samples: Vec::new(),
        });
        let bearer = ("Authorization", format!("Bearer {token}"));
        let json_gzip = get_gzip(&client, &json_url, bearer, &json_text).await?;
        let cookie = ("Cookie", format!("{cookie_name}={token}"));
        let html_gzip = get_gzip(&client, &html_url, cookie, &page_text).await?;
        if t.posts == SIZES[0] {
            copies.push((format!("{}-post page, gzip", t.posts), html_gzip.clone()));
        }
        targets.push(Target {
            label: format!("GET /api/v1/threads/{{id}} (JSON, gzip), {} posts", t.posts),
            kind: Kind::Json,
            posts: t.posts,
            url: json_url,
            bytes: json_gzip.len(),
            gzip: true,
            samples: Vec::new(),
        });
        targets.push(Target {
            label: format!("GET /threads/{{id}} (HTML page, gzip), {} posts", t.posts),
            kind: Kind::Html,
            posts: t.posts,
            url: html_url,
            bytes: html_gzip.len(),
            gzip: true,
            samples: Vec::new(),
        });
    }

    for (label, path, must_hold) in [
        (
            "GET / (home page)",
            "/".to_string(),
            seeded[0].title.clone(),
        ),
        (
            "GET /spaces/{slug} (space page, 25 threads)",
            format!("/spaces/{SPACE_SLUG}"),
            seeded[0].title.clone(),
        ),
    ] {
        let url = format!("{base}{path}");
        let body = get_page(&client, &url, cookie_name, &token, &must_hold).await?;
        eprintln!(
            "checked: {url} answers 200 with a seeded title, {} bytes",
            body.len()
        );
        targets.push(Target {
            label: label.to_string(),
            kind: Kind::Page,
            posts: 0,
            url,
            bytes: body.len(),
            gzip: false,
            samples: Vec::new(),
        });
        copies.push((label.to_string(), web::Bytes::from(body)));
    }

    let served: Vec<(usize, web::Bytes)> =
        copies.iter().map(|(_, b)| b.clone()).enumerate().collect();
    let hello = HttpServer::new(move || {
        let mut app = App::new().route(
            "/",
            web::get().to(|| async { HttpResponse::Ok().body("Hello world!") }),
        );
        for (n, body) in &served {
            let body = body.clone();
            app = app.route(
                &format!("/bytes/{n}"),
                web::get().to(move || {
                    let body = body.clone();
                    async move { HttpResponse::Ok().body(body) }
                }),
            );
        }
        app
    })
    .workers(workers)
    .bind("127.0.0.1:0")?;
    let hello_addr = *hello.addrs().first().context("hello address")?;
    tokio::spawn(hello.run());
    let mut baselines = vec![Target {
        label: "hello world (same process)".into(),
        kind: Kind::Hello,
        posts: 0,
        url: format!("http://{hello_addr}/"),
        bytes: "Hello world!".len(),
        gzip: false,
        samples: Vec::new(),
    }];
    for (n, (what, body)) in copies.iter().enumerate() {
        baselines.push(Target {
            label: format!("hello-world handler answering the bytes of: {what}"),
            kind: Kind::Bytes,
            posts: 0,
            url: format!("http://{hello_addr}/bytes/{n}"),
            bytes: body.len(),
            gzip: false,
            samples: Vec::new(),
        });
    }
    baselines.append(&mut targets);
    let mut targets = baselines;
    // For profiling one endpoint: `PAGE_BENCH_ONLY=space` measures the hello-world and the
    // targets whose label holds the text.
    if let Ok(only) = std::env::var("PAGE_BENCH_ONLY") {
        targets.retain(|t| t.kind == Kind::Hello || t.label.contains(&only));
    }

    eprintln!(
        "measuring {} targets, {rounds} rounds of `{}` each, order rotated every round",
        targets.len(),
        load.describe()
    );
    for round in 0..rounds {
        // A fresh sign-in each round: access tokens live 15 minutes.
        let token = roundtable_bench::sign_in(&client, &base).await?;
        let bearer = format!("Authorization: Bearer {token}");
        let cookie = format!("Cookie: {cookie_name}={token}");
        let n = targets.len();
        for k in 0..n {
            let target = &mut targets[(k + round) % n];
            let mut headers: Vec<&str> = match target.kind {
                Kind::Hello | Kind::Bytes => vec![],
                Kind::Json => vec![bearer.as_str()],
                Kind::Html | Kind::Page => vec![cookie.as_str()],
            };
            if target.gzip {
                headers.push(roundtable_bench::BROWSER_ENCODINGS);
            }
            let sample = wrk::run(&target.url, &headers, load).await?;
            eprintln!(
                "round {}: {}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                round + 1,
                target.label,
                sample.requests_per_sec,
                sample.p50_ms,
                sample.p99_ms
            );
            target.samples.push(sample);
        }
    }

    report(&targets, &seeded, rounds, load);
    Ok(())
}

/// The page must answer 200 with HTML holding `must_hold` (escaped as askama writes it), for
/// the cookie alone (no bearer token), before anything is measured. Returns the page.
async fn get_page(
    client: &reqwest::Client,
    url: &str,
    cookie_name: &str,
    token: &str,
    must_hold: &str,
) -> anyhow::Result<String> {
    let res = client
        .get(url)
        .header("Cookie", format!("{cookie_name}={token}"))
        .send()
        .await?;
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.text().await?;
    if status != 200 {
        bail!(
            "GET {url} with cookie {cookie_name} answered {status} (location {location:?}), \
             not 200: the page is not signed in or not there; nothing measured.\n{}",
            body.chars().take(2000).collect::<String>()
        );
    }
    if !content_type.starts_with("text/html") {
        bail!("GET {url} answered {content_type:?}, not HTML");
    }
    if !body.contains(&escape_html(must_hold)) {
        bail!(
            "GET {url} answered 200 but without {must_hold:?}; nothing measured.\n{}",
            body.chars().take(2000).collect::<String>()
        );
    }
    Ok(body)
}

/// The answer to `url` asked for as a browser asks (gzip taken), which must be gzip-encoded and
/// hold exactly `plain`, the answer without it. Returns the encoded bytes.
async fn get_gzip(
    client: &reqwest::Client,
    url: &str,
    (name, value): (&str, String),
    plain: &str,
) -> anyhow::Result<web::Bytes> {
    use std::io::Read;
    let (encoding_name, encodings) = roundtable_bench::BROWSER_ENCODINGS
        .split_once(": ")
        .context("a header line")?;
    let res = client
        .get(url)
        .header(name, value)
        .header(encoding_name, encodings)
        .send()
        .await?;
    let status = res.status();
    let encoding = res
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.bytes().await?;
    if status != 200 || encoding != "gzip" {
        bail!("GET {url} asking for gzip answered {status}, Content-Encoding {encoding:?}");
    }
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut decoded)
        .with_context(|| format!("GET {url}: the gzip answer does not decode"))?;
    if decoded != plain {
        bail!("GET {url}: the gzip answer decodes to other bytes than the plain answer");
    }
    eprintln!(
        "checked: {url} gzip-encoded is {} bytes for {} and decodes to the same",
        body.len(),
        plain.len()
    );
    Ok(body)
}

/// The thread page must hold the thread's title and its posts. Returns the page.
async fn check_thread_page(
    client: &reqwest::Client,
    url: &str,
    cookie_name: &str,
    token: &str,
    t: &Seeded,
) -> anyhow::Result<String> {
    let body = get_page(client, url, cookie_name, token, &t.title).await?;
    let shown = body.matches("<article class=\"rt-post").count();
    let shown_levels = roundtable::pages::tree::SHOWN_LEVELS;
    let expected: usize = t.depths.iter().take(shown_levels + 1).sum();
    if shown == 0 {
        bail!("GET {url} shows no posts");
    }
    eprintln!(
        "checked: {url} answers 200 with the title and {shown} of {} posts \
         ({expected} at depth ≤ {shown_levels}; deeper ones continue on branch pages), {} bytes",
        t.posts,
        body.len()
    );
    if shown != expected {
        eprintln!("warning: expected the page to show {expected} posts, it shows {shown}");
    }
    Ok(body)
}

/// The title as askama writes it into the page.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn report(targets: &[Target], seeded: &[Seeded], rounds: usize, load: Load) {
    let hello = &targets[0];
    let hello_m = medians(&hello.samples);
    println!();
    for t in seeded {
        let depth: Vec<String> = t
            .depths
            .iter()
            .enumerate()
            .skip(1)
            .map(|(d, n)| format!("{d}:{n}"))
            .collect();
        println!(
            "thread {} ({} posts, \"{}\"): replies per depth {}",
            t.id,
            t.posts,
            t.title,
            depth.join(" ")
        );
    }
    println!();
    println!(
        "SQLite unless ROUNDTABLE__DATABASE__URL says otherwise; `{}`; medians of {rounds} rounds",
        load.describe()
    );
    println!();
    println!(
        "| endpoint | body bytes | req/s | p50 ms | p99 ms | req/s ÷ hello | p99 ÷ hello | req/s ÷ hello, per round |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for t in targets {
        let m = medians(&t.samples);
        let per_round: Vec<String> = t
            .samples
            .iter()
            .zip(&hello.samples)
            .map(|(s, h)| format!("{:.4}", s.requests_per_sec / h.requests_per_sec))
            .collect();
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {} | {} |",
            t.label,
            t.bytes,
            m.requests_per_sec,
            m.p50_ms,
            m.p99_ms,
            if t.kind == Kind::Hello {
                "1".to_string()
            } else {
                format!("{:.4}", m.requests_per_sec / hello_m.requests_per_sec)
            },
            if t.kind == Kind::Hello {
                "1".to_string()
            } else {
                format!("{:.1}x", m.p99_ms / hello_m.p99_ms)
            },
            per_round.join(", ")
        );
    }
    println!();
    for size in SIZES {
        let find = |kind: Kind| {
            targets
                .iter()
                .find(|t| t.kind == kind && t.posts == size)
                .map(|t| (medians(&t.samples), &t.samples))
        };
        if let (Some((json, json_s)), Some((html, html_s))) = (find(Kind::Json), find(Kind::Html)) {
            let per_round: Vec<String> = html_s
                .iter()
                .zip(json_s)
                .map(|(h, j)| format!("{:.2}", h.requests_per_sec / j.requests_per_sec))
                .collect();
            println!(
                "{size} posts: page ÷ JSON: req/s {:.2} (per round {}), p99 {:.2}x",
                html.requests_per_sec / json.requests_per_sec,
                per_round.join(", "),
                html.p99_ms / json.p99_ms
            );
        }
    }
}

/// A small deterministic generator (xorshift64), so every run seeds the same trees.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The parent (index into the thread's posts, 0 the opening post) of each of `n - 1` replies.
fn reply_tree(n: usize, rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    let mut parent = vec![0usize; n];
    let mut depth = vec![0usize; n];
    for i in 1..n {
        let roll = rng.below(100);
        let mut p = if roll < 40 {
            0
        } else if roll < 65 {
            i - 1
        } else {
            rng.below(i)
        };
        while depth[p] >= MAX_DEPTH {
            p = parent[p];
        }
        parent[i] = p;
        depth[i] = depth[p] + 1;
    }
    (parent, depth)
}

/// The reader (the benchmark's chief officer, in "IT & Digital"), six more authors from three
/// more organisations, and one thread of each size in `SIZES`, bodies and titles from `docs`.
async fn seed(db: &DatabaseConnection, docs: &[Doc]) -> anyhow::Result<Vec<Seeded>> {
    let now = chrono::Utc::now();
    let (reader_id, space_id) =
        roundtable_bench::user_and_space(db, SPACE_SLUG, "IT & Digital").await?;
    let mut authors = vec![reader_id];
    let orgs = [
        ("Essex Police", OrgKind::Force, Role::ChiefOfficer),
        ("Home Office", OrgKind::NationalBody, Role::Staff),
        ("Police Digital Service", OrgKind::NationalBody, Role::Staff),
    ];
    for (k, (name, kind, role)) in orgs.iter().enumerate() {
        let org = accounts::add_organisation(db, name, *kind, now).await?;
        for j in 0..2 {
            let email = Email::parse(&format!("author{k}{j}@bench.example"))?;
            let user = accounts::add_user(
                db,
                NewUser {
                    email: &email,
                    display_name: &format!("Author {k}{j}"),
                    role: *role,
                    organisation_id: org.id,
                    job_title: "Head of Digital",
                    password: None,
                },
                now,
            )
            .await?;
            authors.push(user.id);
        }
    }

    let body = |text: &str| {
        if text.trim().is_empty() {
            return None;
        }
        RenderedBody::from_markdown(text, 100_000).ok()
    };
    let mut next_doc = 0usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seeded = Vec::new();
    for size in SIZES {
        let (title, tags) = next_title(docs, &mut next_doc)?;
        let mut bodies = Vec::with_capacity(size);
        while bodies.len() < size {
            let d = docs.get(next_doc).context("corpus too small")?;
            next_doc += 1;
            if let Some(b) = body(&d.text) {
                bodies.push(b);
            }
        }
        let (parent, depth) = reply_tree(size, &mut rng);
        // Posts a minute apart, the last a minute ago.
        let at = |i: usize| now - chrono::Duration::minutes((size - i) as i64);

        let txn = db.begin().await?;
        let mut bodies = bodies.into_iter();
        let (thread_id, opening) = threads::start(
            &txn,
            space_id,
            authors[0],
            threads::NewThread {
                title: Title::parse(&title, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
                body: bodies.next().context("a body")?,
                tags: TagList::parse(&tags, 10).unwrap_or_default(),
                marking: Marking::Official,
            },
            at(0),
        )
        .await?;
        let (thread, opening) =
            roundtable_bench::thread_and_opening(&txn, thread_id, opening).await?;
        let mut made = vec![opening];
        for (i, b) in bodies.enumerate().map(|(i, b)| (i + 1, b)) {
            let author = authors[rng.below(authors.len())];
            let p = made[parent[i]].clone();
            let post = posts::reply(&txn, &thread, &p, author, &b, at(i)).await?;
            made.push(post);
        }
        txn.commit().await?;
        let mut depths = vec![0usize; MAX_DEPTH + 1];
        for d in depth {
            depths[d] += 1;
        }
        seeded.push(Seeded {
            id: thread_id,
            title,
            posts: size,
            depths,
        });
    }
    // Older, two-post threads, an hour apart, so the measured threads stay the most recent.
    for k in 0..SMALL_THREADS {
        let (title, tags) = next_title(docs, &mut next_doc)?;
        let mut bodies = Vec::with_capacity(2);
        while bodies.len() < 2 {
            let d = docs.get(next_doc).context("corpus too small")?;
            next_doc += 1;
            if let Some(b) = body(&d.text) {
                bodies.push(b);
            }
        }
        let at = now - chrono::Duration::hours(k as i64 + 1);
        let mut bodies = bodies.into_iter();
        let txn = db.begin().await?;
        let (thread_id, opening) = threads::start(
            &txn,
            space_id,
            authors[k % authors.len()],
            threads::NewThread {
                title: Title::parse(&title, 200).map_err(|e| anyhow::anyhow!("{e}"))?,
                body: bodies.next().context("a body")?,
                tags: TagList::parse(&tags, 10).unwrap_or_default(),
                marking: Marking::Official,
            },
            at,
        )
        .await?;
        let (thread, opening) =
            roundtable_bench::thread_and_opening(&txn, thread_id, opening).await?;
        let reply = bodies.next().context("a body")?;
        let author = authors[(k + 1) % authors.len()];
        posts::reply(&txn, &thread, &opening, author, &reply, at).await?;
        txn.commit().await?;
    }
    Ok(seeded)
}

/// The next title of the corpus as people write them (no markup characters, not too long),
/// with its tags.
fn next_title(docs: &[Doc], next_doc: &mut usize) -> anyhow::Result<(String, Vec<String>)> {
    loop {
        let d = docs.get(*next_doc).context("corpus too small")?;
        *next_doc += 1;
        let n = d.title.chars().count();
        if (20..=120).contains(&n) && !d.title.contains(['&', '<', '>', '"', '\'']) {
            let tags = d
                .metadata
                .as_ref()
                .map(|m| m.tags.clone())
                .unwrap_or_default();
            return Ok((d.title.clone(), tags));
        }
    }
}
