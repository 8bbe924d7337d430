use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "preferences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub digest_enabled: bool,
    pub digest_weekday: i32,
    pub digest_hour: i32,
    pub time_zone: String,
    pub follow_spaces: Option<String>,
    pub follow_tags: Option<String>,
    pub notify_replies: bool,
    pub notify_watched: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
