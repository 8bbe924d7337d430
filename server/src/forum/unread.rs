//! What someone has not read: a thread is unread when it was active since the person last
//! read it (or, never read, active since the person joined or within the last 30 days).
use crate::db::entities::{post, thread, thread_read};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, Func, JoinType, Query, SelectStatement};
use sea_orm::{ConnectionTrait, ExprTrait};
use std::collections::{HashMap, HashSet};

/// How far back a thread never read counts as unread.
pub fn since(joined: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    std::cmp::max(joined, now - chrono::Duration::days(30))
}

/// Threads in `space_ids` active after `since` and not read since, with the read row joined.
fn unread_threads(user_id: i32, space_ids: &[i32], since: DateTime<Utc>) -> SelectStatement {
    let read_at = Expr::col((thread_read::Entity, thread_read::Column::ReadAt));
    let active_at = Expr::col((thread::Entity, thread::Column::LastActivityAt));
    Query::select()
        .from(thread::Entity)
        .join(
            JoinType::LeftJoin,
            thread_read::Entity,
            Condition::all()
                .add(
                    Expr::col((thread_read::Entity, thread_read::Column::ThreadId))
                        .equals((thread::Entity, thread::Column::Id)),
                )
                .add(Expr::col((thread_read::Entity, thread_read::Column::UserId)).eq(user_id)),
        )
        .and_where(Expr::col((thread::Entity, thread::Column::SpaceId)).is_in(space_ids.to_vec()))
        .and_where(active_at.clone().gt(since))
        .cond_where(
            Condition::any()
                .add(read_at.clone().is_null())
                .add(read_at.lt(active_at)),
        )
        .to_owned()
}

/// The number of unread threads in each of `space_ids`.
pub async fn counts_by_space(
    db: &impl ConnectionTrait,
    user_id: i32,
    space_ids: &[i32],
    since: DateTime<Utc>,
) -> Result<HashMap<i32, u64>, sea_orm::DbErr> {
    if space_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = unread_threads(user_id, space_ids, since)
        .column((thread::Entity, thread::Column::SpaceId))
        .expr(Func::count(Expr::col((thread::Entity, thread::Column::Id))))
        .group_by_col((thread::Entity, thread::Column::SpaceId))
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    let mut out = HashMap::new();
    for row in rows {
        let space: i32 = row.try_get_by_index(0)?;
        let n: i64 = row.try_get_by_index(1)?;
        out.insert(space, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// Which of `thread_ids` are unread.
pub async fn among(
    db: &impl ConnectionTrait,
    user_id: i32,
    space_ids: &[i32],
    thread_ids: &[i32],
    since: DateTime<Utc>,
) -> Result<HashSet<i32>, sea_orm::DbErr> {
    if thread_ids.is_empty() || space_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let stmt = unread_threads(user_id, space_ids, since)
        .column((thread::Entity, thread::Column::Id))
        .and_where(Expr::col((thread::Entity, thread::Column::Id)).is_in(thread_ids.to_vec()))
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    rows.into_iter()
        .map(|row| row.try_get_by_index::<i32>(0))
        .collect()
}

/// The ids of unread threads in `space_ids` that the person has posted in, most recently
/// active first: "new replies in your threads".
pub async fn with_new_replies(
    db: &impl ConnectionTrait,
    user_id: i32,
    space_ids: &[i32],
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i32>, sea_orm::DbErr> {
    if space_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mine = Query::select()
        .column((post::Entity, post::Column::ThreadId))
        .from(post::Entity)
        .and_where(Expr::col((post::Entity, post::Column::AuthorId)).eq(user_id))
        .to_owned();
    let stmt = unread_threads(user_id, space_ids, since)
        .column((thread::Entity, thread::Column::Id))
        .and_where(Expr::col((thread::Entity, thread::Column::Id)).in_subquery(mine))
        .order_by(
            (thread::Entity, thread::Column::LastActivityAt),
            sea_orm::Order::Desc,
        )
        .limit(limit)
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    rows.into_iter()
        .map(|row| row.try_get_by_index::<i32>(0))
        .collect()
}
