//! Search benchmarks over 100k+ posts, each a ratio against a baseline in the same run:
//! 1. `reindex` (database → index) against indexing the same documents from memory;
//! 2. search through the HTTP API against the same queries on the index in-process;
//! 3. time from a write's response to the post being findable, over many writes.
//!
//! Run: `cargo run --release -p roundtable-bench --bin search-bench -- CORPUS QUERIES [ROUNDS] [WRITES]`
//! with the BEIR webmasters files: each corpus document becomes a thread, and five replies
//! are made of other documents' text, so 17,405 documents give 104,430 posts.
use anyhow::Context;
use roundtable::settings::Settings;
use roundtable_bench::median;
use roundtable_bench::webmasters::{lines, seed_or_reuse, use_data_dir, Doc, Query};
use search_index::{query::escape, IndexStore, SearchIndex, SearchRequest};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args
        .first()
        .context("usage: search-bench CORPUS QUERIES [ROUNDS] [WRITES]")?
        .clone();
    let queries = args
        .get(1)
        .context("usage: search-bench CORPUS QUERIES [ROUNDS] [WRITES]")?
        .clone();
    let rounds: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let writes: usize = args.get(3).map(|a| a.parse()).transpose()?.unwrap_or(1000);
    // BENCH_DATA_DIR keeps the seeded database between runs (seeding takes about a minute).
    let data = tempfile::tempdir()?;
    use_data_dir(data.path());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, &queries, rounds, writes))
}

async fn run(corpus: &str, queries: &str, rounds: usize, writes: usize) -> anyhow::Result<()> {
    let docs: Vec<Doc> = lines(corpus)?;
    let queries: Vec<String> = lines::<Query>(queries)?
        .into_iter()
        .take(50)
        .map(|q| escape(&q.text))
        .collect();
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let started = Instant::now();
    let (space_id, posts_made) = seed_or_reuse(&db, &docs).await?;
    eprintln!(
        "seeded {posts_made} posts in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // 1. Indexing throughput: reindex (database → index) vs the same documents from memory.
    let store = IndexStore::new(&settings.search.index_dir);
    let mut all_docs = Vec::new();
    let reading = Instant::now();
    let mut after = 0;
    loop {
        let batch = roundtable::search::documents::batch_after(&db, after, 1000).await?;
        let Some(last) = batch.last else { break };
        after = last;
        all_docs.extend(batch.documents);
    }
    eprintln!(
        "reading {} documents from the database: {:.2} s",
        all_docs.len(),
        reading.elapsed().as_secs_f64()
    );
    let (mut reindex_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let t = Instant::now();
        let rebuilt = roundtable::search::indexer::rebuild(&db, &store, |_| {}).await?;
        let reindex_rate = rebuilt.documents as f64 / t.elapsed().as_secs_f64();
        let raw_dir = tempfile::tempdir()?;
        let docs_ref = all_docs.clone();
        let t = Instant::now();
        let raw_count = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let index = SearchIndex::create(raw_dir.path(), None)?;
            for chunk in docs_ref.chunks(1000) {
                index.add_new(chunk)?;
            }
            index.commit(0)?;
            index.close()?;
            Ok(docs_ref.len())
        })
        .await??;
        let raw_rate = raw_count as f64 / t.elapsed().as_secs_f64();
        eprintln!("round {round}: reindex {reindex_rate:.0} docs/s, raw {raw_rate:.0} docs/s");
        reindex_rates.push(reindex_rate);
        raw_rates.push(raw_rate);
    }
    store.remove_others(&store.current().context("no current index")?);

    // 2. Search latency: HTTP API vs the same queries on the index in-process.
    let app = roundtable::startup::Application::build(settings.clone()).await?;
    let addr = app.addr();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = roundtable_bench::sign_in(&client, &format!("http://{addr}")).await?;
    let raw = SearchIndex::open_read_only(&store.current().context("no current index")?)?;
    let (mut http_ms, mut raw_ms) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for q in &queries {
            http_ms.push(
                roundtable_bench::timed_api_search(&client, &format!("http://{addr}"), &token, q)
                    .await?,
            );
            let t = Instant::now();
            raw.search(&SearchRequest::new(q, vec![space_id]))?;
            raw_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    http_ms.sort_by(|a, b| a.total_cmp(b));
    raw_ms.sort_by(|a, b| a.total_cmp(b));

    // 3. Write to findable: new threads at a steady pace; one poller looks for all outstanding.
    let mut outstanding: HashMap<i64, (String, Instant)> = HashMap::new();
    let mut latencies = Vec::new();
    let mut next_write = Instant::now();
    let mut written = 0;
    let deadline = Instant::now() + Duration::from_secs(600);
    while (written < writes || !outstanding.is_empty()) && Instant::now() < deadline {
        if written < writes && Instant::now() >= next_write && outstanding.len() < 40 {
            let word = format!("nrt{written}zq");
            let res: serde_json::Value = client
                .post(format!("http://{addr}/api/v1/spaces/webmasters/threads"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"title": format!("Fresh {word}"), "body": format!("Body {word}")}))
                .send()
                .await?
                .json()
                .await?;
            let id = res["id"].as_i64().context("thread created")?;
            outstanding.insert(id, (word, Instant::now()));
            written += 1;
            next_write += Duration::from_millis(50);
            continue;
        }
        if !outstanding.is_empty() {
            let q = outstanding
                .values()
                .map(|(w, _)| w.as_str())
                .collect::<Vec<_>>()
                .join(" OR ");
            let found: serde_json::Value = client
                .get(format!("http://{addr}/api/v1/search"))
                .query(&[("q", q.as_str()), ("per_page", "100")])
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            let now = Instant::now();
            for hit in found["hits"].as_array().into_iter().flatten() {
                if let Some((_, at)) = hit["thread_id"]
                    .as_i64()
                    .and_then(|id| outstanding.remove(&id))
                {
                    latencies.push(now.duration_since(at).as_secs_f64() * 1000.0);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort_by(|a, b| a.total_cmp(b));

    let paired = median(
        reindex_rates
            .iter()
            .zip(&raw_rates)
            .map(|(a, b)| a / b)
            .collect(),
    );
    let reindex = median(reindex_rates);
    let raw_rate = median(raw_rates);
    println!(
        "posts: {posts_made}; rounds: {rounds}; queries: {} (BEIR webmasters dev, escaped)",
        queries.len()
    );
    println!();
    println!("| measure | ours | baseline | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| indexing, docs/s (median of {rounds}): reindex vs raw in-memory | {reindex:.0} | {raw_rate:.0} | {:.2} (median of per-round ratios {paired:.2}) |",
        reindex / raw_rate
    );
    println!(
        "| search p50 ms: HTTP API vs in-process index | {:.2} | {:.2} | {:.2} |",
        percentile(&http_ms, 0.5),
        percentile(&raw_ms, 0.5),
        percentile(&http_ms, 0.5) / percentile(&raw_ms, 0.5)
    );
    println!(
        "| search p99 ms: HTTP API vs in-process index | {:.2} | {:.2} | {:.2} |",
        percentile(&http_ms, 0.99),
        percentile(&raw_ms, 0.99),
        percentile(&http_ms, 0.99) / percentile(&raw_ms, 0.99)
    );
    if latencies.is_empty() {
        println!("| write to findable | none found | | |");
    } else {
        println!(
            "| write to findable, ms ({} of {written} writes found) | median {:.0}, p99 {:.0} | | |",
            latencies.len(),
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        );
    }
    Ok(())
}
