use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A person's authenticator app (TOTP, RFC 6238). The secret is kept sealed with a key derived
/// from the server's master secret, so a copy of the database alone cannot make codes.
/// `last_step` is the time step of the last code accepted: a code is never taken twice.
#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    Id,
    UserId,
    SecretSealed,
    CreatedAt,
    ConfirmedAt,
    LastStep,
}

/// Single-use codes for when the authenticator is lost, stored only as their SHA-256.
#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

/// A sign-in whose password was right and whose second factor is still to come: no session
/// exists until it is given. Single use, short-lived, and spent after a few wrong codes.
/// `sets_up`: the person must first set up an authenticator app (a setting requires one).
#[derive(DeriveIden)]
enum SecondFactorChallenges {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    FailedAttempts,
    SetsUp,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TotpFactors::Table)
                    .col(pk(TotpFactors::Id))
                    .col(
                        ColumnDef::new(TotpFactors::UserId)
                            .integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(TotpFactors::SecretSealed).text().not_null())
                    .col(timestamp(TotpFactors::CreatedAt))
                    .col(timestamp_null(TotpFactors::ConfirmedAt))
                    .col(ColumnDef::new(TotpFactors::LastStep).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk(RecoveryCodes::Id))
                    .col(ColumnDef::new(RecoveryCodes::UserId).integer().not_null())
                    .col(
                        ColumnDef::new(RecoveryCodes::CodeHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(RecoveryCodes::CreatedAt))
                    .col(timestamp_null(RecoveryCodes::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_recovery_codes_user_id",
                RecoveryCodes::Table,
                vec![RecoveryCodes::UserId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SecondFactorChallenges::Table)
                    .col(pk(SecondFactorChallenges::Id))
                    .col(
                        ColumnDef::new(SecondFactorChallenges::UserId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SecondFactorChallenges::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(SecondFactorChallenges::CreatedAt))
                    .col(timestamp(SecondFactorChallenges::ExpiresAt))
                    .col(
                        ColumnDef::new(SecondFactorChallenges::FailedAttempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(SecondFactorChallenges::SetsUp)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp_null(SecondFactorChallenges::UsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_second_factor_challenges_user_id",
                SecondFactorChallenges::Table,
                vec![SecondFactorChallenges::UserId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SecondFactorChallenges::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            TotpFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
