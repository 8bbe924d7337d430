//! Reads what the index needs from the database: one `SearchDocument` per live post, with its
//! thread's title, tags, marking and flags and its author's name and organisation copied in.
use crate::db::entities::{organisation, post, space, thread, user};
use crate::forum::tags::tags_of;
use crate::markdown;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use search_index::SearchDocument;
use std::collections::HashMap;

/// The columns of a post the index needs (not the stored HTML, which is the larger half).
#[derive(Debug, FromQueryResult)]
struct PostRow {
    id: i32,
    thread_id: i32,
    author_id: i32,
    body_text: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn post_rows() -> sea_orm::Select<post::Entity> {
    post::Entity::find().select_only().columns([
        post::Column::Id,
        post::Column::ThreadId,
        post::Column::AuthorId,
        post::Column::BodyText,
        post::Column::CreatedAt,
        post::Column::DeletedAt,
    ])
}

/// Builds documents for `posts` (deleted posts give none).
async fn documents(
    db: &impl ConnectionTrait,
    posts: Vec<PostRow>,
) -> Result<Vec<SearchDocument>, sea_orm::DbErr> {
    let live: Vec<PostRow> = posts
        .into_iter()
        .filter(|p| p.deleted_at.is_none())
        .collect();
    if live.is_empty() {
        return Ok(Vec::new());
    }
    let mut thread_ids: Vec<i32> = live.iter().map(|p| p.thread_id).collect();
    thread_ids.sort_unstable();
    thread_ids.dedup();
    let threads: HashMap<i32, (thread::Model, Option<space::Model>)> = thread::Entity::find()
        .filter(thread::Column::Id.is_in(thread_ids.clone()))
        .find_also_related(space::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(t, s)| (t.id, (t, s)))
        .collect();
    let mut user_ids: Vec<i32> = live.iter().map(|p| p.author_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let users: HashMap<i32, (user::Model, Option<organisation::Model>)> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .find_also_related(organisation::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(u, o)| (u.id, (u, o)))
        .collect();
    // Posts written before plain text was kept: derive it from their Markdown.
    let missing: Vec<i32> = live
        .iter()
        .filter(|p| p.body_text.is_none())
        .map(|p| p.id)
        .collect();
    let older: HashMap<i32, String> = if missing.is_empty() {
        HashMap::new()
    } else {
        post::Entity::find()
            .filter(post::Column::Id.is_in(missing))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, markdown::plain_text(&p.body_markdown)))
            .collect()
    };
    let tags = tags_of(db, &thread_ids).await?;
    let cases = crate::case_studies::store::of_threads(db, &thread_ids).await?;
    let areas: HashMap<i32, String> = crate::case_studies::store::service_areas(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.slug))
        .collect();
    let endorsed = crate::best_practice::store::of_threads(db, &thread_ids).await?;
    Ok(live
        .into_iter()
        .filter_map(|p| {
            let (t, s) = threads.get(&p.thread_id)?;
            let s = s.as_ref()?;
            let (author, org) = users.get(&p.author_id)?;
            Some(SearchDocument {
                post_id: p.id,
                thread_id: t.id,
                space_id: s.id,
                space_slug: s.slug.clone(),
                thread_title: t.title.clone(),
                body_text: p
                    .body_text
                    .clone()
                    .or_else(|| older.get(&p.id).cloned())
                    .unwrap_or_default(),
                tags: tags.get(&t.id).cloned().unwrap_or_default(),
                author: author.display_name.clone(),
                author_email: author.email.clone(),
                organisation: crate::forum::people::shown_organisation(author, org.as_ref()),
                marking: t.marking.clone(),
                best_practice: t.best_practice,
                superseded: endorsed.get(&t.id).is_some_and(|e| {
                    crate::best_practice::store::status_of(e)
                        == crate::best_practice::Status::Superseded
                }),
                case_study: cases.get(&t.id).map(|c| search_index::CaseStudyFacts {
                    area: areas.get(&c.service_area_id).cloned().unwrap_or_default(),
                    suppliers: crate::case_studies::store::list(&c.suppliers),
                    saving_percent: c.saving_percent,
                    contract_value: c.contract_value,
                }),
                created_at: p.created_at.timestamp(),
                ..SearchDocument::default()
            })
        })
        .collect())
}

/// Current documents for these posts; a post missing from the answer is deleted or gone.
pub async fn for_posts(
    db: &impl ConnectionTrait,
    post_ids: &[i32],
) -> Result<Vec<SearchDocument>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for chunk in post_ids.chunks(500) {
        let posts = post_rows()
            .filter(post::Column::Id.is_in(chunk.to_vec()))
            .into_model::<PostRow>()
            .all(db)
            .await?;
        out.extend(documents(db, posts).await?);
    }
    Ok(out)
}

/// Current documents for every live post of these threads.
pub async fn for_threads(
    db: &impl ConnectionTrait,
    thread_ids: &[i32],
) -> Result<Vec<SearchDocument>, sea_orm::DbErr> {
    let mut out = Vec::new();
    for chunk in thread_ids.chunks(200) {
        let posts = post_rows()
            .filter(post::Column::ThreadId.is_in(chunk.to_vec()))
            .into_model::<PostRow>()
            .all(db)
            .await?;
        out.extend(documents(db, posts).await?);
    }
    Ok(out)
}

/// One batch of a full read: the documents, how many post rows were read (deleted ones give
/// no document) and the last id read (`None` when nothing was left).
pub struct Batch {
    pub documents: Vec<SearchDocument>,
    pub rows: u64,
    pub last: Option<i32>,
}

/// The next batch of posts after `after_id` in id order, as documents.
///
/// The batch's rows come back from the database as one JSON array in one row: a full rebuild
/// reads every post, and handing rows over one by one (what a plain query does) cost more
/// than reading them.
pub async fn batch_after(
    db: &impl ConnectionTrait,
    after_id: i32,
    limit: u64,
) -> Result<Batch, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let (aggregate, params) = match backend {
        sea_orm::DbBackend::Postgres => (
            "COALESCE(json_agg(json_build_array(id, thread_id, author_id, body_text, \
             created_at, deleted_at))::text, '[]')",
            ("$1", "$2"),
        ),
        _ => (
            "json_group_array(json_array(id, thread_id, author_id, body_text, created_at, \
             deleted_at))",
            ("?", "?"),
        ),
    };
    let sql = format!(
        "SELECT {aggregate} AS rows FROM (SELECT id, thread_id, author_id, body_text, \
         created_at, deleted_at FROM posts WHERE id > {} ORDER BY id LIMIT {}) p",
        params.0, params.1
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let raw: String = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [after_id.into(), limit.into()],
        ))
        .await?
        .map(|row| row.try_get::<String>("", "rows"))
        .transpose()?
        .unwrap_or_else(|| "[]".to_string());
    type RawRow = (i32, i32, i32, Option<String>, String, Option<String>);
    let parsed: Vec<RawRow> = serde_json::from_str(&raw)
        .map_err(|e| sea_orm::DbErr::Custom(format!("reading a batch of posts: {e}")))?;
    let mut posts = Vec::with_capacity(parsed.len());
    for (id, thread_id, author_id, body_text, created_at, deleted) in parsed {
        posts.push(PostRow {
            id,
            thread_id,
            author_id,
            body_text,
            created_at: json_time(id, &created_at)?,
            deleted_at: deleted.map(|d| json_time(id, &d)).transpose()?,
        });
    }
    let last = posts.iter().map(|p| p.id).max();
    let rows = posts.len() as u64;
    Ok(Batch {
        documents: documents(db, posts).await?,
        rows,
        last,
    })
}

/// A time as the database writes it in JSON: RFC 3339 (SQLite's stored text, PostgreSQL's
/// `timestamptz`).
fn json_time(post_id: i32, raw: &str) -> Result<chrono::DateTime<chrono::Utc>, sea_orm::DbErr> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| sea_orm::DbErr::Custom(format!("post {post_id}: time {raw:?}: {e}")))
}

/// Live posts: what a complete index holds.
pub async fn count_posts(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    post::Entity::find()
        .filter(post::Column::DeletedAt.is_null())
        .count(db)
        .await
}

/// Every post row, deleted or not: what a full read goes through. Cheaper than `count_posts`,
/// which must look at each row.
pub async fn count_rows(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    post::Entity::find().count(db).await
}
