use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub organisation_id: i32,
    pub token_hash: String,
    /// `unverified`, `pending`, `sponsored`, `approved` or `denied`.
    pub status: String,
    pub created_at: DateTimeUtc,
    /// When the emailed link stops working.
    pub expires_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    /// The chief officer or PCC who sponsored a supplier's request.
    pub sponsored_by: Option<i32>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was refused, as told to the person.
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
