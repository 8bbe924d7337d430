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
    QueryOrder, Set,
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
    let below = slowest.min(i64::from(newest.id));
    let deleted = outbox::Entity::delete_many()
        .filter(outbox::Column::Id.lt(i32::try_from(below).unwrap_or(i32::MAX)))
        .filter(outbox::Column::CreatedAt.lt(now - policy.retention))
        .exec(db)
        .await?;
    node::Entity::delete_many()
        .filter(node::Column::HeartbeatAt.lt(now - forgotten_after()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

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
