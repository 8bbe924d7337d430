use crate::m20261203_000017_cache_invalidations::{run, Event, Watch, CHOICES_OF_USER_ID};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What a person has read is theirs too: a `user` invalidation when their reads are written,
/// so every process forgets which threads it had cached as unread for them (the home and
/// space pages' marks).
fn watches() -> Vec<Watch> {
    [Event::Insert, Event::Update("")]
        .into_iter()
        .map(|event| Watch {
            name: "thread_reads",
            table: "thread_reads",
            event,
            select: CHOICES_OF_USER_ID,
            when: None,
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        run(
            db,
            watches().iter().flat_map(|w| w.create(backend)).collect(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        run(db, watches().iter().flat_map(|w| w.drop(backend)).collect()).await
    }
}
