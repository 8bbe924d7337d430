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
    /// `chief_officer`, `pcc`, `staff`, `supplier` or `admin`.
    pub role: String,
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
        .find_also_related(organisation::Entity)
        .all(db)
        .await?;
    Ok(users
        .into_iter()
        .map(|(u, org)| {
            let view = AuthorView {
                id: u.id,
                organisation: org.map(|o| o.name).unwrap_or_default(),
                display_name: u.display_name,
                job_title: u.job_title,
                role: u.role,
            };
            (view.id, view)
        })
        .collect())
}
