use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An organisation's OpenID Connect provider (at most one each). The client secret is sealed
/// with a key derived from the server's master secret. `tenant_id` is set for Entra ID, whose
/// tokens must then carry that `tid`. With `auto_admit`, an unknown person from the
/// organisation gets an account at once instead of a request for a sponsor.
#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    Id,
    OrganisationId,
    Issuer,
    ClientId,
    ClientSecretSealed,
    TenantId,
    AutoAdmit,
    CreatedAt,
}

/// Someone's account at a provider: (issuer, subject), and for Entra ID also (tid, oid).
/// Belongs to an account, or, until a sponsor answers, to a request for one.
#[derive(DeriveIden)]
enum Identities {
    Table,
    Id,
    UserId,
    RegistrationId,
    ProviderId,
    Issuer,
    Subject,
    TenantId,
    ObjectId,
    CreatedAt,
    LastUsedAt,
}

/// A sign-in sent to a provider and not yet back: `state` (as its SHA-256), the nonce and the
/// PKCE verifier, bound to the browser that started it. Used once, within minutes.
#[derive(DeriveIden)]
enum SignInFlows {
    Table,
    StateHash,
    ProviderId,
    BrowserHash,
    Purpose,
    UserId,
    Nonce,
    PkceVerifier,
    NextPath,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdentityProviders::Table)
                    .col(pk(IdentityProviders::Id))
                    .col(
                        ColumnDef::new(IdentityProviders::OrganisationId)
                            .integer()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::Issuer)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::ClientId)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::ClientSecretSealed)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::TenantId)
                            .string_len(64)
                            .null(),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::AutoAdmit)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp(IdentityProviders::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Identities::Table)
                    .col(pk(Identities::Id))
                    .col(ColumnDef::new(Identities::UserId).integer().null())
                    .col(ColumnDef::new(Identities::RegistrationId).integer().null())
                    .col(ColumnDef::new(Identities::ProviderId).integer().not_null())
                    .col(
                        ColumnDef::new(Identities::Issuer)
                            .string_len(500)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Identities::Subject)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Identities::TenantId).string_len(64).null())
                    .col(ColumnDef::new(Identities::ObjectId).string_len(64).null())
                    .col(timestamp(Identities::CreatedAt))
                    .col(timestamp_null(Identities::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_identities_issuer_subject",
                Identities::Table,
                vec![
                    Identities::Issuer.into_iden(),
                    Identities::Subject.into_iden(),
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ux_identities_tenant_object",
                Identities::Table,
                vec![
                    Identities::TenantId.into_iden(),
                    Identities::ObjectId.into_iden(),
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_identities_user",
                Identities::Table,
                vec![Identities::UserId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInFlows::Table)
                    .col(
                        ColumnDef::new(SignInFlows::StateHash)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(SignInFlows::ProviderId).integer().not_null())
                    .col(
                        ColumnDef::new(SignInFlows::BrowserHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInFlows::Purpose)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(SignInFlows::UserId).integer().null())
                    .col(
                        ColumnDef::new(SignInFlows::Nonce)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInFlows::PkceVerifier)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(SignInFlows::NextPath)
                            .string_len(2000)
                            .not_null(),
                    )
                    .col(timestamp(SignInFlows::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_sign_in_flows_expires_at",
                SignInFlows::Table,
                vec![SignInFlows::ExpiresAt.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SignInFlows::Table.into_iden(),
            Identities::Table.into_iden(),
            IdentityProviders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
