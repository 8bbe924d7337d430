//! `render_bounded` on every hostile shape at the largest post size, against a baseline: plain
//! pulldown-cmark (`html::push_html`, no sanitising) on an ordinary post of the same size.
//!
//! `markdown-bench [RUNS] [MAX_CHARS]` (defaults 5 and 100000). Each render gets a 10 s
//! deadline, so the times are what the work costs, not where a deadline cut it off.
use pulldown_cmark::{html, Options, Parser};
use roundtable::markdown::{hostile, render_bounded, RenderPolicy};
use roundtable_bench::median;
use std::time::{Duration, Instant};

/// The goal for every shape, in a release build.
const GOAL_MS: f64 = 50.0;

struct Row {
    shape: String,
    outcome: String,
    median_ms: f64,
    worst_ms: f64,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let max_chars: usize = args
        .get(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    anyhow::ensure!(runs > 0, "RUNS must be at least 1");

    let policy = RenderPolicy::default();
    let mut rows: Vec<Row> = hostile::corpus(max_chars)
        .into_iter()
        .map(|(shape, body)| bounded(shape, &body, &policy, runs))
        .collect();
    let ordinary = hostile::ordinary(max_chars);
    let ordinary_row = bounded("(ordinary post)", &ordinary, &policy, runs);
    let baseline = median(time(runs, || plain_pulldown(&ordinary)));

    println!("render_bounded, {runs} runs per shape, bodies of up to {max_chars} characters\n");
    println!("| shape | outcome | median ms | worst ms |");
    println!("|---|---|--:|--:|");
    for row in rows.iter().chain([&ordinary_row]) {
        println!(
            "| {} | {} | {:.2} | {:.2} |",
            row.shape, row.outcome, row.median_ms, row.worst_ms
        );
    }
    rows.sort_by(|a, b| b.worst_ms.total_cmp(&a.worst_ms));
    let worst = &rows[0];
    println!(
        "\nbaseline: plain pulldown-cmark push_html, no sanitising, on the ordinary post \
         ({} characters): median {baseline:.2} ms",
        ordinary.chars().count()
    );
    println!(
        "worst shape: {} ({}), worst {:.2} ms = {:.1} × baseline; goal {GOAL_MS} ms: {}",
        worst.shape,
        worst.outcome,
        worst.worst_ms,
        worst.worst_ms / baseline,
        if worst.worst_ms < GOAL_MS {
            "met"
        } else {
            "MISSED"
        }
    );
    Ok(())
}

fn bounded(shape: &str, body: &str, policy: &RenderPolicy, runs: usize) -> Row {
    let deadline = || Instant::now() + Duration::from_secs(10);
    let outcome = match render_bounded(body, policy, deadline()) {
        Ok(_) => "rendered".to_string(),
        Err(refusal) => format!("refused: {refusal:?}"),
    };
    let times = time(runs, || render_bounded(body, policy, deadline()).is_ok());
    Row {
        shape: shape.to_string(),
        outcome,
        worst_ms: times.iter().copied().fold(0.0, f64::max),
        median_ms: median(times),
    }
}

fn plain_pulldown(source: &str) -> usize {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(source, options));
    out.len()
}

/// Milliseconds per run of `work`, `runs` times.
fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> Vec<f64> {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(work());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}
