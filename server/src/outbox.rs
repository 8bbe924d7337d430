//! Change notices for the search indexer, written in the same transaction as the change.
//! A row names what changed; the indexer reads the current state from the database.
use crate::db::entities::outbox;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A thread's title, tags, marking, flags or space changed (or it was created).
    Thread(i32),
    /// A post was created, edited or deleted.
    Post(i32),
    /// A space's audience, member list or archived flag changed.
    Space(i32),
    /// A document was shared, got a new version or text, changed or was deleted.
    Document(i32),
}

impl Change {
    fn parts(self) -> (&'static str, i32) {
        match self {
            Change::Thread(id) => ("thread", id),
            Change::Post(id) => ("post", id),
            Change::Space(id) => ("space", id),
            Change::Document(id) => ("document", id),
        }
    }
}

pub async fn record(
    db: &impl ConnectionTrait,
    change: Change,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let (kind, entity_id) = change.parts();
    outbox::ActiveModel {
        kind: Set(kind.to_string()),
        entity_id: Set(entity_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
