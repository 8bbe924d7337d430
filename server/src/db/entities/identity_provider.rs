use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    /// Exactly as the provider's discovery document gives it.
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the provider-secrets key (`auth::keys::Purpose::ProviderSecrets`).
    pub client_secret_sealed: String,
    /// Entra ID's directory (tenant) id: tokens must carry it as `tid`.
    pub tenant_id: Option<String>,
    /// An unknown person from this organisation gets an account at once (else a request).
    pub auto_admit: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
