use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_studies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub thread_id: i32,
    pub service_area_id: i32,
    /// JSON array of names.
    pub forces: String,
    /// JSON array of names.
    pub suppliers: String,
    /// JSON array of contract-term keys.
    pub terms: String,
    pub contract_start: Option<Date>,
    pub contract_months: Option<i32>,
    pub contract_value: i64,
    pub annual_cost_before: i64,
    pub annual_cost_after: i64,
    pub saving_amount: i64,
    pub saving_percent: f64,
    pub outcomes: String,
    pub lessons: String,
    pub contact: String,
    pub source_document_id: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
