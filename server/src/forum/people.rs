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
    /// `chief_officer`, `pcc`, `staff`, `supplier` or `admin`; `former_member` for someone who
    /// deleted their account (their organisation is then not shown either).
    pub role: String,
}

/// The organisation shown beside a person's name (and indexed with their posts): none for
/// someone who deleted their account, as a role and a force together can name them.
pub fn shown_organisation(person: &user::Model, org: Option<&organisation::Model>) -> String {
    match (person.anonymised_at, org) {
        (None, Some(o)) => o.name.clone(),
        _ => String::new(),
    }
}

/// The role shown for someone who deleted their account.
pub const FORMER_MEMBER_ROLE: &str = "former_member";

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
            let former = u.anonymised_at.is_some();
            let view = AuthorView {
                id: u.id,
                organisation: shown_organisation(&u, org.as_ref()),
                display_name: u.display_name,
                job_title: u.job_title,
                role: if former {
                    FORMER_MEMBER_ROLE.into()
                } else {
                    u.role
                },
            };
            (view.id, view)
        })
        .collect())
}

/// The organisations whose people have posted (and not deleted, nor deleted their account) in
/// each of `thread_ids`, by name, in one query.
pub async fn organisations_taking_part(
    db: &impl ConnectionTrait,
    thread_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, sea_orm::DbErr> {
    use crate::db::entities::post;
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::ExprTrait;
    if thread_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = Query::select()
        .distinct()
        .column((post::Entity, post::Column::ThreadId))
        .column((organisation::Entity, organisation::Column::Name))
        .from(post::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id))
                .equals((post::Entity, post::Column::AuthorId)),
        )
        .inner_join(
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((user::Entity, user::Column::OrganisationId)),
        )
        .and_where(Expr::col((post::Entity, post::Column::ThreadId)).is_in(thread_ids.to_vec()))
        .and_where(Expr::col((post::Entity, post::Column::DeletedAt)).is_null())
        .and_where(Expr::col((user::Entity, user::Column::AnonymisedAt)).is_null())
        .to_owned();
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for row in db.query_all(&stmt).await? {
        let thread: i32 = row.try_get_by_index(0)?;
        let name: String = row.try_get_by_index(1)?;
        out.entry(thread).or_default().push(name);
    }
    for names in out.values_mut() {
        names.sort();
    }
    Ok(out)
}
