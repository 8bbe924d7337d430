use crate::m20261129_000001_organisations_and_users::Users;
use crate::{index, pk, timestamp};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Spaces {
    Table,
    Id,
    Slug,
    Name,
    Description,
    ReadRoles,
    PostRoles,
    MembersOnly,
    Archived,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SpaceMembers {
    Table,
    SpaceId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Spaces::Table)
                    .col(pk(Spaces::Id))
                    .col(ColumnDef::new(Spaces::Slug).string_len(64).not_null())
                    .col(ColumnDef::new(Spaces::Name).string_len(120).not_null())
                    .col(
                        ColumnDef::new(Spaces::Description)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    // Comma-separated role names, parsed by the server's `RoleSet`.
                    .col(ColumnDef::new(Spaces::ReadRoles).string_len(200).not_null())
                    .col(ColumnDef::new(Spaces::PostRoles).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Spaces::MembersOnly)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(Spaces::Archived)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(timestamp(Spaces::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_spaces_slug",
                Spaces::Table,
                vec![Spaces::Slug.into_iden()],
                true,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SpaceMembers::Table)
                    .col(ColumnDef::new(SpaceMembers::SpaceId).integer().not_null())
                    .col(ColumnDef::new(SpaceMembers::UserId).integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(SpaceMembers::SpaceId)
                            .col(SpaceMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_space_members_space")
                            .from(SpaceMembers::Table, SpaceMembers::SpaceId)
                            .to(Spaces::Table, Spaces::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_space_members_user")
                            .from(SpaceMembers::Table, SpaceMembers::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_space_members_user",
                SpaceMembers::Table,
                vec![SpaceMembers::UserId.into_iden()],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SpaceMembers::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Spaces::Table).to_owned())
            .await
    }
}
