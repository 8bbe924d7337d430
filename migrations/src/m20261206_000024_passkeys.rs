use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A passkey or security key, a second factor after the password: webauthn-rs's credential
/// (its public key and counter) as JSON, and the credential id to find it by.
#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    Name,
    CredentialId,
    Credential,
    CreatedAt,
    LastUsedAt,
}

/// A WebAuthn ceremony begun and not finished: webauthn-rs's state, kept on the server (never
/// sent to the browser), for one registration or one sign-in's second step. Used once.
#[derive(DeriveIden)]
enum PasskeyCeremonies {
    Table,
    Id,
    UserId,
    Kind,
    ChallengeId,
    State,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .col(pk(Passkeys::Id))
                    .col(ColumnDef::new(Passkeys::UserId).integer().not_null())
                    .col(ColumnDef::new(Passkeys::Name).string_len(100).not_null())
                    .col(
                        ColumnDef::new(Passkeys::CredentialId)
                            .string_len(1400)
                            .not_null()
                            .unique_key(),
                    )
                    .col(ColumnDef::new(Passkeys::Credential).text().not_null())
                    .col(timestamp(Passkeys::CreatedAt))
                    .col(timestamp_null(Passkeys::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_passkeys_user",
                Passkeys::Table,
                vec![Passkeys::UserId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasskeyCeremonies::Table)
                    .col(pk(PasskeyCeremonies::Id))
                    .col(
                        ColumnDef::new(PasskeyCeremonies::UserId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PasskeyCeremonies::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PasskeyCeremonies::ChallengeId)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(PasskeyCeremonies::State).text().not_null())
                    .col(timestamp(PasskeyCeremonies::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_passkey_ceremonies_user",
                PasskeyCeremonies::Table,
                vec![PasskeyCeremonies::UserId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PasskeyCeremonies::Table.into_iden(),
            Passkeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
