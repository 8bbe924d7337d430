use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The account it signs in to; `None` while it belongs to a request for an account.
    pub user_id: Option<i32>,
    pub registration_id: Option<i32>,
    pub provider_id: i32,
    pub issuer: String,
    pub subject: String,
    /// Entra ID's `tid` and `oid`, which name a person for good.
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
