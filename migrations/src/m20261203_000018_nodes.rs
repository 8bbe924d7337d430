use crate::timestamp;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The server processes sharing the database: each registers at start and beats every few
/// seconds with how far its search index has read the outbox, so the outbox can be pruned
/// below the slowest live one.
#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    Host,
    Pid,
    StartedAt,
    HeartbeatAt,
    OutboxPosition,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Nodes::Table)
                    .col(
                        ColumnDef::new(Nodes::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Nodes::Host).string_len(255).not_null())
                    .col(ColumnDef::new(Nodes::Pid).integer().not_null())
                    .col(timestamp(Nodes::StartedAt))
                    .col(timestamp(Nodes::HeartbeatAt))
                    .col(
                        ColumnDef::new(Nodes::OutboxPosition)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Nodes::Table).to_owned())
            .await
    }
}
