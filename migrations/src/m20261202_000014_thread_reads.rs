use crate::{index, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When each person last read each thread, for unread markers and counts. Written in batches
/// off the request path, so a page view itself writes nothing.
#[derive(DeriveIden)]
enum ThreadReads {
    Table,
    UserId,
    ThreadId,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ThreadReads::Table)
                    .col(ColumnDef::new(ThreadReads::UserId).integer().not_null())
                    .col(ColumnDef::new(ThreadReads::ThreadId).integer().not_null())
                    .col(timestamp(ThreadReads::ReadAt))
                    .primary_key(
                        Index::create()
                            .col(ThreadReads::UserId)
                            .col(ThreadReads::ThreadId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_thread_reads_thread_id",
                ThreadReads::Table,
                vec![ThreadReads::ThreadId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ThreadReads::Table).to_owned())
            .await
    }
}
