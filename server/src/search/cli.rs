//! The operator's search commands: `roundtable reindex` and `roundtable search`.
use super::indexer::{rebuild, Progress};
use crate::accounts::find_user;
use crate::domain::Email;
use crate::permissions::{readable_spaces, Subject};
use crate::settings::Settings;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;
use search_index::{IndexStore, SearchIndex, SearchRequest};

pub async fn reindex(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    let store = IndexStore::new(&settings.search.index_dir);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {pos}/{len} posts ({per_sec}, {eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let rebuilt = rebuild(db, &store, |p| match p {
        Progress::Total(n) => bar.set_length(n),
        Progress::Done(n) => bar.inc(n),
    })
    .await?;
    bar.finish_and_clear();
    println!(
        "indexed {} posts in {:.1} s into {} (outbox position {})",
        rebuilt.documents,
        started.elapsed().as_secs_f64(),
        rebuilt.generation.display(),
        rebuilt.position
    );
    println!("{}", rebuilt.documents);
    Ok(())
}

pub async fn search(
    db: &DatabaseConnection,
    settings: &Settings,
    query: &str,
    as_user: &str,
    page: usize,
) -> anyhow::Result<()> {
    let email = Email::parse(as_user).context("--as")?;
    let user = find_user(db, &email)
        .await?
        .with_context(|| format!("--as: no user with email {email}"))?;
    let subject = Subject::of_account(&user)?;
    let readable: Vec<i32> = readable_spaces(db, &subject)
        .await?
        .into_iter()
        .map(|r| r.space.id)
        .collect();
    let dir = IndexStore::new(&settings.search.index_dir)
        .current()
        .context("there is no search index yet: start the server or run roundtable reindex")?;
    let index = SearchIndex::open_read_only(&dir)?;
    let mut request = SearchRequest::new(query, readable);
    request.page = page.max(1);
    let results = index.search(&request)?;
    println!("{} matching threads (page {})", results.total, request.page);
    for hit in results.hits {
        println!(
            "#{} [{}] {}  (post {}, score {:.2})",
            hit.thread_id, hit.space_slug, hit.title, hit.post_id, hit.score
        );
        println!(
            "    {}",
            hit.snippet_html
                .replace("<mark>", "[")
                .replace("</mark>", "]")
        );
    }
    Ok(())
}

/// Prints one JSON line: documents in the index, its outbox position, live posts, live shared
/// documents and the outbox head. When the indexer has caught up, documents equal live posts
/// plus live shared documents.
pub async fn status(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    use sea_orm::{EntityTrait, QueryOrder};
    let dir = IndexStore::new(&settings.search.index_dir)
        .current()
        .context("there is no search index yet: start the server or run roundtable reindex")?;
    let index = SearchIndex::open_read_only(&dir)?;
    let head = crate::db::entities::outbox::Entity::find()
        .order_by_desc(crate::db::entities::outbox::Column::Id)
        .one(db)
        .await?
        .map(|r| r.id)
        .unwrap_or(0);
    println!(
        "{{\"documents\": {}, \"position\": {}, \"live_posts\": {}, \"live_shared_documents\": {}, \"outbox_head\": {}}}",
        index.num_docs(),
        index.position()?,
        super::documents::count_posts(db).await?,
        super::shared_documents::count(db).await?,
        head
    );
    Ok(())
}
