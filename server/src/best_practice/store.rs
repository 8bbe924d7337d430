//! Endorsement rows: find, write, withdraw, and the lists that read them.
use super::{Item, Status};
use crate::db::entities::{endorsement, thread};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

fn of_item(item: Item) -> sea_orm::Select<endorsement::Entity> {
    match item {
        Item::Thread(id) => {
            endorsement::Entity::find().filter(endorsement::Column::ThreadId.eq(id))
        }
        Item::Document(id) => {
            endorsement::Entity::find().filter(endorsement::Column::DocumentId.eq(id))
        }
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    item: Item,
) -> Result<Option<endorsement::Model>, sea_orm::DbErr> {
    of_item(item).one(db).await
}

pub fn status_of(row: &endorsement::Model) -> Status {
    Status::parse(&row.status).unwrap_or(Status::Current)
}

pub fn successor_of(row: &endorsement::Model) -> Option<Item> {
    row.succeeded_by_thread_id
        .map(Item::Thread)
        .or(row.succeeded_by_document_id.map(Item::Document))
}

/// What an endorsement says.
#[derive(Debug, Clone)]
pub struct Terms {
    pub owner_id: i32,
    pub review_due: NaiveDate,
    pub status: Status,
    pub successor: Option<Item>,
}

async fn mirror_thread_flag(
    db: &impl ConnectionTrait,
    item: Item,
    endorsed: bool,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if let Item::Thread(id) = item {
        let at: Option<DateTime<Utc>> = endorsed.then_some(now);
        thread::Entity::update_many()
            .filter(thread::Column::Id.eq(id))
            .filter(thread::Column::BestPractice.eq(!endorsed))
            .col_expr(thread::Column::BestPractice, Expr::value(endorsed))
            .col_expr(thread::Column::BestPracticeAt, Expr::value(at))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Creates or replaces the endorsement of `item`.
pub async fn write(
    db: &impl ConnectionTrait,
    item: Item,
    terms: &Terms,
    by: i32,
    now: DateTime<Utc>,
) -> Result<endorsement::Model, sea_orm::DbErr> {
    let (succ_thread, succ_document) = match terms.successor {
        Some(Item::Thread(id)) => (Some(id), None),
        Some(Item::Document(id)) => (None, Some(id)),
        None => (None, None),
    };
    let written = match find(db, item).await? {
        Some(existing) => {
            let mut row: endorsement::ActiveModel = existing.into();
            row.owner_id = Set(terms.owner_id);
            row.review_due = Set(terms.review_due);
            row.status = Set(terms.status.as_str().to_string());
            row.succeeded_by_thread_id = Set(succ_thread);
            row.succeeded_by_document_id = Set(succ_document);
            row.updated_at = Set(now);
            row.update(db).await?
        }
        None => {
            let (thread_id, document_id) = match item {
                Item::Thread(id) => (Some(id), None),
                Item::Document(id) => (None, Some(id)),
            };
            endorsement::ActiveModel {
                thread_id: Set(thread_id),
                document_id: Set(document_id),
                owner_id: Set(terms.owner_id),
                review_due: Set(terms.review_due),
                status: Set(terms.status.as_str().to_string()),
                succeeded_by_thread_id: Set(succ_thread),
                succeeded_by_document_id: Set(succ_document),
                endorsed_by: Set(by),
                endorsed_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    // The flag means "recommended now": a superseded thread is in the library, not badged.
    mirror_thread_flag(db, item, terms.status != Status::Superseded, now).await?;
    Ok(written)
}

/// Withdraws the endorsement of `item`; true if there was one.
pub async fn withdraw(
    db: &impl ConnectionTrait,
    item: Item,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let removed = match item {
        Item::Thread(id) => {
            endorsement::Entity::delete_many()
                .filter(endorsement::Column::ThreadId.eq(id))
                .exec(db)
                .await?
        }
        Item::Document(id) => {
            endorsement::Entity::delete_many()
                .filter(endorsement::Column::DocumentId.eq(id))
                .exec(db)
                .await?
        }
    };
    mirror_thread_flag(db, item, false, now).await?;
    Ok(removed.rows_affected > 0)
}

/// The endorsements whose `column` (thread or document id) is among `ids`, by that id.
async fn of_items(
    db: &impl ConnectionTrait,
    column: endorsement::Column,
    ids: &[i32],
) -> Result<HashMap<i32, endorsement::Model>, sea_orm::DbErr> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in endorsement::Entity::find()
            .filter(column.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let key = match column {
                endorsement::Column::ThreadId => row.thread_id,
                _ => row.document_id,
            };
            if let Some(id) = key {
                out.insert(id, row);
            }
        }
    }
    Ok(out)
}

/// The endorsements of these threads, by thread id.
pub async fn of_threads(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, endorsement::Model>, sea_orm::DbErr> {
    of_items(db, endorsement::Column::ThreadId, ids).await
}

/// The endorsements of these documents, by document id.
pub async fn of_documents(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, endorsement::Model>, sea_orm::DbErr> {
    of_items(db, endorsement::Column::DocumentId, ids).await
}

/// Every endorsement, soonest review first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<endorsement::Model>, sea_orm::DbErr> {
    endorsement::Entity::find()
        .order_by_asc(endorsement::Column::ReviewDue)
        .order_by_asc(endorsement::Column::Id)
        .all(db)
        .await
}

/// The endorsements `owner_id` owns that are not superseded and fall due by `by`.
pub async fn due_for(
    db: &impl ConnectionTrait,
    owner_id: i32,
    by: NaiveDate,
) -> Result<Vec<endorsement::Model>, sea_orm::DbErr> {
    endorsement::Entity::find()
        .filter(endorsement::Column::OwnerId.eq(owner_id))
        .filter(endorsement::Column::ReviewDue.lte(by))
        .filter(endorsement::Column::Status.ne(Status::Superseded.as_str()))
        .order_by_asc(endorsement::Column::ReviewDue)
        .all(db)
        .await
}

/// An endorsed item whose review falls due, as the digest lists it.
#[derive(Debug, Clone)]
pub struct DueItem {
    pub item: Item,
    pub title: String,
    pub space_id: i32,
    pub marking: String,
    pub review_due: NaiveDate,
}

/// What `owner_id` owns that falls due by `by` (not superseded), with titles and spaces; items
/// deleted since are left out.
pub async fn due_items(
    db: &impl ConnectionTrait,
    owner_id: i32,
    by: NaiveDate,
) -> Result<Vec<DueItem>, sea_orm::DbErr> {
    use crate::db::entities::document;
    let mut out = Vec::new();
    for row in due_for(db, owner_id, by).await? {
        if let Some(id) = row.thread_id {
            if let Some(t) = thread::Entity::find_by_id(id).one(db).await? {
                out.push(DueItem {
                    item: Item::Thread(id),
                    title: t.title,
                    space_id: t.space_id,
                    marking: t.marking,
                    review_due: row.review_due,
                });
            }
        } else if let Some(id) = row.document_id {
            let found = document::Entity::find_by_id(id).one(db).await?;
            if let Some(d) = crate::use_cases::documents::live(db, found.into_iter().collect())
                .await?
                .into_iter()
                .next()
            {
                out.push(DueItem {
                    item: Item::Document(id),
                    title: d.title,
                    space_id: d.space_id,
                    marking: d.marking,
                    review_due: row.review_due,
                });
            }
        }
    }
    Ok(out)
}
