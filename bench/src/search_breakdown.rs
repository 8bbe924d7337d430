//! Where a search's time goes, in-process on one index: raw tantivy against our search with
//! parts of the query or of the answer taken away, each query in turn, medians per variant.
//! Divides the gap measured by `search-vs-tantivy` between the query's shape, the grouping
//! and facets, and building the page of hits (stored documents, snippets).
//!
//! Run: `cargo run --release -p roundtable-bench --bin search-breakdown -- CORPUS QUERIES
//! [ROUNDS]`; `BENCH_DATA_DIR=DIR` reuses the database and index `search-vs-tantivy` seeded.
use anyhow::Context;
use roundtable::settings::Settings;
use roundtable_bench::raw_tantivy::Raw;
use roundtable_bench::webmasters::{lines, seed_or_reuse, use_data_dir, Doc, Query};
use roundtable_bench::{median, percentile};
use search_index::{IndexStore, Ranking, SearchIndex, SearchRequest};
use std::time::Instant;

const USAGE: &str = "usage: search-breakdown CORPUS QUERIES [ROUNDS]";

/// One way of running a query, timed.
type Variant<'a> = Box<dyn Fn(&str) -> anyhow::Result<()> + 'a>;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args.first().context(USAGE)?.clone();
    let queries = args.get(1).context(USAGE)?.clone();
    let rounds: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let data = tempfile::tempdir()?;
    use_data_dir(data.path());
    let queries: Vec<String> = lines::<Query>(&queries)?
        .into_iter()
        .take(50)
        .map(|q| search_index::query::escape(&q.text))
        .collect();
    let runtime = tokio::runtime::Runtime::new()?;
    let (space, dir) = runtime.block_on(async {
        let docs: Vec<Doc> = lines(&corpus)?;
        let settings = Settings::load(None)?;
        let db = roundtable::db::connect(&settings).await?;
        roundtable::db::migrate(&db).await?;
        let (space, _) = seed_or_reuse(&db, &docs).await?;
        let store = IndexStore::new(&settings.search.index_dir);
        if store.current().is_none() {
            roundtable::search::indexer::rebuild(&db, &store, |_| {}).await?;
        }
        anyhow::Ok((space, store.current().context("no current index")?))
    })?;
    let raw = Raw::open(&dir)?;
    let ours = |ranking: Ranking| -> anyhow::Result<SearchIndex> {
        Ok(SearchIndex::open_read_only(&dir)?.with_ranking(ranking))
    };
    let plain = Ranking {
        dismax: false,
        all_terms_bonus: 0.0,
        ..Ranking::default()
    };
    let variants: Vec<(&str, Variant)> = vec![
        (
            "raw tantivy: TopDocs 20 + terms aggregations",
            Box::new(|q: &str| raw.search(q).map(|_| ())),
        ),
        ("ours, whole search (ranking as shipped)", {
            let index = ours(Ranking::default())?;
            Box::new(move |q: &str| {
                index.search(&SearchRequest::new(q, vec![space]))?;
                Ok(())
            })
        }),
        ("ours, whole search, a page of one hit", {
            let index = ours(Ranking::default())?;
            Box::new(move |q: &str| {
                let one = SearchRequest {
                    per_page: 1,
                    ..SearchRequest::new(q, vec![space])
                };
                index.search(&one)?;
                Ok(())
            })
        }),
        (
            "ours, ranked threads only (no facets, stored documents or snippets)",
            {
                let index = ours(Ranking::default())?;
                Box::new(move |q: &str| {
                    index.ranked_threads(q, &[space], 20)?;
                    Ok(())
                })
            },
        ),
        ("ours, ranked threads, no all-words bonus", {
            let index = ours(Ranking {
                all_terms_bonus: 0.0,
                ..Ranking::default()
            })?;
            Box::new(move |q: &str| {
                index.ranked_threads(q, &[space], 20)?;
                Ok(())
            })
        }),
        (
            "ours, ranked threads, sum of fields (no dismax), no bonus",
            {
                let index = ours(plain.clone())?;
                Box::new(move |q: &str| {
                    index.ranked_threads(q, &[space], 20)?;
                    Ok(())
                })
            },
        ),
        ("ours, whole search, no dismax, no bonus", {
            let index = ours(plain.clone())?;
            Box::new(move |q: &str| {
                index.search(&SearchRequest::new(q, vec![space]))?;
                Ok(())
            })
        }),
    ];
    let mut timings: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for q in &queries {
            for (i, (_, run)) in variants.iter().enumerate() {
                let t = Instant::now();
                run(q)?;
                timings[i].push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let raw_p50 = median(timings[0].clone());
    println!(
        "{} queries × {rounds} rounds, in-process, one thread",
        queries.len()
    );
    println!("| variant | p50 ms | p99 ms | p50 ÷ raw |");
    println!("|---|---:|---:|---:|");
    for ((name, _), mut t) in variants.iter().zip(timings) {
        t.sort_by(|a, b| a.total_cmp(b));
        let p50 = percentile(&t, 0.5);
        println!(
            "| {name} | {p50:.2} | {:.2} | {:.2} |",
            percentile(&t, 0.99),
            p50 / raw_p50
        );
    }
    Ok(())
}
