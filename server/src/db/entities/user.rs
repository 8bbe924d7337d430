use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub organisation_id: i32,
    pub job_title: String,
    pub disabled: bool,
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
    /// Portfolio keys from `domain::portfolio`, comma-separated.
    pub portfolios: String,
    /// What the person's feed links are signed with; a new one cuts off the old links.
    pub feed_secret: Option<String>,
    /// When the person deleted their account: their personal fields are wiped and they are
    /// shown as a former member.
    pub anonymised_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organisation::Entity",
        from = "Column::OrganisationId",
        to = "super::organisation::Column::Id"
    )]
    Organisation,
}

impl Related<super::organisation::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organisation.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
