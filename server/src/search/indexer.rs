//! Keeps the search index in step with the database. The indexer tails the outbox (rows
//! written in the same transaction as each change), applies them in batches, and commits at
//! at most every 300 ms. Each commit records the outbox position it includes, in the same
//! commit, so after a crash at any point the index restarts from exactly what it holds: changes
//! are re-applied (idempotently, from the current database state), never lost or doubled.
use super::{documents, shared_documents};
use crate::db::entities::outbox;
use anyhow::Context;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search_index::{IndexStore, SearchIndex};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Short enough that a change is searchable on every process within a second of its commit.
const MIN_COMMIT_INTERVAL: Duration = Duration::from_millis(300);
const POLL_INTERVAL: Duration = Duration::from_millis(200);
const BATCH: u64 = 2000;
/// Posts read per query by a full rebuild.
const REBUILD_BATCH: u64 = 5000;
/// The server indexes with one thread so searches keep the other cores.
const SERVER_WRITER_THREADS: Option<usize> = Some(1);

pub struct SearchService {
    store: IndexStore,
    live: RwLock<(PathBuf, Arc<SearchIndex>)>,
    wake: Notify,
}

/// What a rebuild did.
pub struct Rebuilt {
    pub generation: PathBuf,
    pub documents: u64,
    pub position: i64,
}

/// The highest outbox id now; a rebuild reads the database after this point, so replaying
/// from it afterwards covers every change made during the rebuild.
async fn outbox_head(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?
        .map(|r| i64::from(r.id))
        .unwrap_or(0))
}

/// Builds a whole new generation from the database, then makes it current.
/// `progress` is told the total and each batch's size.
pub async fn rebuild(
    db: &DatabaseConnection,
    store: &IndexStore,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Rebuilt> {
    let position = outbox_head(db).await?;
    progress(Progress::Total(documents::count_rows(db).await?));
    let generation = store
        .new_generation()
        .context("creating a folder for the new index")?;
    let index = {
        let dir = generation.clone();
        tokio::task::spawn_blocking(move || SearchIndex::create(&dir, None)).await??
    };
    // Read the next batch from the database while the index takes the current one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<documents::Batch>(2);
    let reader_db = db.clone();
    let reading = tokio::spawn(async move {
        let mut after = 0;
        loop {
            let batch = documents::batch_after(&reader_db, after, REBUILD_BATCH).await?;
            let Some(last) = batch.last else {
                return Ok::<(), sea_orm::DbErr>(());
            };
            after = last;
            if tx.send(batch).await.is_err() {
                return Ok(());
            }
        }
    });
    let index = Arc::new(index);
    let mut count = 0u64;
    while let Some(batch) = rx.recv().await {
        count += batch.documents.len() as u64;
        progress(Progress::Done(batch.rows));
        let writer = index.clone();
        tokio::task::spawn_blocking(move || writer.add_new(&batch.documents)).await??;
    }
    reading.await??;
    let mut after = 0;
    loop {
        let (docs, last) = shared_documents::batch_after(db, after, 20).await?;
        let Some(last) = last else { break };
        after = last;
        count += docs.len() as u64;
        let writer = index.clone();
        tokio::task::spawn_blocking(move || writer.add_new(&docs)).await??;
    }
    let index = Arc::try_unwrap(index).map_err(|_| anyhow::anyhow!("index still shared"))?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        index.commit(position)?;
        index.close()?;
        Ok(())
    })
    .await??;
    store
        .make_current(&generation)
        .context("switching to the new index")?;
    Ok(Rebuilt {
        generation,
        documents: count,
        position,
    })
}

/// Whether the outbox rows that `index` has still to read were pruned (it was stopped for
/// longer than the outbox keeps rows), so only a rebuild can bring it up to date.
async fn behind_pruned(db: &DatabaseConnection, index: &SearchIndex) -> anyhow::Result<bool> {
    Ok(crate::nodes::outbox_pruned_past(db, index.position()?).await?)
}

pub enum Progress {
    Total(u64),
    Done(u64),
}

impl SearchService {
    /// Opens the live index, rebuilding it from the database when it is missing, unreadable or
    /// of another schema.
    pub async fn start(db: &DatabaseConnection, root: &Path) -> anyhow::Result<Arc<Self>> {
        let store = IndexStore::new(root);
        let opened = match store.current() {
            Some(dir) => {
                let attempt = dir.clone();
                match tokio::task::spawn_blocking(move || {
                    SearchIndex::open(&attempt, SERVER_WRITER_THREADS)
                })
                .await?
                {
                    Ok(index) if behind_pruned(db, &index).await? => {
                        tracing::warn!(
                            index = %dir.display(),
                            "the search index is behind the pruned outbox: rebuilding it from the database"
                        );
                        None
                    }
                    Ok(index) => Some((dir, index)),
                    Err(why) => {
                        tracing::warn!(index = %dir.display(), %why, "rebuilding the search index");
                        None
                    }
                }
            }
            None => {
                tracing::info!(root = %root.display(), "no search index yet: building it");
                None
            }
        };
        let (dir, index) = match opened {
            Some(found) => found,
            None => {
                let rebuilt = rebuild(db, &store, |_| {}).await?;
                tracing::info!(documents = rebuilt.documents, "search index built");
                let dir = rebuilt.generation.clone();
                let index = tokio::task::spawn_blocking(move || {
                    SearchIndex::open(&dir, SERVER_WRITER_THREADS)
                })
                .await??;
                (rebuilt.generation, index)
            }
        };
        store.remove_others(&dir);
        Ok(Arc::new(SearchService {
            store,
            live: RwLock::new((dir, Arc::new(index))),
            wake: Notify::new(),
        }))
    }

    /// The index to search now.
    pub fn index(&self) -> Arc<SearchIndex> {
        self.live
            .read()
            .map(|l| l.1.clone())
            .unwrap_or_else(|p| p.into_inner().1.clone())
    }

    /// Tells the indexer that the outbox has new rows.
    pub fn changed(&self) {
        self.wake.notify_one();
    }

    pub fn spawn_indexer(self: Arc<Self>, db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut state = match self.index().position() {
                Ok(position) => TailState::new(position),
                Err(e) => {
                    tracing::error!(error = %e, "search indexer cannot read its position; not starting");
                    return;
                }
            };
            loop {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
                if let Err(e) = self.tick(&db, &mut state).await {
                    tracing::error!(
                        error = format!("{e:#}"),
                        "search indexer step failed; retrying"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        })
    }

    /// Switches to a generation that `roundtable reindex` made current.
    async fn follow_current(&self, state: &mut TailState) -> anyhow::Result<()> {
        let Some(current) = self.store.current() else {
            return Ok(());
        };
        let live_dir = self.live.read().map(|l| l.0.clone()).unwrap_or_default();
        if current == live_dir {
            return Ok(());
        }
        let dir = current.clone();
        let index =
            tokio::task::spawn_blocking(move || SearchIndex::open(&dir, SERVER_WRITER_THREADS))
                .await??;
        *state = TailState::new(index.position()?);
        let old = {
            let mut live = self
                .live
                .write()
                .map_err(|_| anyhow::anyhow!("search lock poisoned"))?;
            std::mem::replace(&mut *live, (current.clone(), Arc::new(index)))
        };
        drop(old);
        self.store.remove_others(&current);
        tracing::info!(index = %current.display(), "switched to the rebuilt search index");
        Ok(())
    }

    /// Applies every outbox row there is now and commits, without waiting between commits
    /// (tests, tools). Returns the rows applied.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> anyhow::Result<usize> {
        let mut state = TailState::new(self.index().position()?);
        let mut total = 0;
        loop {
            let applied = self.step(db, &mut state, false).await?;
            total += applied;
            if applied == 0 || state.tail.waiting() {
                return Ok(total);
            }
        }
    }

    /// One step: read new outbox rows, apply them, commit. Returns the rows applied.
    pub async fn tick(
        &self,
        db: &DatabaseConnection,
        state: &mut TailState,
    ) -> anyhow::Result<usize> {
        self.step(db, state, true).await
    }

    async fn step(
        &self,
        db: &DatabaseConnection,
        state: &mut TailState,
        throttle: bool,
    ) -> anyhow::Result<usize> {
        self.follow_current(state).await?;
        let rows = outbox::Entity::find()
            .filter(outbox::Column::Id.gt(i32::try_from(state.tail.position).unwrap_or(i32::MAX)))
            .order_by_asc(outbox::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        if rows[0].id as i64 > state.tail.position + 1 && behind_pruned(db, &self.index()).await? {
            tracing::warn!(
                position = state.tail.position,
                "the search index fell behind the pruned outbox: rebuilding it from the database"
            );
            rebuild(db, &self.store, |_| {}).await?;
            self.follow_current(state).await?;
            return Ok(0);
        }
        let wait = MIN_COMMIT_INTERVAL.saturating_sub(state.last_commit.elapsed());
        if throttle && !wait.is_zero() {
            tokio::time::sleep(wait).await;
            return Box::pin(self.step(db, state, throttle)).await;
        }
        let mut threads: Vec<i32> = Vec::new();
        let mut posts: Vec<i32> = Vec::new();
        let mut shared: Vec<i32> = Vec::new();
        for row in &rows {
            match row.kind.as_str() {
                "thread" => threads.push(row.entity_id),
                "post" => posts.push(row.entity_id),
                "document" => shared.push(row.entity_id),
                // Audiences are applied at query time from the database, so a space change
                // needs nothing in the index.
                _ => {}
            }
        }
        threads.sort_unstable();
        threads.dedup();
        posts.sort_unstable();
        posts.dedup();
        shared.sort_unstable();
        shared.dedup();
        let shared_docs = shared_documents::for_documents(db, &shared).await?;
        let thread_docs = documents::for_threads(db, &threads).await?;
        let post_docs = documents::for_posts(db, &posts).await?;
        let index = self.index();
        let ids: Vec<i64> = rows.iter().map(|r| i64::from(r.id)).collect();
        let position = state.tail.safe_position(&ids);
        let applied = rows.len();
        tokio::task::spawn_blocking(move || -> Result<(), search_index::SearchError> {
            for t in &threads {
                index.delete_thread(*t)?;
            }
            index.upsert(&thread_docs)?;
            let found: std::collections::HashSet<i32> =
                post_docs.iter().map(|d| d.post_id).collect();
            for p in posts.iter().filter(|p| !found.contains(p)) {
                index.delete_post(*p)?;
            }
            index.upsert(&post_docs)?;
            let found: std::collections::HashSet<i32> =
                shared_docs.iter().map(|d| d.document_id).collect();
            for d in shared.iter().filter(|d| !found.contains(d)) {
                index.delete_document(*d)?;
            }
            index.upsert(&shared_docs)?;
            index.commit(position)
        })
        .await??;
        state.tail.position = position;
        state.last_commit = Instant::now();
        Ok(applied)
    }
}

/// Where the indexer is in the outbox, and when it last committed.
pub struct TailState {
    tail: crate::tail::Tail,
    last_commit: Instant,
}

impl TailState {
    fn new(position: i64) -> Self {
        TailState {
            tail: crate::tail::Tail::new(position),
            last_commit: Instant::now() - MIN_COMMIT_INTERVAL,
        }
    }
}
