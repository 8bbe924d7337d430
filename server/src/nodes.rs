//! The server processes sharing one database. Each registers at start and beats every
//! `nodes.heartbeat_seconds` with how far its search index has read the outbox; the outbox is
//! pruned below the slowest live process, keeping `nodes.outbox_retention_seconds` of rows so
//! a process restarted within that time catches up by replaying rather than rebuilding. A
//! process that finds its index behind the pruned rows rebuilds it from the database
//! (`search::indexer`).
use crate::db::entities::{node, outbox};
use crate::search::SearchService;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::time::Duration;

/// How long processes are waited for and rows kept (`[nodes]` settings).
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub heartbeat: Duration,
    /// A process that has not beaten for this long is not live: pruning no longer waits for it.
    pub live_for: chrono::Duration,
    /// Outbox rows younger than this are kept whatever the positions.
    pub retention: chrono::Duration,
}

impl Policy {
    pub fn from_settings(s: &crate::settings::NodeSettings) -> Self {
        let secs = |n: u64| chrono::Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX / 1000));
        Policy {
            heartbeat: Duration::from_secs(s.heartbeat_seconds.max(1)),
            live_for: secs(s.live_seconds),
            retention: secs(s.outbox_retention_seconds),
        }
    }
}

/// Registrations of processes silent for this long are deleted.
fn forgotten_after() -> chrono::Duration {
    chrono::Duration::days(1)
}

/// Records this process's heartbeat and position, registering it if it is not (or no
/// longer) registered.
pub async fn beat(
    db: &impl ConnectionTrait,
    id: &str,
    position: i64,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let updated = node::Entity::update_many()
        .col_expr(node::Column::HeartbeatAt, now.into())
        .col_expr(node::Column::OutboxPosition, position.into())
        .filter(node::Column::Id.eq(id))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        node::ActiveModel {
            id: Set(id.to_string()),
            host: Set(std::env::var("HOSTNAME").unwrap_or_else(|_| "roundtable".into())),
            pid: Set(i32::try_from(std::process::id()).unwrap_or(0)),
            started_at: Set(now),
            heartbeat_at: Set(now),
            outbox_position: Set(position),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The processes that beat within `live_for`.
pub async fn live(
    db: &impl ConnectionTrait,
    live_for: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Vec<node::Model>, sea_orm::DbErr> {
    node::Entity::find()
        .filter(node::Column::HeartbeatAt.gt(now - live_for))
        .order_by_asc(node::Column::StartedAt)
        .all(db)
        .await
}

/// Deletes outbox rows every live process has read (below the slowest one's position) and
/// older than the retention, always keeping the newest row, so that a process can tell
/// rows it never read were pruned (the oldest row is then above its position). Returns the
/// rows deleted.
pub async fn prune_outbox(
    db: &impl ConnectionTrait,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    let Some(slowest) = live(db, policy.live_for, now)
        .await?
        .iter()
        .map(|n| n.outbox_position)
        .min()
    else {
        return Ok(0);
    };
    let Some(newest) = outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let below = i32::try_from(slowest.min(i64::from(newest.id))).unwrap_or(i32::MAX);
    let cutoff = now - policy.retention;
    // In batches, each its own statement: after a bulk load a single DELETE of a million rows
    // would hold SQLite's write lock (and grow the process) for seconds.
    let mut deleted = 0;
    loop {
        let batch_end: Option<i32> = outbox::Entity::find()
            .select_only()
            .column(outbox::Column::Id)
            .filter(outbox::Column::Id.lt(below))
            .order_by_asc(outbox::Column::Id)
            .offset(PRUNE_BATCH)
            .limit(1)
            .into_tuple()
            .one(db)
            .await?;
        let removed = outbox::Entity::delete_many()
            .filter(outbox::Column::Id.lt(batch_end.unwrap_or(below)))
            .filter(outbox::Column::CreatedAt.lt(cutoff))
            .exec(db)
            .await?
            .rows_affected;
        deleted += removed;
        if batch_end.is_none() || removed == 0 {
            break;
        }
        tokio::task::yield_now().await;
    }
    node::Entity::delete_many()
        .filter(node::Column::HeartbeatAt.lt(now - forgotten_after()))
        .exec(db)
        .await?;
    Ok(deleted)
}

/// Outbox rows deleted by one statement.
const PRUNE_BATCH: u64 = 5_000;

/// Whether outbox rows after `position` were pruned: the oldest row left is past it.
pub async fn outbox_pruned_past(
    db: &impl ConnectionTrait,
    position: i64,
) -> Result<bool, sea_orm::DbErr> {
    let oldest = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .one(db)
        .await?;
    Ok(oldest.is_some_and(|o| i64::from(o.id) > position + 1))
}

/// Beats and prunes the outbox every `policy.heartbeat` until the process ends.
pub fn spawn(db: DatabaseConnection, search: Arc<SearchService>, id: String, policy: Policy) {
    tokio::spawn(async move {
        loop {
            let now = Utc::now();
            let position = search.index().position().unwrap_or(0);
            if let Err(e) = beat(&db, &id, position, now).await {
                tracing::warn!(error = %e, "node heartbeat failed");
            }
            match prune_outbox(&db, policy, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned the outbox"),
                Err(e) => tracing::warn!(error = %e, "pruning the outbox failed"),
            }
            tokio::time::sleep(policy.heartbeat).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Database;

    async fn db_with_outbox(rows: usize, created_at: DateTime<Utc>) -> DatabaseConnection {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, \
             entity_id INTEGER NOT NULL, created_at TEXT NOT NULL); \
             CREATE TABLE nodes (id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, \
             started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL, outbox_position BIGINT NOT NULL)",
        )
        .await
        .unwrap();
        let at = created_at.to_rfc3339();
        for chunk in (0..rows).collect::<Vec<_>>().chunks(500) {
            let values: Vec<String> = chunk
                .iter()
                .map(|i| format!("('post', {i}, '{at}')"))
                .collect();
            db.execute_unprepared(&format!(
                "INSERT INTO outbox (kind, entity_id, created_at) VALUES {}",
                values.join(", ")
            ))
            .await
            .unwrap();
        }
        db
    }

    fn policy() -> Policy {
        Policy {
            heartbeat: Duration::from_secs(5),
            live_for: chrono::Duration::seconds(30),
            retention: chrono::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn prunes_in_batches_down_to_the_slowest_live_node_keeping_the_newest_row() {
        let now = Utc::now();
        let db = db_with_outbox(12_001, now - chrono::Duration::hours(2)).await;
        beat(&db, "fast", 12_001, now).await.unwrap();
        beat(&db, "slow", 11_000, now).await.unwrap();
        assert_eq!(prune_outbox(&db, policy(), now).await.unwrap(), 10_999);
        beat(&db, "slow", 12_001, now).await.unwrap();
        assert_eq!(prune_outbox(&db, policy(), now).await.unwrap(), 1_001);
        let left = outbox::Entity::find().all(&db).await.unwrap();
        assert_eq!(
            left.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![12_001],
            "the newest row stays"
        );
        assert!(!outbox_pruned_past(&db, 12_001).await.unwrap());
        assert!(outbox_pruned_past(&db, 10).await.unwrap());
    }

    #[tokio::test]
    async fn keeps_rows_younger_than_the_retention() {
        let now = Utc::now();
        let db = db_with_outbox(7_000, now - chrono::Duration::minutes(10)).await;
        beat(&db, "only", 7_000, now).await.unwrap();
        assert_eq!(prune_outbox(&db, policy(), now).await.unwrap(), 0);
        assert_eq!(outbox::Entity::find().all(&db).await.unwrap().len(), 7_000);
    }
}
