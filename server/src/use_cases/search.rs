//! Searching what the viewer may read: threads and posts, each thread once with its best
//! post, with facets to narrow by. The permission filter is applied inside the index query.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::best_practice::Item;
use crate::error::ApiError;
use crate::state::AppState;
use chrono::{DateTime, TimeZone, Utc};
use search_index::{SearchError, SearchRequest, SortOrder};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHitView {
    /// `discussion` (a thread, with its best matching post) or `document` (a shared file).
    pub kind: String,
    /// A discussion hit's thread; absent for a document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<i32>,
    /// A discussion hit's best matching post; absent for a document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_id: Option<i32>,
    /// A document hit's document; absent for a discussion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id: Option<i32>,
    /// A document hit's file type (`pdf`, `docx`, …); absent for a discussion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    /// The thread's or document's title.
    pub title: String,
    pub space: String,
    /// Escaped text with `<mark>` around the matched words.
    pub snippet_html: String,
    pub score: f32,
    pub created_at: DateTime<Utc>,
    /// The thread's or document's protective marking as it is now.
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    /// Set when the hit is endorsed best practice: its status, and what supersedes it (when
    /// the viewer may read that).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_practice: Option<HitStanding>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HitStanding {
    pub status: crate::best_practice::Status,
    pub superseded_by: Option<crate::use_cases::best_practice::ItemRef>,
}

impl SearchHitView {
    /// The page a hit opens: the matching post, or the document.
    pub fn page_path(&self) -> String {
        match (self.document_id, self.post_id) {
            (Some(d), _) => format!("/documents/{d}"),
            (None, Some(p)) => format!("/posts/{p}"),
            (None, None) => "/".to_string(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchView {
    /// Matching threads (each thread once, with its best post) and documents.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<SearchHitView>,
    /// `space`, `tag`, `force`, `year` and `type` (`discussion`, `document`), each value with
    /// its number of matching threads and documents.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

/// A search as asked for, before its rules are checked.
pub struct SearchInput {
    /// Leave out the spaces an admin reaches only as an admin (for feeds, which leave the
    /// platform, and so carry only what the person reads as a member of an audience).
    pub members_only: bool,
    pub q: String,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
    /// `relevance` (default) or `date`.
    pub sort: Option<String>,
}

/// Runs a search: at most `search.max_concurrent_per_user` at once per person (429 past it);
/// an admin's searches are audited, since they reach every space.
pub async fn run(
    app: &AppState,
    viewer: &Viewer,
    params: SearchInput,
) -> Result<SearchView, ApiError> {
    let sort = match params.sort.as_deref() {
        None | Some("relevance") => SortOrder::Relevance,
        Some("date") => SortOrder::Date,
        Some(other) => {
            return Err(ApiError::validation(
                "sort",
                format!("sort is relevance or date, not {other:?}"),
            ))
        }
    };
    let page = params.page.unwrap_or(1);
    if page == 0 || page > 1000 {
        return Err(ApiError::validation(
            "page",
            "page must be between 1 and 1000",
        ));
    }
    let per_page = params.per_page.unwrap_or(20);
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::validation(
            "per_page",
            "per_page must be between 1 and 100",
        ));
    }
    let _slot = app
        .searches
        .try_start(viewer.id)
        .ok_or(ApiError::TooManyRequests {
            retry_after_secs: 1,
        })?;
    let mut spaces = crate::permissions::readable_by_viewer(app, viewer).await?;
    if params.members_only {
        spaces.retain(|r| !r.as_admin);
    }
    let as_admin = spaces.iter().any(|r| r.as_admin);
    let slugs = crate::use_cases::best_practice::Readable::from_spaces(&spaces);
    let readable: Vec<i32> = spaces.into_iter().map(|r| r.space.id).collect();
    if as_admin {
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "admin.search",
                target_type: "search",
                target_id: None,
                detail: serde_json::json!({"q": params.q}),
            },
            Utc::now(),
        )
        .await?;
    }
    let request = SearchRequest {
        query: params.q,
        readable_spaces: readable.clone(),
        page,
        per_page,
        sort,
    };
    let index = app.search.index();
    let results = actix_web::web::block(move || index.search(&request))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("search task failed: {e}")))?
        .map_err(|e| match e {
            SearchError::Query { .. } => ApiError::BadRequest {
                message: format!("this search could not be understood: {e}"),
                field: Some("q".into()),
            },
            SearchError::Index(_) => ApiError::Internal(anyhow::Error::new(e)),
        })?;
    let items: Vec<Item> = results
        .hits
        .iter()
        .map(|h| {
            if h.document_id != 0 {
                Item::Document(h.document_id)
            } else {
                Item::Thread(h.thread_id)
            }
        })
        .collect();
    // The threads' reads say which hits are endorsed, so the endorsements are read only when
    // there are some (most searches meet none) and a page of threads is one round trip.
    let (thread_ids, document_ids) = crate::use_cases::best_practice::split(&items);
    let (now_stored, documents_now) = futures_util::try_join!(
        stored_threads(app, thread_ids),
        stored_documents(app, document_ids.into_iter()),
    )?;
    let with_standing: Vec<Item> = items
        .into_iter()
        .filter(|item| match item {
            Item::Thread(id) => now_stored.get(id).is_some_and(|t| t.endorsed),
            Item::Document(_) => true,
        })
        .collect();
    let mut standings = if with_standing.is_empty() {
        Default::default()
    } else {
        crate::use_cases::best_practice::standings(&app.db, &with_standing, &slugs).await?
    };
    let hits = results
        .hits
        .into_iter()
        // The index follows the database a moment behind: a thread or document moved since
        // into a space the viewer may not read, or gone, is left out of the page of hits.
        .filter_map(|h| {
            let (space_id, marking) = if h.document_id != 0 {
                let (space_id, marking) = documents_now.get(&h.document_id)?;
                (space_id, marking)
            } else {
                let t = now_stored.get(&h.thread_id)?;
                (&t.space_id, &t.marking)
            };
            readable.contains(space_id).then(|| (h, marking.clone()))
        })
        .map(|(h, marking)| SearchHitView {
            best_practice: standings
                .remove(&if h.document_id != 0 {
                    Item::Document(h.document_id)
                } else {
                    Item::Thread(h.thread_id)
                })
                .map(|v| HitStanding {
                    status: v.status,
                    superseded_by: v.superseded_by,
                }),
            marking,
            kind: if h.document_id != 0 {
                "document"
            } else {
                "discussion"
            }
            .to_string(),
            thread_id: (h.document_id == 0).then_some(h.thread_id),
            post_id: (h.document_id == 0).then_some(h.post_id),
            document_id: (h.document_id != 0).then_some(h.document_id),
            file_type: (h.document_id != 0).then_some(h.file_type),
            title: h.title,
            space: h.space_slug,
            snippet_html: h.snippet_html,
            score: h.score,
            created_at: Utc
                .timestamp_opt(h.created_at, 0)
                .single()
                .unwrap_or_default(),
        })
        .collect();
    let facets = results
        .facets
        .into_iter()
        .map(|(name, values)| (name, values.into_iter().collect()))
        .collect();
    Ok(SearchView {
        total: results.total,
        page,
        per_page,
        hits,
        facets,
    })
}

/// A thread hit as the database (the source of truth) holds it now.
pub struct StoredThread {
    pub space_id: i32,
    pub marking: String,
    /// Whether it has an endorsement (read with it, so no other query is needed when none has).
    pub endorsed: bool,
}

/// Each thread's space, marking and whether it is endorsed: from the cache of hits, which every
/// process forgets within a second of a change to the thread (as it does a cached thread), and
/// for the rest in one query.
async fn stored_threads(
    app: &AppState,
    thread_ids: Vec<i32>,
) -> Result<HashMap<i32, Arc<StoredThread>>, ApiError> {
    let kept = &app.caches.hit_threads;
    let ticket = kept.ticket();
    let mut found = HashMap::with_capacity(thread_ids.len());
    let mut unknown = Vec::new();
    for id in thread_ids {
        match kept.get(&id) {
            Some(t) => {
                found.insert(id, t);
            }
            None => unknown.push(id),
        }
    }
    for (id, t) in read_threads(app, unknown).await? {
        let t = Arc::new(t);
        kept.insert(ticket, id, t.clone());
        found.insert(id, t);
    }
    Ok(found)
}

/// What `stored_threads` finds, read from the database in one query.
async fn read_threads(app: &AppState, ids: Vec<i32>) -> Result<Vec<(i32, StoredThread)>, ApiError> {
    use crate::db::entities::{endorsement, thread};
    use sea_orm::sea_query::{Expr, Query};
    use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let endorsement_of_it = Query::select()
        .expr(Expr::val(1))
        .from(endorsement::Entity)
        .and_where(
            Expr::col((endorsement::Entity, endorsement::Column::ThreadId))
                .equals((thread::Entity, thread::Column::Id)),
        )
        .to_owned();
    let rows: Vec<(i32, i32, String, bool)> = thread::Entity::find()
        .select_only()
        .column(thread::Column::Id)
        .column(thread::Column::SpaceId)
        .column(thread::Column::Marking)
        .expr(Expr::exists(endorsement_of_it))
        .filter(thread::Column::Id.is_in(ids))
        .into_tuple()
        .all(&app.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, space_id, marking, endorsed)| {
            (
                id,
                StoredThread {
                    space_id,
                    marking,
                    endorsed,
                },
            )
        })
        .collect())
}

/// Each live document's space and marking as the database holds them now; a document whose
/// post was deleted is left out with it.
async fn stored_documents(
    app: &AppState,
    ids: impl Iterator<Item = i32>,
) -> Result<HashMap<i32, (i32, String)>, ApiError> {
    use crate::db::entities::document;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ids: Vec<i32> = ids.collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(i32, i32, String, Option<i32>)> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .column(document::Column::SpaceId)
        .column(document::Column::Marking)
        .column(document::Column::PostId)
        .filter(document::Column::Id.is_in(ids))
        .filter(document::Column::DeletedAt.is_null())
        .into_tuple()
        .all(&app.db)
        .await?;
    let post_ids: Vec<i32> = rows.iter().filter_map(|r| r.3).collect();
    let deleted_posts = crate::forum::posts::deleted_among(&app.db, post_ids).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.3.is_none_or(|p| !deleted_posts.contains(&p)))
        .map(|(id, space, marking, _)| (id, (space, marking)))
        .collect())
}
