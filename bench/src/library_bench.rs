//! Benchmark: text extraction throughput per file type, and how long an uploaded document
//! takes to be found by a word inside it.
//!
//! 1. Extraction: for each type, a file of about `MB` megabytes of the shared corpus's text is
//!    read by `roundtable extract-text` (the isolated child process the server runs: its own
//!    process, memory and CPU limits), median of `ROUNDS` runs, in MB of file per second. The
//!    baseline, in the same run: the same readers called in this process, without isolation.
//! 2. Upload to findable: through the running server, the time from sending an upload until
//!    a search for a word inside it finds it, median of `ROUNDS` uploads per type; the baseline
//!    is a reply's time from sending to findable (the indexer's commit interval, about 1 s).
//!
//! Run: `cargo build --release -p roundtable-server --bin roundtable && cargo run --release -p
//! roundtable-bench --bin library-bench -- [CORPUS] [MB] [ROUNDS]`. Defaults: the shared
//! webmasters corpus, 2 MB, 5 rounds.
use anyhow::{bail, Context};
use roundtable::library::extract;
use roundtable::library::file_type::{FileType, ALL as TYPES};
use roundtable::settings::Settings;
use roundtable_bench::webmasters::{self, Doc};
use roundtable_bench::{median, sign_in, user_and_space};
use roundtable_tests::fixtures;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEFAULT_CORPUS: &str = "../shared/data/cqadupstack-webmasters/corpus.jsonl";
const MAX_CHARS: usize = 2_000_000;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let corpus = args.next().unwrap_or_else(|| DEFAULT_CORPUS.to_string());
    let mb: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    if rounds == 0 {
        bail!("at least one round");
    }
    let extractor = std::env::current_exe()?
        .parent()
        .context("the benchmark's folder")?
        .join("roundtable");
    if !extractor.is_file() {
        bail!(
            "{} is missing: build it first (cargo build --release -p roundtable-server --bin roundtable)",
            extractor.display()
        );
    }
    let data = tempfile::tempdir()?;
    std::env::set_var("ROUNDTABLE__DATA_DIR", data.path());
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
    std::env::set_var("ROUNDTABLE_EXTRACTOR", &extractor);
    let docs: Vec<Doc> = webmasters::lines(&corpus)?;
    let lines: Vec<String> = docs
        .iter()
        .flat_map(|d| d.text.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.chars()
                .filter(|c| c.is_ascii() && !c.is_ascii_control())
                .collect()
        })
        .collect();
    let text = text_of_size(&lines, mb * 1024 * 1024);
    let files: Vec<(FileType, Vec<u8>)> = TYPES.iter().map(|k| (*k, file_of(*k, &text))).collect();
    println!("## Text extraction, {rounds} runs each, medians\n");
    println!("| type | file MB | isolated process s | MB/s | in-process s | MB/s | isolated / in-process time |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (kind, bytes) in &files {
        let size = bytes.len() as f64 / 1024.0 / 1024.0;
        let mut isolated = Vec::new();
        let mut inline = Vec::new();
        for _ in 0..rounds {
            let started = Instant::now();
            let mut child = Command::new(&extractor)
                .args(["extract-text", kind.as_str(), &MAX_CHARS.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            let mut stdin = child.stdin.take().context("stdin")?;
            let body = bytes.clone();
            let feeder = std::thread::spawn(move || stdin.write_all(&body));
            let out = child.wait_with_output()?;
            let _ = feeder.join();
            if !out.status.success() {
                bail!(
                    "{}: {}",
                    kind.as_str(),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            isolated.push(started.elapsed().as_secs_f64());
            let started = Instant::now();
            let text = extract::text_of(*kind, bytes, MAX_CHARS)?;
            inline.push(started.elapsed().as_secs_f64());
            if text.len() < 1000 {
                bail!("{}: only {} bytes of text", kind.as_str(), text.len());
            }
        }
        let (iso, inl) = (median(isolated), median(inline));
        println!(
            "| {} | {size:.2} | {iso:.3} | {:.1} | {inl:.3} | {:.1} | {:.2} |",
            kind.as_str(),
            size / iso,
            size / inl,
            iso / inl
        );
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(findable(&text, rounds))
}

/// About `target` bytes of the corpus's lines, at most 90 characters each.
fn text_of_size(lines: &[String], target: usize) -> String {
    let mut text = String::new();
    for l in lines.iter().cycle() {
        if text.len() >= target {
            break;
        }
        text.push_str(&l.chars().take(90).collect::<String>());
        text.push('\n');
    }
    text
}

/// A file of type `kind` holding `text`: its lines as paragraphs, rows of words, or slides
/// of 20 lines.
fn file_of(kind: FileType, text: &str) -> Vec<u8> {
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let table: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    match kind {
        FileType::Pdf => fixtures::pdf(text),
        FileType::Docx => fixtures::docx(text),
        FileType::Odt => fixtures::odt(text),
        FileType::Xlsx => fixtures::xlsx(&table),
        FileType::Ods => fixtures::ods(&table),
        FileType::Pptx => {
            let slides: Vec<String> = text
                .lines()
                .collect::<Vec<_>>()
                .chunks(20)
                .map(|c| c.join(" "))
                .collect();
            let refs: Vec<&str> = slides.iter().map(String::as_str).collect();
            fixtures::pptx(&refs)
        }
        FileType::Text => text.as_bytes().to_vec(),
        FileType::Markdown => format!("# Notes\n\n{text}").into_bytes(),
        FileType::Csv => rows
            .iter()
            .map(|r| {
                let cells: Vec<String> = r.iter().take(6).map(|c| c.replace(',', " ")).collect();
                format!("{}\n", cells.join(","))
            })
            .collect::<String>()
            .into_bytes(),
    }
}

async fn findable(text: &str, rounds: usize) -> anyhow::Result<()> {
    let settings = Settings::load(None)?;
    let db = roundtable::db::connect(&settings).await?;
    roundtable::db::migrate(&db).await?;
    user_and_space(&db, "library", "Library").await?;
    let app = roundtable::startup::Application::build(settings).await?;
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = sign_in(&client, &base).await?;
    let found = |word: String| {
        let client = client.clone();
        let (base, token) = (base.clone(), token.clone());
        async move {
            loop {
                let r: serde_json::Value = client
                    .get(format!("{base}/api/v1/search?q={word}"))
                    .bearer_auth(&token)
                    .send()
                    .await?
                    .json()
                    .await?;
                if r["total"].as_u64() == Some(1) {
                    return Ok::<(), anyhow::Error>(());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    println!("\n## Upload to findable, {rounds} each, medians (seconds)\n");
    println!("| what | file MB | sent → findable s | ratio to a reply |");
    println!("|---|---:|---:|---:|");
    let started: serde_json::Value = client
        .post(format!("{base}/api/v1/spaces/library/threads"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Baseline", "body": "The opening post", "tags": [], "marking": "OFFICIAL"}))
        .send()
        .await?
        .json()
        .await?;
    let thread = started["id"].as_i64().context("thread id")?;
    let mut replies = Vec::new();
    for n in 0..rounds {
        let word = format!("zqreply{n}x");
        let t = Instant::now();
        client
            .post(format!("{base}/api/v1/threads/{thread}/posts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"body": format!("A reply with {word}")}))
            .send()
            .await?
            .error_for_status()?;
        tokio::time::timeout(Duration::from_secs(60), found(word)).await??;
        replies.push(t.elapsed().as_secs_f64());
    }
    let reply = median(replies);
    println!("| a reply (baseline) | – | {reply:.2} | 1.00 |");
    for kind in TYPES {
        let mut times = Vec::new();
        let mut size = 0;
        for n in 0..rounds {
            let word = format!("zq{}{n}x", kind.as_str());
            // The word goes first, so it is inside whatever the text cut-off keeps.
            let body = file_of(kind, &format!("{word} opens this file\n{text}"));
            size = body.len();
            let t = Instant::now();
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(body).file_name(format!("f.{}", kind.as_str())),
            );
            let res = client
                .post(format!("{base}/api/v1/spaces/library/documents"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .await?;
            if !res.status().is_success() {
                bail!("upload {}: {}", kind.as_str(), res.text().await?);
            }
            tokio::time::timeout(Duration::from_secs(120), found(word)).await??;
            times.push(t.elapsed().as_secs_f64());
        }
        let m = median(times);
        println!(
            "| {} | {:.2} | {m:.2} | {:.2} |",
            kind.as_str(),
            size as f64 / 1024.0 / 1024.0,
            m / reply
        );
    }
    Ok(())
}
