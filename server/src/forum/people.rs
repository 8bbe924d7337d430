//! Author details shown beside threads and posts, loaded in one batch per page.
use crate::db::entities::{organisation, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthorView {
    pub id: i32,
    pub display_name: String,
    pub job_title: String,
    pub organisation: String,
}

pub async fn authors(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, AuthorView>, sea_orm::DbErr> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut org_ids: Vec<i32> = users.iter().map(|u| u.organisation_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let orgs: HashMap<i32, String> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(users
        .into_iter()
        .map(|u| {
            let view = AuthorView {
                id: u.id,
                organisation: orgs.get(&u.organisation_id).cloned().unwrap_or_default(),
                display_name: u.display_name,
                job_title: u.job_title,
            };
            (view.id, view)
        })
        .collect())
}
