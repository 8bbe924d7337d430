//! The BEIR webmasters data set as a forum: each corpus document becomes a thread with five
//! replies made of other documents' text (17,405 documents give 104,430 posts).
use anyhow::Context;
use roundtable::domain::{Marking, TagList};
use roundtable::forum::input::{RenderedBody, Title};
use roundtable::forum::{posts, threads};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Deserialize;
use std::io::BufRead;

#[derive(Deserialize)]
pub struct Doc {
    pub title: String,
    pub text: String,
    #[serde(default)]
    pub metadata: Option<Meta>,
}

#[derive(Deserialize, Default)]
pub struct Meta {
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Deserialize)]
pub struct Query {
    pub text: String,
}

pub fn lines<T: for<'de> Deserialize<'de>>(path: &str) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("open {path}"))?;
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(&l).context("a JSON line"))
        .collect()
}

/// Points the settings at the benchmark's data folder: `BENCH_DATA_DIR` (kept between runs,
/// so seeding happens once) or `scratch`; a free port; quiet logs. Call before any thread
/// starts, as the settings loader reads these variables.
pub fn use_data_dir(scratch: &std::path::Path) {
    let dir = std::env::var_os("BENCH_DATA_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| scratch.to_path_buf());
    std::env::set_var("ROUNDTABLE__DATA_DIR", &dir);
    std::env::set_var("ROUNDTABLE__SERVER__BIND", "127.0.0.1:0");
    std::env::set_var("ROUNDTABLE__LOG__LEVEL", "error");
}

/// The seeded space's id and the number of posts: seeded now into an empty database, or found
/// from an earlier run (`BENCH_DATA_DIR` keeps it).
pub async fn seed_or_reuse(db: &DatabaseConnection, docs: &[Doc]) -> anyhow::Result<(i32, usize)> {
    let existing = roundtable::search::documents::count_posts(db).await?;
    if existing > 0 {
        let space = roundtable::spaces::find_by_slug(db, "webmasters")
            .await?
            .context("webmasters space")?;
        return Ok((space.id, existing as usize));
    }
    seed(db, docs).await
}

async fn seed(db: &DatabaseConnection, docs: &[Doc]) -> anyhow::Result<(i32, usize)> {
    let now = chrono::Utc::now();
    let (user_id, space_id) = crate::user_and_space(db, "webmasters", "Webmasters").await?;
    // A text the renderer refuses (one of 17,405: a whole web page's HTML pasted as text) is
    // left out, as the importer leaves it out.
    let body = |text: &str| {
        RenderedBody::from_markdown(
            if text.trim().is_empty() {
                "(empty)"
            } else {
                text
            },
            100_000,
        )
        .ok()
    };
    let n = docs.len();
    let (mut made, mut refused) = (0, 0);
    for chunk in docs.chunks(500).enumerate() {
        let (c, chunk) = chunk;
        let txn = db.begin().await?;
        for (j, d) in chunk.iter().enumerate() {
            let i = c * 500 + j;
            let title = Title::parse(&d.title.chars().take(200).collect::<String>(), 200)
                .or_else(|_| Title::parse("Untitled", 200))
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let tags: Vec<String> = d
                .metadata
                .as_ref()
                .map(|m| m.tags.clone())
                .unwrap_or_default();
            let Some(opening_body) = body(&d.text) else {
                refused += 1;
                continue;
            };
            let (thread_id, opening) = threads::start(
                &txn,
                space_id,
                user_id,
                threads::NewThread {
                    title,
                    body: opening_body,
                    tags: TagList::parse(&tags, 10).unwrap_or_default(),
                    marking: Marking::Official,
                },
                now,
            )
            .await?;
            made += 1;
            let (t, parent) = crate::thread_and_opening(&txn, thread_id, opening).await?;
            for k in 1..=5 {
                let other = &docs[(i * 7 + k * 1009) % n];
                let Some(reply) = body(&other.text) else {
                    refused += 1;
                    continue;
                };
                posts::reply(&txn, &t, &parent, user_id, &reply, now).await?;
                made += 1;
            }
        }
        txn.commit().await?;
    }
    eprintln!("seeded {made} posts; {refused} texts refused by the renderer were left out");
    Ok((space_id, made))
}
