use crate::{index, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The managed list of service areas a case study belongs to; admins add to it.
#[derive(DeriveIden)]
enum ServiceAreas {
    Table,
    Id,
    Slug,
    Name,
    Position,
}

/// A case study is a thread with structured costing data: one row per such thread. Money is
/// in whole pounds; the saving is computed from the annual costs when the row is written and
/// kept so comparisons can sort and filter on it.
#[derive(DeriveIden)]
enum CaseStudies {
    Table,
    ThreadId,
    ServiceAreaId,
    /// JSON arrays of names.
    Forces,
    Suppliers,
    /// JSON array of contract-term keys (`benchmarking_clause`, …).
    Terms,
    ContractStart,
    ContractMonths,
    ContractValue,
    AnnualCostBefore,
    AnnualCostAfter,
    SavingAmount,
    SavingPercent,
    Outcomes,
    Lessons,
    Contact,
    SourceDocumentId,
    UpdatedAt,
}

/// Endorsed best practice: a thread or a document, with an owner who keeps it current, a
/// review date and a status (`current`, `under_review`, `superseded`).
#[derive(DeriveIden)]
enum Endorsements {
    Table,
    Id,
    ThreadId,
    DocumentId,
    OwnerId,
    ReviewDue,
    Status,
    SucceededByThreadId,
    SucceededByDocumentId,
    EndorsedBy,
    EndorsedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

const AREAS: &[(&str, &str)] = &[
    ("custody", "Custody"),
    ("control-room", "Control room"),
    ("forensics", "Forensics"),
    ("fleet", "Fleet"),
    ("ict-infrastructure", "ICT infrastructure"),
    ("back-office", "Back office"),
    ("estates", "Estates"),
    ("training", "Training"),
    ("body-worn-video", "Body-worn video"),
    ("records-management", "Records management"),
];

fn money(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceAreas::Table)
                    .col(crate::pk(ServiceAreas::Id))
                    .col(ColumnDef::new(ServiceAreas::Slug).string_len(60).not_null())
                    .col(ColumnDef::new(ServiceAreas::Name).string_len(80).not_null())
                    .col(ColumnDef::new(ServiceAreas::Position).integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_service_areas_slug",
                ServiceAreas::Table,
                vec![ServiceAreas::Slug.into_iden()],
                true,
            ))
            .await?;
        let mut insert = Query::insert();
        insert.into_table(ServiceAreas::Table).columns([
            ServiceAreas::Slug,
            ServiceAreas::Name,
            ServiceAreas::Position,
        ]);
        for (i, (slug, name)) in AREAS.iter().enumerate() {
            insert.values_panic([(*slug).into(), (*name).into(), ((i as i32 + 1) * 10).into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseStudies::Table)
                    .col(
                        ColumnDef::new(CaseStudies::ThreadId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CaseStudies::ServiceAreaId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseStudies::Forces).text().not_null())
                    .col(ColumnDef::new(CaseStudies::Suppliers).text().not_null())
                    .col(ColumnDef::new(CaseStudies::Terms).text().not_null())
                    .col(ColumnDef::new(CaseStudies::ContractStart).date().null())
                    .col(ColumnDef::new(CaseStudies::ContractMonths).integer().null())
                    .col(money(CaseStudies::ContractValue))
                    .col(money(CaseStudies::AnnualCostBefore))
                    .col(money(CaseStudies::AnnualCostAfter))
                    .col(money(CaseStudies::SavingAmount))
                    .col(
                        ColumnDef::new(CaseStudies::SavingPercent)
                            .double()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CaseStudies::Outcomes).text().not_null())
                    .col(ColumnDef::new(CaseStudies::Lessons).text().not_null())
                    .col(ColumnDef::new(CaseStudies::Contact).text().not_null())
                    .col(
                        ColumnDef::new(CaseStudies::SourceDocumentId)
                            .integer()
                            .null(),
                    )
                    .col(timestamp(CaseStudies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_studies_thread")
                            .from(CaseStudies::Table, CaseStudies::ThreadId)
                            .to(Threads::Table, Threads::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_studies_area")
                            .from(CaseStudies::Table, CaseStudies::ServiceAreaId)
                            .to(ServiceAreas::Table, ServiceAreas::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_case_studies_area",
                CaseStudies::Table,
                vec![
                    CaseStudies::ServiceAreaId.into_iden(),
                    CaseStudies::SavingPercent.into_iden(),
                ],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Endorsements::Table)
                    .col(crate::pk(Endorsements::Id))
                    .col(ColumnDef::new(Endorsements::ThreadId).integer().null())
                    .col(ColumnDef::new(Endorsements::DocumentId).integer().null())
                    .col(ColumnDef::new(Endorsements::OwnerId).integer().not_null())
                    .col(ColumnDef::new(Endorsements::ReviewDue).date().not_null())
                    .col(
                        ColumnDef::new(Endorsements::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Endorsements::SucceededByThreadId)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Endorsements::SucceededByDocumentId)
                            .integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(Endorsements::EndorsedBy)
                            .integer()
                            .not_null(),
                    )
                    .col(timestamp(Endorsements::EndorsedAt))
                    .col(timestamp(Endorsements::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_endorsements_owner")
                            .from(Endorsements::Table, Endorsements::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_endorsements_thread", Endorsements::ThreadId),
            ("ux_endorsements_document", Endorsements::DocumentId),
        ] {
            manager
                .create_index(index(
                    name,
                    Endorsements::Table,
                    vec![col.into_iden()],
                    true,
                ))
                .await?;
        }
        // Threads endorsed before endorsements had owners: their author owns them, reviewed a
        // year from now.
        let review_due = (chrono::Utc::now() + chrono::Duration::days(365))
            .date_naive()
            .to_string();
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO endorsements (thread_id, owner_id, review_due, status, endorsed_by, \
                 endorsed_at, updated_at) SELECT id, author_id, '{review_due}', 'current', \
                 author_id, COALESCE(best_practice_at, created_at), \
                 COALESCE(best_practice_at, created_at) FROM threads WHERE best_practice = TRUE"
            ))
            .await?;
        manager
            .create_index(index(
                "ix_endorsements_owner_review",
                Endorsements::Table,
                vec![
                    Endorsements::OwnerId.into_iden(),
                    Endorsements::ReviewDue.into_iden(),
                ],
                false,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Endorsements::Table.into_iden(),
            CaseStudies::Table.into_iden(),
            ServiceAreas::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
