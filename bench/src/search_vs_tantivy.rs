//! Search against raw tantivy, on the same index, queries and machine, in the same run:
//!
//! - latency: each query through `GET /api/v1/search` (signed in, the readable-space clause,
//!   grouping by thread, facets, snippets, each hit read back from the database) against a
//!   plain tantivy search of the same index: the query text parsed by tantivy's `QueryParser`
//!   over the title and body fields, `TopDocs` top 20, plus the same facets (space, tag,
//!   organisation, type, year) counted by tantivy's terms aggregation over every match;
//! - throughput: the search page `GET /search?q=…` (HTML, cookie) under `wrk`, against the
//!   raw search of the same query run in a loop on as many threads as `wrk` uses.
//!
//! Run: `cargo run --release -p roundtable-bench --bin search-vs-tantivy -- CORPUS QUERIES
//! [ROUNDS] [SECONDS]` (needs `wrk`). `BENCH_DATA_DIR=DIR` keeps the seeded database and its
//! index between runs. The per-person limit on searches at once is lifted for the run, as
//! every `wrk` connection is the same person.
use anyhow::Context;
use roundtable::settings::Settings;
use roundtable_bench::median;
use roundtable_bench::raw_tantivy::Raw;
use roundtable_bench::webmasters::{lines, seed_or_reuse, use_data_dir, Doc, Query};
use roundtable_bench::wrk::{self, Load};
use search_index::IndexStore;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: search-vs-tantivy CORPUS QUERIES [ROUNDS] [SECONDS]";
const WRK_THREADS: usize = 2;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args.first().context(USAGE)?.clone();
    let queries = args.get(1).context(USAGE)?.clone();
    let rounds: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let seconds: u64 = args.get(3).map(|a| a.parse()).transpose()?.unwrap_or(10);
    let data = tempfile::tempdir()?;
    use_data_dir(data.path());
    // One signed-in person drives all of wrk's connections: lift the per-person limit on
    // searches at once (2 by default), which would otherwise answer most of them 429.
    std::env::set_var("ROUNDTABLE__SEARCH__MAX_CONCURRENT_PER_USER", "64");
    wrk::require_wrk()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, &queries, rounds, seconds))
}

/// Runs the raw search of `text` on `threads` threads for `seconds`; returns searches a
/// second.
fn raw_throughput(raw: &Arc<Raw>, text: &str, threads: usize, seconds: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (raw, stop, done, text) =
                (raw.clone(), stop.clone(), done.clone(), text.to_string());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if raw.search(&text).is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn run(corpus: &str, queries: &str, rounds: usize, seconds: u64) -> anyhow::Result<()> {
    let docs: Vec<Doc> = lines(corpus)?;
    let queries: Vec<String> = lines::<Query>(queries)?
        .into_iter()
        .take(50)
        .map(|q| search_index::query::escape(&q.text))
        .collect();
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let (_, posts) = seed_or_reuse(&db, &docs).await?;
    let store = IndexStore::new(&settings.search.index_dir);
    if store.current().is_none() {
        roundtable::search::indexer::rebuild(&db, &store, |_| {}).await?;
    }
    let app = roundtable::startup::Application::build(settings.clone()).await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = roundtable_bench::sign_in(&client, &base).await?;
    let raw = Arc::new(Raw::open(&store.current().context("no current index")?)?);

    // Latency: each query once per round, ours and raw in turn.
    let latencies =
        roundtable_bench::paired_search_latencies(&client, &base, &token, &raw, &queries, rounds)
            .await?;

    // Throughput: the search page under wrk against the raw search on as many threads.
    let probe = &queries[0];
    let page =
        reqwest::Url::parse_with_params(&format!("{base}/search"), [("q", probe)])?.to_string();
    let res = client
        .get(&page)
        .header("Cookie", format!("rt_access={token}"))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success() && res.text().await?.contains("<html"),
        "the search page did not answer with a page"
    );
    let load = Load {
        threads: WRK_THREADS,
        connections: 8,
        seconds,
    };
    let cookie = format!("Cookie: rt_access={token}");
    let (mut page_rates, mut raw_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let ours = wrk::run(&page, &[cookie.as_str()], load).await?;
        let raw_ref = raw.clone();
        let text = probe.clone();
        let plain = tokio::task::spawn_blocking(move || {
            raw_throughput(&raw_ref, &text, WRK_THREADS, seconds)
        })
        .await?;
        eprintln!(
            "round {round}: search page {:.1} req/s (p50 {:.1} ms), raw {plain:.1} searches/s",
            ours.requests_per_sec, ours.p50_ms
        );
        ratios.push(ours.requests_per_sec / plain);
        page_rates.push(ours.requests_per_sec);
        raw_rates.push(plain);
    }

    println!(
        "posts: {posts}; queries: {} (BEIR webmasters dev, escaped), once and then {rounds} rounds more; throughput query: {probe:?}, {} per round",
        queries.len(),
        load.describe()
    );
    println!();
    println!("| measure | ours | raw tantivy | ours ÷ raw |");
    println!("|---|---:|---:|---:|");
    // Ours is `GET /api/v1/search`; raw is TopDocs 20 + terms aggregations.
    for (what, ours, raw) in latencies.percentiles() {
        println!(
            "| search {what}, ms | {ours:.2} | {raw:.2} | {:.2} |",
            ours / raw
        );
    }
    println!(
        "| throughput, searches/s (search page under wrk vs raw on {WRK_THREADS} threads; medians of {rounds}) | {:.1} | {:.1} | {:.2} (median of per-round ratios {:.2}) |",
        median(page_rates.clone()),
        median(raw_rates.clone()),
        median(page_rates) / median(raw_rates),
        median(ratios)
    );
    Ok(())
}
