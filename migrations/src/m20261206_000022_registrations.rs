use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An organisation's email domains: someone with an address at one may ask for an account
/// there (the allow-list).
#[derive(DeriveIden)]
enum OrganisationDomains {
    Table,
    Id,
    OrganisationId,
    Domain,
    CreatedAt,
}

/// A request for an account. `status`: `unverified` (the emailed link not yet opened),
/// `pending` (waiting for a sponsor), `sponsored` (a supplier's request a force or PCC office
/// sponsored, waiting for an admin), `approved` (an invitation was sent) or `denied`.
#[derive(DeriveIden)]
enum Registrations {
    Table,
    Id,
    Email,
    DisplayName,
    JobTitle,
    OrganisationId,
    TokenHash,
    Status,
    CreatedAt,
    ExpiresAt,
    VerifiedAt,
    SponsoredBy,
    DecidedBy,
    DecidedAt,
    Reason,
}

/// Requests for an account, kept a day for the rate limit: the address only as its SHA-256.
#[derive(DeriveIden)]
enum RegistrationRequests {
    Table,
    Id,
    EmailHash,
    ClientAddr,
    RequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrganisationDomains::Table)
                    .col(pk(OrganisationDomains::Id))
                    .col(
                        ColumnDef::new(OrganisationDomains::OrganisationId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(OrganisationDomains::Domain)
                            .string_len(253)
                            .not_null()
                            .unique_key(),
                    )
                    .col(timestamp(OrganisationDomains::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(pk(Registrations::Id))
                    .col(
                        ColumnDef::new(Registrations::Email)
                            .string_len(254)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::DisplayName)
                            .string_len(120)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::JobTitle)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::OrganisationId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Registrations::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Registrations::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(timestamp(Registrations::CreatedAt))
                    .col(timestamp(Registrations::ExpiresAt))
                    .col(timestamp_null(Registrations::VerifiedAt))
                    .col(ColumnDef::new(Registrations::SponsoredBy).integer().null())
                    .col(ColumnDef::new(Registrations::DecidedBy).integer().null())
                    .col(timestamp_null(Registrations::DecidedAt))
                    .col(ColumnDef::new(Registrations::Reason).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_registrations_email",
                Registrations::Table,
                vec![Registrations::Email.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_registrations_status",
                Registrations::Table,
                vec![
                    Registrations::Status.into_iden(),
                    Registrations::OrganisationId.into_iden(),
                ],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistrationRequests::Table)
                    .col(pk(RegistrationRequests::Id))
                    .col(
                        ColumnDef::new(RegistrationRequests::EmailHash)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RegistrationRequests::ClientAddr)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(timestamp(RegistrationRequests::RequestedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_registration_requests_requested_at",
                RegistrationRequests::Table,
                vec![RegistrationRequests::RequestedAt.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RegistrationRequests::Table.into_iden(),
            Registrations::Table.into_iden(),
            OrganisationDomains::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
