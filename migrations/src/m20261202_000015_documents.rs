use crate::{index, pk, timestamp, timestamp_null};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Shared material: a document in a space's library (or attached to a post), and its
/// versions. A version's file lives in the content-addressed store under its SHA-256; its
/// extracted text is kept here, so the search index can be rebuilt from the database alone.
#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    SpaceId,
    ThreadId,
    PostId,
    Title,
    Summary,
    Marking,
    OwnerId,
    OrganisationId,
    CurrentVersionId,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum DocumentVersions {
    Table,
    Id,
    DocumentId,
    Number,
    BlobKey,
    SizeBytes,
    FileType,
    Filename,
    UploadedBy,
    CreatedAt,
    /// `pending`, `done` or `failed`.
    Extraction,
    ExtractionError,
    ExtractionAttempts,
    ExtractedText,
    ExtractedAt,
}

#[derive(DeriveIden)]
enum Spaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(pk(Documents::Id))
                    .col(ColumnDef::new(Documents::SpaceId).integer().not_null())
                    .col(ColumnDef::new(Documents::ThreadId).integer().null())
                    .col(ColumnDef::new(Documents::PostId).integer().null())
                    .col(ColumnDef::new(Documents::Title).string_len(200).not_null())
                    .col(
                        ColumnDef::new(Documents::Summary)
                            .text()
                            .not_null()
                            .default(""),
                    )
                    .col(ColumnDef::new(Documents::Marking).string_len(32).not_null())
                    .col(ColumnDef::new(Documents::OwnerId).integer().not_null())
                    .col(ColumnDef::new(Documents::OrganisationId).integer().null())
                    .col(ColumnDef::new(Documents::CurrentVersionId).integer().null())
                    .col(timestamp(Documents::CreatedAt))
                    .col(timestamp(Documents::UpdatedAt))
                    .col(timestamp_null(Documents::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documents_space")
                            .from(Documents::Table, Documents::SpaceId)
                            .to(Spaces::Table, Spaces::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_documents_owner")
                            .from(Documents::Table, Documents::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_documents_space",
                Documents::Table,
                vec![Documents::SpaceId.into_iden(), Documents::Id.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_documents_thread",
                Documents::Table,
                vec![Documents::ThreadId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_documents_post",
                Documents::Table,
                vec![Documents::PostId.into_iden()],
                false,
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DocumentVersions::Table)
                    .col(pk(DocumentVersions::Id))
                    .col(
                        ColumnDef::new(DocumentVersions::DocumentId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::Number)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::BlobKey)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::FileType)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::Filename)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::UploadedBy)
                            .integer()
                            .not_null(),
                    )
                    .col(timestamp(DocumentVersions::CreatedAt))
                    .col(
                        ColumnDef::new(DocumentVersions::Extraction)
                            .string_len(16)
                            .not_null()
                            .default("pending"),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::ExtractionError)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::ExtractionAttempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(DocumentVersions::ExtractedText)
                            .text()
                            .null(),
                    )
                    .col(timestamp_null(DocumentVersions::ExtractedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_document_versions_document")
                            .from(DocumentVersions::Table, DocumentVersions::DocumentId)
                            .to(Documents::Table, Documents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_document_versions_uploader")
                            .from(DocumentVersions::Table, DocumentVersions::UploadedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ux_document_versions_number",
                DocumentVersions::Table,
                vec![
                    DocumentVersions::DocumentId.into_iden(),
                    DocumentVersions::Number.into_iden(),
                ],
                true,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_document_versions_extraction",
                DocumentVersions::Table,
                vec![
                    DocumentVersions::Extraction.into_iden(),
                    DocumentVersions::Id.into_iden(),
                ],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "ix_document_versions_uploader_day",
                DocumentVersions::Table,
                vec![
                    DocumentVersions::UploadedBy.into_iden(),
                    DocumentVersions::CreatedAt.into_iden(),
                ],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentVersions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Documents::Table).to_owned())
            .await
    }
}
