//! Reads what the index needs of shared documents: one `SearchDocument` per live document,
//! with its current version's extracted text, its space, owner and organisation.
use crate::db::entities::{document, document_version, organisation, space, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use search_index::SearchDocument;
use std::collections::HashMap;

/// Current documents for these ids; an id missing from the answer is deleted or gone.
pub async fn for_documents(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<Vec<SearchDocument>, sea_orm::DbErr> {
    let mut out = Vec::new();
    // Each may carry megabytes of text: a few at a time.
    for chunk in ids.chunks(20) {
        let docs = document::Entity::find()
            .filter(document::Column::Id.is_in(chunk.to_vec()))
            .filter(document::Column::DeletedAt.is_null())
            .all(db)
            .await?;
        out.extend(build(db, docs).await?);
    }
    Ok(out)
}

/// Every live document with an id above `after`, `limit` at a time (for a rebuild), and the
/// last id read.
pub async fn batch_after(
    db: &impl ConnectionTrait,
    after: i32,
    limit: u64,
) -> Result<(Vec<SearchDocument>, Option<i32>), sea_orm::DbErr> {
    use sea_orm::QueryOrder;
    let docs = document::Entity::find()
        .filter(document::Column::Id.gt(after))
        .order_by_asc(document::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let last = docs.last().map(|d| d.id);
    let live = docs
        .into_iter()
        .filter(|d| d.deleted_at.is_none())
        .collect();
    Ok((build(db, live).await?, last))
}

async fn build(
    db: &impl ConnectionTrait,
    docs: Vec<document::Model>,
) -> Result<Vec<SearchDocument>, sea_orm::DbErr> {
    // An attachment goes with its post: a deleted post's documents are not indexed.
    let post_ids: Vec<i32> = docs.iter().filter_map(|d| d.post_id).collect();
    let deleted_posts = crate::forum::posts::deleted_among(db, post_ids).await?;
    let docs: Vec<document::Model> = docs
        .into_iter()
        .filter(|d| d.post_id.is_none_or(|p| !deleted_posts.contains(&p)))
        .collect();
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let version_ids: Vec<i32> = docs.iter().filter_map(|d| d.current_version_id).collect();
    let versions: HashMap<i32, document_version::Model> = document_version::Entity::find()
        .filter(document_version::Column::Id.is_in(version_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let space_ids: Vec<i32> = docs.iter().map(|d| d.space_id).collect();
    let spaces: HashMap<i32, space::Model> = space::Entity::find()
        .filter(space::Column::Id.is_in(space_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let owner_ids: Vec<i32> = docs.iter().map(|d| d.owner_id).collect();
    let owners: HashMap<i32, (user::Model, Option<organisation::Model>)> = user::Entity::find()
        .filter(user::Column::Id.is_in(owner_ids))
        .find_also_related(organisation::Entity)
        .all(db)
        .await?
        .into_iter()
        .map(|(u, o)| (u.id, (u, o)))
        .collect();
    let ids: Vec<i32> = docs.iter().map(|d| d.id).collect();
    let endorsed = crate::best_practice::store::of_documents(db, &ids).await?;
    Ok(docs
        .into_iter()
        .filter_map(|d| {
            let standing = endorsed
                .get(&d.id)
                .map(crate::best_practice::store::status_of);
            let space = spaces.get(&d.space_id)?;
            let version = versions.get(&d.current_version_id?)?;
            let (owner, org) = owners.get(&d.owner_id)?;
            let mut body = d.summary.clone();
            if let Some(text) = &version.extracted_text {
                body.push('\n');
                body.push_str(text);
            }
            Some(SearchDocument {
                document_id: d.id,
                file_type: version.file_type.clone(),
                space_id: space.id,
                space_slug: space.slug.clone(),
                thread_title: d.title.clone(),
                body_text: body,
                author: owner.display_name.clone(),
                author_email: owner.email.clone(),
                organisation: crate::forum::people::shown_organisation(owner, org.as_ref()),
                marking: d.marking.clone(),
                best_practice: standing.is_some(),
                superseded: standing == Some(crate::best_practice::Status::Superseded),
                created_at: version.created_at.timestamp(),
                ..SearchDocument::default()
            })
        })
        .collect())
}

/// Live documents: what a complete index holds beside the posts.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    document::Entity::find()
        .filter(document::Column::DeletedAt.is_null())
        .count(db)
        .await
}
