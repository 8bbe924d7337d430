use crate::{index, pk, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which imported item became which post, so an import can run again without duplicating.
#[derive(DeriveIden)]
enum ImportSources {
    Table,
    Id,
    Source,
    ExternalId,
    PostId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ImportSources::Table)
                    .col(pk(ImportSources::Id))
                    .col(
                        ColumnDef::new(ImportSources::Source)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ImportSources::ExternalId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(ImportSources::PostId).integer().not_null())
                    .col(timestamp(ImportSources::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_import_sources_item",
                ImportSources::Table,
                vec![
                    ImportSources::Source.into_iden(),
                    ImportSources::ExternalId.into_iden(),
                ],
                true,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ImportSources::Table).to_owned())
            .await
    }
}
