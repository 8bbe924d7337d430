use crate::m20261129_000001_organisations_and_users::Users;
use crate::m20261129_000003_spaces::Spaces;
use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Threads {
    Table,
    Id,
    SpaceId,
    Title,
    AuthorId,
    Marking,
    Pinned,
    Locked,
    BestPractice,
    PostCount,
    CreatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum Tags {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum ThreadTags {
    Table,
    ThreadId,
    TagId,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    ThreadId,
    ParentId,
    AuthorId,
    BodyMarkdown,
    BodyHtml,
    CreatedAt,
    EditedAt,
    DeletedAt,
    DeletedBy,
}

#[derive(DeriveIden)]
enum PostRevisions {
    Table,
    Id,
    PostId,
    BodyMarkdown,
    BodyHtml,
    EditedBy,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Threads::Table)
                    .col(pk(Threads::Id))
                    .col(ColumnDef::new(Threads::SpaceId).integer().not_null())
                    .col(ColumnDef::new(Threads::Title).string_len(400).not_null())
                    .col(ColumnDef::new(Threads::AuthorId).integer().not_null())
                    .col(ColumnDef::new(Threads::Marking).string_len(32).not_null())
                    .col(
                        ColumnDef::new(Threads::Pinned)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Threads::Locked)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Threads::BestPractice)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Threads::PostCount)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(timestamp(Threads::CreatedAt))
                    .col(timestamp(Threads::LastActivityAt))
                    .foreign_key(&mut fk(
                        "fk_threads_space",
                        (Threads::Table, Threads::SpaceId),
                        (Spaces::Table, Spaces::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_threads_author",
                        (Threads::Table, Threads::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The space page lists pinned threads first, then by last activity, newest first.
        manager
            .create_index(index(
                "ix_threads_space_activity",
                Threads::Table,
                vec![
                    Threads::SpaceId.into_iden(),
                    Threads::Pinned.into_iden(),
                    Threads::LastActivityAt.into_iden(),
                    Threads::Id.into_iden(),
                ],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_threads_author",
                Threads::Table,
                vec![Threads::AuthorId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_threads_last_activity",
                Threads::Table,
                vec![Threads::LastActivityAt.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tags::Table)
                    .col(pk(Tags::Id))
                    .col(ColumnDef::new(Tags::Name).string_len(40).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_tags_name",
                Tags::Table,
                vec![Tags::Name.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThreadTags::Table)
                    .col(ColumnDef::new(ThreadTags::ThreadId).integer().not_null())
                    .col(ColumnDef::new(ThreadTags::TagId).integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(ThreadTags::ThreadId)
                            .col(ThreadTags::TagId),
                    )
                    .foreign_key(&mut fk(
                        "fk_thread_tags_thread",
                        (ThreadTags::Table, ThreadTags::ThreadId),
                        (Threads::Table, Threads::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_thread_tags_tag",
                        (ThreadTags::Table, ThreadTags::TagId),
                        (Tags::Table, Tags::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_thread_tags_tag",
                ThreadTags::Table,
                vec![ThreadTags::TagId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(pk(Posts::Id))
                    .col(ColumnDef::new(Posts::ThreadId).integer().not_null())
                    .col(ColumnDef::new(Posts::ParentId).integer().null())
                    .col(ColumnDef::new(Posts::AuthorId).integer().not_null())
                    .col(ColumnDef::new(Posts::BodyMarkdown).text().not_null())
                    .col(ColumnDef::new(Posts::BodyHtml).text().not_null())
                    .col(timestamp(Posts::CreatedAt))
                    .col(timestamp_null(Posts::EditedAt))
                    .col(timestamp_null(Posts::DeletedAt))
                    .col(ColumnDef::new(Posts::DeletedBy).integer().null())
                    .foreign_key(&mut fk(
                        "fk_posts_thread",
                        (Posts::Table, Posts::ThreadId),
                        (Threads::Table, Threads::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_posts_parent",
                        (Posts::Table, Posts::ParentId),
                        (Posts::Table, Posts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_posts_author",
                        (Posts::Table, Posts::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_posts_deleted_by",
                        (Posts::Table, Posts::DeletedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_posts_thread",
                Posts::Table,
                vec![Posts::ThreadId.into_iden(), Posts::Id.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_posts_author",
                Posts::Table,
                vec![Posts::AuthorId.into_iden()],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PostRevisions::Table)
                    .col(pk(PostRevisions::Id))
                    .col(ColumnDef::new(PostRevisions::PostId).integer().not_null())
                    .col(
                        ColumnDef::new(PostRevisions::BodyMarkdown)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PostRevisions::BodyHtml).text().not_null())
                    .col(ColumnDef::new(PostRevisions::EditedBy).integer().not_null())
                    .col(timestamp(PostRevisions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_post_revisions_post",
                        (PostRevisions::Table, PostRevisions::PostId),
                        (Posts::Table, Posts::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_post_revisions_editor",
                        (PostRevisions::Table, PostRevisions::EditedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_post_revisions_post",
                PostRevisions::Table,
                vec![PostRevisions::PostId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PostRevisions::Table.into_iden(),
            Posts::Table.into_iden(),
            ThreadTags::Table.into_iden(),
            Tags::Table.into_iden(),
            Threads::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
