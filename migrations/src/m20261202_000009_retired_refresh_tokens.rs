use crate::{index, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Refresh tokens that rotation replaced, kept (as SHA-256) so that presenting one again is
/// recognised as theft and ends the session (OAuth 2.0 Security BCP, refresh token reuse).
#[derive(DeriveIden)]
enum RetiredRefreshTokens {
    Table,
    TokenHash,
    SessionId,
    RetiredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RetiredRefreshTokens::Table)
                    .col(
                        ColumnDef::new(RetiredRefreshTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RetiredRefreshTokens::SessionId)
                            .string_len(36)
                            .not_null(),
                    )
                    .col(timestamp(RetiredRefreshTokens::RetiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_retired_refresh_tokens_retired_at",
                RetiredRefreshTokens::Table,
                vec![RetiredRefreshTokens::RetiredAt.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RetiredRefreshTokens::Table).to_owned())
            .await
    }
}
