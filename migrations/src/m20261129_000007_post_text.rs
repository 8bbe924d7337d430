use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each post's plain text (Markdown removed), kept at write time so that search indexing does
/// not parse Markdown again. Null for rows written before this column: the indexer then derives
/// it from the Markdown.
#[derive(DeriveIden)]
enum Posts {
    Table,
    BodyText,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .add_column(ColumnDef::new(Posts::BodyText).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .drop_column(Posts::BodyText)
                    .to_owned(),
            )
            .await
    }
}
