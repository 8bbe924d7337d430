use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_flows")]
pub struct Model {
    /// SHA-256 of the `state` sent to the provider.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub provider_id: i32,
    /// SHA-256 of what ties the flow to the browser that began it.
    pub browser_hash: String,
    /// `sign_in` or `link`.
    pub purpose: String,
    /// Whose account a `link` flow adds the identity to.
    pub user_id: Option<i32>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
