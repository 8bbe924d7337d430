//! Applies `cache_invalidations` rows to this process's caches, in order, without missing any:
//! at once after each write request this process answers (`sync`), when PostgreSQL notifies
//! that another process or the CLI committed a change, and every `POLL_INTERVAL` otherwise.
use super::{Caches, Invalidation};
use crate::db::entities::cache_invalidation as row;
use crate::tail::Tail;
use sea_orm::{
    ColumnTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Notify};

pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// The PostgreSQL channel the triggers notify on.
pub const CHANNEL: &str = "roundtable_changes";
const BATCH: u64 = 5000;
/// Rows kept behind the newest; older ones are deleted every `PRUNE_EVERY`.
const KEEP_ROWS: i64 = 100_000;
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Rows read again at start-up, in case a transaction that took an id below the newest had
/// not yet committed (harmless: forgetting is idempotent).
const LOOK_BACK: i64 = 1000;

pub struct Follower {
    db: DatabaseConnection,
    caches: Arc<Caches>,
    state: Mutex<FollowState>,
    wake: Notify,
}

struct FollowState {
    tail: Tail,
    /// Ids above `tail.position` already applied (read past a hole).
    applied: BTreeSet<i64>,
    last_prune: Instant,
}

async fn head(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    Ok(row::Entity::find()
        .order_by_desc(row::Column::Id)
        .one(db)
        .await?
        .map_or(0, |r| i64::from(r.id)))
}

fn as_i32(id: i64) -> i32 {
    i32::try_from(id).unwrap_or(i32::MAX)
}

impl Follower {
    pub async fn start(
        db: DatabaseConnection,
        caches: Arc<Caches>,
    ) -> Result<Arc<Self>, sea_orm::DbErr> {
        let position = (head(&db).await? - LOOK_BACK).max(0);
        Ok(Arc::new(Follower {
            db,
            caches,
            state: Mutex::new(FollowState {
                tail: Tail::new(position),
                applied: BTreeSet::new(),
                last_prune: Instant::now(),
            }),
            wake: Notify::new(),
        }))
    }

    pub fn caches(&self) -> &Arc<Caches> {
        &self.caches
    }

    /// Applies every row committed so far. Called after each write request, so the writer's
    /// next read on this process sees the change.
    pub async fn sync(&self) -> Result<(), sea_orm::DbErr> {
        let mut state = self.state.lock().await;
        loop {
            let before = state.tail.position;
            let read = self.step(&mut state).await?;
            // A full batch may be waiting below a hole: reading it again changes nothing
            // until the hole fills, so only a batch that moved the position is followed by
            // another at once.
            if read < BATCH as usize || state.tail.position == before {
                return Ok(());
            }
        }
    }

    /// One batch; returns the rows read.
    async fn step(&self, state: &mut FollowState) -> Result<usize, sea_orm::DbErr> {
        let rows = row::Entity::find()
            .filter(row::Column::Id.gt(as_i32(state.tail.position)))
            .order_by_asc(row::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        if let Some(first) = rows.first() {
            let first = i64::from(first.id);
            if first > state.tail.position + 1 && self.pruned_past(state.tail.position).await? {
                tracing::warn!(
                    position = state.tail.position,
                    "cache invalidations were pruned past this process; forgetting every cache"
                );
                self.caches.clear();
                state.tail = Tail::new(first - 1);
                state.applied.clear();
            }
        }
        let fresh: Vec<Invalidation> = rows
            .iter()
            .filter(|r| !state.applied.contains(&i64::from(r.id)))
            .filter_map(|r| Invalidation::parse(&r.kind, r.target_id))
            .collect();
        self.caches.apply(&fresh);
        let ids: Vec<i64> = rows.iter().map(|r| i64::from(r.id)).collect();
        let position = state.tail.safe_position(&ids);
        state.tail.position = position;
        state
            .applied
            .extend(ids.into_iter().filter(|&id| id > position));
        state.applied = state.applied.split_off(&(position + 1));
        if state.last_prune.elapsed() >= PRUNE_EVERY {
            state.last_prune = Instant::now();
            self.prune().await?;
        }
        Ok(rows.len())
    }

    /// Whether rows just above `position` were deleted (rather than not yet committed).
    async fn pruned_past(&self, position: i64) -> Result<bool, sea_orm::DbErr> {
        let oldest = row::Entity::find()
            .order_by_asc(row::Column::Id)
            .one(&self.db)
            .await?
            .map_or(0, |r| i64::from(r.id));
        Ok(oldest > position + 1 && position > 0)
    }

    async fn prune(&self) -> Result<(), sea_orm::DbErr> {
        let below = head(&self.db).await? - KEEP_ROWS;
        if below > 0 {
            row::Entity::delete_many()
                .filter(row::Column::Id.lt(as_i32(below)))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Follows the invalidations until the process ends; on PostgreSQL also listens for
    /// `NOTIFY` and passes it on to `also_wake` (the search indexer).
    pub fn spawn(self: Arc<Self>, also_wake: impl Fn() + Send + Sync + 'static) {
        if self.db.get_database_backend() == DatabaseBackend::Postgres {
            let me = self.clone();
            tokio::spawn(async move { me.listen(also_wake).await });
        }
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
                if let Err(e) = self.sync().await {
                    tracing::error!(error = %e, "reading cache invalidations failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }

    async fn listen(&self, also_wake: impl Fn()) {
        let pool = self.db.get_postgres_connection_pool().clone();
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for changes; polling only, retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN failed; polling only, retrying");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            loop {
                match listener.recv().await {
                    Ok(_) => {
                        self.wake.notify_one();
                        also_wake();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "the LISTEN connection failed; reconnecting");
                        break;
                    }
                }
            }
        }
    }
}

/// Middleware: after a request that may have written (any method but GET, HEAD and OPTIONS),
/// this process's caches take in the change before the answer goes out, so the writer's next
/// page shows it.
pub async fn catch_up_after_writes(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::Method;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let state = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned();
    let res = next.call(req).await?;
    if let (true, Some(state)) = (writes, state) {
        if let Err(e) = state.follower.sync().await {
            // The poll applies the change shortly; the answer itself is not at fault.
            tracing::error!(error = %e, "applying cache invalidations after a write failed");
        }
    }
    Ok(res)
}
