use crate::{index, pk, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Failed sign-ins, by account and client address, kept in the database so that every server
/// process sees the same count and a restart does not reset it.
#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    Account,
    ClientAddr,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk(LoginFailures::Id))
                    .col(
                        ColumnDef::new(LoginFailures::Account)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(LoginFailures::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(LoginFailures::FailedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_login_failures_account_addr",
                vec![
                    LoginFailures::Account.into_iden(),
                    LoginFailures::ClientAddr.into_iden(),
                    LoginFailures::FailedAt.into_iden(),
                ],
            ),
            (
                "ix_login_failures_addr",
                vec![
                    LoginFailures::ClientAddr.into_iden(),
                    LoginFailures::FailedAt.into_iden(),
                ],
            ),
            (
                "ix_login_failures_failed_at",
                vec![LoginFailures::FailedAt.into_iden()],
            ),
        ] {
            manager
                .create_index(index(name, LoginFailures::Table, cols, false))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await
    }
}
