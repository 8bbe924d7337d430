//! Does a hostile poster slow anyone else down? An ordinary reader fetches a thread over and
//! over, first alone (the baseline) and then while two clients keep posting every shape of the
//! hostile Markdown corpus at the maximum size; both measured in the same run, several rounds.
//!
//! Run: `cargo run --release -p roundtable-bench --bin render-contention -- [ROUNDS] [READS]`
use anyhow::Context;
use roundtable::markdown::hostile;
use roundtable::settings::Settings;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let reads: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(300);
    let data = tempfile::tempdir()?;
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(rounds, reads))
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or_default()))
    }

    /// One timed read of the thread, in milliseconds.
    async fn read(&self, thread: i64) -> anyhow::Result<f64> {
        let t = Instant::now();
        let res = self
            .client
            .get(format!("{}/api/v1/threads/{thread}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "read: {}", res.status());
        let _ = res.bytes().await?;
        Ok(t.elapsed().as_secs_f64() * 1000.0)
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[(((v.len() - 1) as f64) * p).round() as usize]
}

async fn reads(api: &Api, thread: i64, n: usize) -> anyhow::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(api.read(thread).await?);
    }
    Ok(out)
}

async fn run(rounds: usize, n: usize) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    roundtable_bench::user_and_space(&db, "it", "IT").await?;
    let app = roundtable::startup::Application::build(settings).await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = roundtable_bench::sign_in(&client, &base).await?;
    let api = Arc::new(Api {
        client,
        base,
        token,
    });
    let start = |title: &'static str| {
        let api = api.clone();
        async move {
            let (_, t) = api
                .post(
                    "/api/v1/spaces/it/threads",
                    serde_json::json!({"title": title, "body": "An ordinary opening post.", "tags": []}),
                )
                .await?;
            t["id"].as_i64().context("thread")
        }
    };
    let read_thread = start("Read while others post").await?;
    let target = start("Where hostile replies go").await?;
    for i in 0..20 {
        api.post(
            &format!("/api/v1/threads/{read_thread}/posts"),
            serde_json::json!({"body": format!("Reply {i}: **ordinary** text with a [link](https://example.org).")}),
        )
        .await?;
    }
    let corpus = Arc::new(hostile::corpus(100_000));
    println!(
        "reads per phase: {n}; rounds: {rounds}; hostile shapes: {}; two hostile posters",
        corpus.len()
    );
    println!();
    println!("| round | alone p50 | alone p99 | alone max | contended p50 | contended p99 | contended max | posts (refused) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let (mut added_p50, mut added_p99, mut added_max) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let mut alone = reads(&api, read_thread, n).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let (posted, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let posters: Vec<_> = (0..2)
            .map(|p| {
                let (api, corpus, stop) = (api.clone(), corpus.clone(), stop.clone());
                let (posted, refused) = (posted.clone(), refused.clone());
                tokio::spawn(async move {
                    let mut i = p;
                    while !stop.load(Ordering::Relaxed) {
                        let (_, body) = &corpus[i % corpus.len()];
                        let (status, _) = api
                            .post(
                                &format!("/api/v1/threads/{target}/posts"),
                                serde_json::json!({"body": body}),
                            )
                            .await?;
                        anyhow::ensure!(status == 201 || status == 422, "hostile post: {status}");
                        posted.fetch_add(1, Ordering::Relaxed);
                        if status == 422 {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        i += 2;
                    }
                    anyhow::Ok(())
                })
            })
            .collect();
        let mut contended = reads(&api, read_thread, n).await?;
        stop.store(true, Ordering::Relaxed);
        for p in posters {
            p.await??;
        }
        let a = [
            percentile(&mut alone, 0.5),
            percentile(&mut alone, 0.99),
            percentile(&mut alone, 1.0),
        ];
        let c = [
            percentile(&mut contended, 0.5),
            percentile(&mut contended, 0.99),
            percentile(&mut contended, 1.0),
        ];
        println!(
            "| {round} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} ({}) |",
            a[0],
            a[1],
            a[2],
            c[0],
            c[1],
            c[2],
            posted.load(Ordering::Relaxed),
            refused.load(Ordering::Relaxed)
        );
        added_p50.push(c[0] - a[0]);
        added_p99.push(c[1] - a[1]);
        added_max.push(c[2] - a[2]);
    }
    println!();
    println!(
        "added by the hostile posters, median over rounds: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&mut added_p50, 0.5),
        percentile(&mut added_p99, 0.5),
        percentile(&mut added_max, 0.5)
    );
    Ok(())
}
