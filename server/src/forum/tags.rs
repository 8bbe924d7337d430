//! Tags are shared by name across threads; a thread's tags are replaced as a set.
use crate::db::entities::{tag, thread_tag};
use crate::domain::TagList;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::ExprTrait;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Finds each tag by name (case-insensitively), creating the missing ones.
async fn ensure_tags(
    db: &impl ConnectionTrait,
    tags: &TagList,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    let mut ids = Vec::new();
    for t in tags.iter() {
        let lower = t.as_ref().to_lowercase();
        let existing = tag::Entity::find()
            .filter(Expr::expr(Func::lower(Expr::col(tag::Column::Name))).eq(lower.clone()))
            .one(db)
            .await?;
        let id = match existing {
            Some(found) => found.id,
            None => {
                tag::Entity::insert(tag::ActiveModel {
                    name: Set(t.as_ref().to_string()),
                    ..Default::default()
                })
                .on_conflict_do_nothing_on([tag::Column::Name])
                .exec_without_returning(db)
                .await?;
                tag::Entity::find()
                    .filter(tag::Column::Name.eq(t.as_ref()))
                    .one(db)
                    .await?
                    .map(|found| found.id)
                    .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("tag {t}")))?
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

pub async fn set_thread_tags(
    db: &impl ConnectionTrait,
    thread_id: i32,
    tags: &TagList,
) -> Result<(), sea_orm::DbErr> {
    thread_tag::Entity::delete_many()
        .filter(thread_tag::Column::ThreadId.eq(thread_id))
        .exec(db)
        .await?;
    let ids = ensure_tags(db, tags).await?;
    if ids.is_empty() {
        return Ok(());
    }
    thread_tag::Entity::insert_many(ids.into_iter().map(|tag_id| thread_tag::ActiveModel {
        thread_id: Set(thread_id),
        tag_id: Set(tag_id),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Tag names per thread, sorted, for a page of threads.
pub async fn tags_of(
    db: &impl ConnectionTrait,
    thread_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, sea_orm::DbErr> {
    if thread_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = thread_tag::Entity::find()
        .filter(thread_tag::Column::ThreadId.is_in(thread_ids.to_vec()))
        .find_also_related(tag::Entity)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for (link, found) in links {
        if let Some(t) = found {
            out.entry(link.thread_id).or_default().push(t.name);
        }
    }
    out.values_mut()
        .for_each(|v| v.sort_by_key(|n| n.to_lowercase()));
    Ok(out)
}

/// The ids of the threads carrying the tag `name` (compared case-insensitively), as a
/// subquery.
pub fn threads_tagged(name: &str) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column((thread_tag::Entity, thread_tag::Column::ThreadId))
        .from(thread_tag::Entity)
        .inner_join(
            tag::Entity,
            Expr::col((tag::Entity, tag::Column::Id))
                .equals((thread_tag::Entity, thread_tag::Column::TagId)),
        )
        .and_where(
            Expr::expr(Func::lower(Expr::col((tag::Entity, tag::Column::Name))))
                .eq(name.to_lowercase()),
        )
        .to_owned()
}
