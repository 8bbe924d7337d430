use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Links that let someone who forgot their password choose a new one: single use, short-lived,
/// stored only as the SHA-256 of the token.
#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(pk(PasswordResets::Id))
                    .col(ColumnDef::new(PasswordResets::UserId).integer().not_null())
                    .col(
                        ColumnDef::new(PasswordResets::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(PasswordResets::CreatedAt))
                    .col(timestamp(PasswordResets::ExpiresAt))
                    .col(timestamp_null(PasswordResets::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_password_resets_user_id",
                PasswordResets::Table,
                vec![PasswordResets::UserId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResets::Table).to_owned())
            .await
    }
}
