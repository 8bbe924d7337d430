use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endorsements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub thread_id: Option<i32>,
    pub document_id: Option<i32>,
    pub owner_id: i32,
    pub review_due: Date,
    /// `current`, `under_review` or `superseded`.
    pub status: String,
    pub succeeded_by_thread_id: Option<i32>,
    pub succeeded_by_document_id: Option<i32>,
    pub endorsed_by: i32,
    pub endorsed_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
