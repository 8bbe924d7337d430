use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_key: String,
    pub kind: String,
    pub user_id: i32,
    pub week: Option<String>,
    pub post_id: Option<i32>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub due_at: DateTimeUtc,
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub message_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
