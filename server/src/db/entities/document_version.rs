use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "document_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub document_id: i32,
    pub number: i32,
    pub blob_key: String,
    pub size_bytes: i64,
    pub file_type: String,
    pub filename: String,
    pub uploaded_by: i32,
    pub created_at: DateTimeUtc,
    pub extraction: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub extraction_error: Option<String>,
    pub extraction_attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub extracted_text: Option<String>,
    pub extracted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
