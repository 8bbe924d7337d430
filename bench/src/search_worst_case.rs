//! The slowest searches one signed-in person can ask for, at 100k+ posts, through the HTTP API,
//! each against ordinary two-word searches measured in the same run.
//!
//! Run: `cargo run --release -p roundtable-bench --bin search-worst-case -- CORPUS [RUNS]`
//! with the BEIR webmasters corpus (see `webmasters.rs`; `BENCH_DATA_DIR` keeps the seeded
//! database between runs).
use anyhow::Context;
use roundtable::settings::Settings;
use roundtable_bench::median;
use roundtable_bench::webmasters::{lines, seed_or_reuse, use_data_dir, Doc};
use std::collections::BTreeSet;
use std::time::Instant;

const ORDINARY: &[&str] = &[
    "google analytics",
    "domain name",
    "htaccess redirect",
    "page speed",
    "duplicate content",
    "seo ranking",
    "email server",
    "adsense account",
];

/// Frequent-looking words of the corpus titles, distinct, longest first within the first
/// thousand titles: words a hostile query would pick to match as much as possible.
fn corpus_words(docs: &[Doc], n: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut words = Vec::new();
    for d in docs.iter().take(1000) {
        for w in d.title.split(|c: char| !c.is_ascii_alphabetic()) {
            let w = w.to_lowercase();
            if w.len() >= 4 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
    }
    words.truncate(n);
    words
}

/// Joins `parts` with `sep` up to the 1000-character query limit.
fn up_to_limit(parts: impl Iterator<Item = String>, sep: &str) -> String {
    let mut q = String::new();
    for p in parts {
        let next = if q.is_empty() {
            p
        } else {
            format!("{q}{sep}{p}")
        };
        if next.chars().count() > 1000 {
            break;
        }
        q = next;
    }
    q
}

fn hostile(docs: &[Doc]) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let words = corpus_words(docs, 400);
    let two_letters: Vec<String> = ('a'..='z')
        .flat_map(|a| ('a'..='z').map(move |b| format!("{a}{b}*")))
        .take(250)
        .collect();
    let q = |s: String| vec![("q", s)];
    vec![
        ("4 prefixes of 3 letters", q("sit* pag* goo* ser*".into())),
        (
            "4 prefixes, title only",
            q("in:title sit* pag* goo* ser*".into()),
        ),
        (
            "OR of words, 1000 chars",
            q(up_to_limit(words.iter().cloned(), " OR ")),
        ),
        (
            "words, 1000 chars",
            q(up_to_limit(words.iter().cloned(), " ")),
        ),
        (
            "two-word phrases, 1000 chars",
            q(up_to_limit(
                words.chunks(2).map(|w| format!("\"{}\"", w.join(" "))),
                " ",
            )),
        ),
        (
            "one word, many exclusions",
            q(format!(
                "site {}",
                up_to_limit(words.iter().map(|w| format!("-{w}")), " ")
            )
            .chars()
            .take(1000)
            .collect()),
        ),
        (
            "a common word, page 1000 of 100",
            vec![
                ("q", "site".into()),
                ("page", "1000".into()),
                ("per_page", "100".into()),
            ],
        ),
        ("5 prefixes (refused)", q("sit* pag* goo* ser* web*".into())),
        (
            "250 two-letter prefixes (refused)",
            q(up_to_limit(two_letters.into_iter(), " ")),
        ),
    ]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args
        .first()
        .context("usage: search-worst-case CORPUS [RUNS]")?
        .clone();
    let runs: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(7);
    let data = tempfile::tempdir()?;
    use_data_dir(data.path());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(&corpus, runs))
}

async fn run(corpus: &str, runs: usize) -> anyhow::Result<()> {
    let docs: Vec<Doc> = lines(corpus)?;
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    let (_, posts) = seed_or_reuse(&db, &docs).await?;
    let app = roundtable::startup::Application::build(settings.clone()).await?;
    let addr = app.addr();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = roundtable_bench::sign_in(&client, &format!("http://{addr}")).await?;
    let search = |params: Vec<(&'static str, String)>| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let t = Instant::now();
            let res = client
                .get(format!("http://{addr}/api/v1/search"))
                .query(&params)
                .bearer_auth(&token)
                .send()
                .await?;
            let status = res.status().as_u16();
            let _ = res.bytes().await?;
            anyhow::Ok((status, t.elapsed().as_secs_f64() * 1000.0))
        }
    };
    // Warm the index's caches once, so every query is timed warm.
    for q in ORDINARY {
        search(vec![("q", q.to_string())]).await?;
    }
    let mut ordinary = Vec::new();
    for _ in 0..runs {
        for q in ORDINARY {
            let (status, ms) = search(vec![("q", q.to_string())]).await?;
            anyhow::ensure!(status == 200, "{q}: {status}");
            ordinary.push(ms);
        }
    }
    let baseline = median(ordinary);
    println!(
        "posts: {posts}; runs per query: {runs}; baseline: ordinary two-word searches, \
         median {baseline:.2} ms"
    );
    println!();
    println!("| query | status | median ms | worst ms | worst / baseline |");
    println!("|---|---:|---:|---:|---:|");
    let mut worst_of_all: f64 = 0.0;
    for (name, params) in hostile(&docs) {
        let mut times = Vec::new();
        let mut status = 0;
        for _ in 0..runs {
            let (s, ms) = search(params.clone()).await?;
            status = s;
            times.push(ms);
        }
        let worst = times.iter().cloned().fold(0.0, f64::max);
        worst_of_all = worst_of_all.max(worst);
        println!(
            "| {name} | {status} | {:.2} | {worst:.2} | {:.1} |",
            median(times),
            worst / baseline
        );
    }
    println!();
    println!(
        "worst of all: {worst_of_all:.2} ms ({:.1} × the ordinary median)",
        worst_of_all / baseline
    );
    // One person firing the worst query many times at once: beyond two at a time, 429.
    let params = vec![("q", "sit* pag* goo* ser*".to_string())];
    let all = futures_util::future::join_all((0..8).map(|_| search(params.clone()))).await;
    let refused = all.iter().filter(|r| matches!(r, Ok((429, _)))).count();
    println!("8 at once by one person: {refused} answered 429");
    Ok(())
}
