use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When a thread was endorsed as best practice, so a digest can say "newly endorsed".
#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
    BestPracticeAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// One row per user who changed a default; no row means every default.
#[derive(DeriveIden)]
enum Preferences {
    Table,
    UserId,
    DigestEnabled,
    /// ISO weekday, 1 = Monday.
    DigestWeekday,
    DigestHour,
    TimeZone,
    /// JSON array of space ids, or null for every readable space.
    FollowSpaces,
    /// JSON array of tag names, or null for every tag.
    FollowTags,
    NotifyReplies,
    NotifyWatched,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ThreadWatches {
    Table,
    UserId,
    ThreadId,
    /// "watch" or "mute".
    State,
    CreatedAt,
}

/// Every email the platform owes someone: one row per unique key (a digest per user and ISO
/// week, a notification per event and recipient), so a message can be claimed and sent once.
#[derive(DeriveIden)]
enum MailJobs {
    Table,
    Id,
    JobKey,
    Kind,
    UserId,
    Week,
    PostId,
    Status,
    Attempts,
    LastError,
    DueAt,
    ClaimedBy,
    LeaseUntil,
    MessageId,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Threads::Table)
                    .add_column(timestamp_null(Threads::BestPracticeAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Preferences::Table)
                    .col(
                        ColumnDef::new(Preferences::UserId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Preferences::DigestEnabled)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Preferences::DigestWeekday)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Preferences::DigestHour).integer().not_null())
                    .col(
                        ColumnDef::new(Preferences::TimeZone)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Preferences::FollowSpaces).text().null())
                    .col(ColumnDef::new(Preferences::FollowTags).text().null())
                    .col(
                        ColumnDef::new(Preferences::NotifyReplies)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Preferences::NotifyWatched)
                            .boolean()
                            .not_null(),
                    )
                    .col(timestamp(Preferences::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Preferences::Table, Preferences::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadWatches::Table)
                    .col(ColumnDef::new(ThreadWatches::UserId).integer().not_null())
                    .col(ColumnDef::new(ThreadWatches::ThreadId).integer().not_null())
                    .col(
                        ColumnDef::new(ThreadWatches::State)
                            .string_len(8)
                            .not_null(),
                    )
                    .col(timestamp(ThreadWatches::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ThreadWatches::UserId)
                            .col(ThreadWatches::ThreadId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThreadWatches::Table, ThreadWatches::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ThreadWatches::Table, ThreadWatches::ThreadId)
                            .to(Threads::Table, Threads::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_thread_watches_thread",
                ThreadWatches::Table,
                vec![ThreadWatches::ThreadId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailJobs::Table)
                    .col(pk(MailJobs::Id))
                    .col(ColumnDef::new(MailJobs::JobKey).string_len(128).not_null())
                    .col(ColumnDef::new(MailJobs::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(MailJobs::UserId).integer().not_null())
                    .col(ColumnDef::new(MailJobs::Week).string_len(8).null())
                    .col(ColumnDef::new(MailJobs::PostId).integer().null())
                    .col(ColumnDef::new(MailJobs::Status).string_len(16).not_null())
                    .col(
                        ColumnDef::new(MailJobs::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(MailJobs::LastError).text().null())
                    .col(timestamp(MailJobs::DueAt))
                    .col(ColumnDef::new(MailJobs::ClaimedBy).string_len(64).null())
                    .col(timestamp_null(MailJobs::LeaseUntil))
                    .col(ColumnDef::new(MailJobs::MessageId).string_len(200).null())
                    .col(timestamp(MailJobs::CreatedAt))
                    .col(timestamp(MailJobs::UpdatedAt))
                    .col(timestamp_null(MailJobs::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailJobs::Table, MailJobs::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_mail_jobs_key",
                MailJobs::Table,
                vec![MailJobs::JobKey.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_mail_jobs_due",
                MailJobs::Table,
                vec![MailJobs::Status.into_iden(), MailJobs::DueAt.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_mail_jobs_user",
                MailJobs::Table,
                vec![
                    MailJobs::UserId.into_iden(),
                    MailJobs::Kind.into_iden(),
                    MailJobs::Status.into_iden(),
                ],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MailJobs::Table.into_iden(),
            ThreadWatches::Table.into_iden(),
            Preferences::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Threads::Table)
                    .drop_column(Threads::BestPracticeAt)
                    .to_owned(),
            )
            .await
    }
}
