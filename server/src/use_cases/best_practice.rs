//! Best practice: endorse a thread or a document (with an owner, a review date and a status),
//! review it, withdraw it, and list the library of it per space and overall. What supersedes
//! an item is shown only to someone who may read the successor.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::best_practice::store::{self, Terms};
use crate::best_practice::{Item, Status};
use crate::db::entities::{document, endorsement, space, thread, user};
use crate::error::ApiError;
use crate::forum::people::{authors, AuthorView};
use crate::outbox::{self, Change};
use crate::permissions::{check, decide, load_access, Action, Subject};
use crate::state::AppState;
use chrono::{Months, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// How long an endorsement runs before its first review, unless a date is given.
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;

/// An endorsement as asked for; `None` keeps what is there (or the default).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndorsementInput {
    /// The owner's email address (default: the thread's author or the document's owner).
    pub owner: Option<String>,
    /// `YYYY-MM-DD` (default: a year from today).
    pub review_due: Option<String>,
    /// `current`, `under_review` or `superseded`.
    #[schema(value_type = Option<crate::best_practice::Status>)]
    pub status: Option<String>,
    /// What supersedes it: a link to a thread or document (`/threads/12`, `/documents/3`);
    /// needed when the status is `superseded`.
    pub superseded_by: Option<String>,
}

/// A thread or document as a list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRef {
    /// `thread` or `document`.
    pub kind: String,
    pub id: i32,
    pub title: String,
    pub space: String,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    /// Its page.
    pub path: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EndorsementView {
    pub item: ItemRef,
    pub owner: Option<AuthorView>,
    #[schema(value_type = String, example = "2027-12-01")]
    pub review_due: NaiveDate,
    /// The review date has passed.
    pub review_overdue: bool,
    pub status: Status,
    pub status_label: String,
    /// What supersedes it, when the viewer may read that too.
    pub superseded_by: Option<ItemRef>,
    pub endorsed_at: chrono::DateTime<Utc>,
}

struct Located {
    item: ItemRef,
    space: space::Model,
    /// The thread's author or the document's owner.
    default_owner: i32,
}

/// The live thread or document, with its space (404 if there is none).
async fn locate(db: &impl ConnectionTrait, item: Item) -> Result<Option<Located>, ApiError> {
    let found = match item {
        Item::Thread(id) => match crate::forum::threads::find_with_space(db, id).await? {
            Some((t, s)) => Some((t.title, t.marking, t.author_id, s)),
            None => None,
        },
        Item::Document(id) => {
            let found = document::Entity::find_by_id(id).one(db).await?;
            match crate::use_cases::documents::live(db, found.into_iter().collect())
                .await?
                .into_iter()
                .next()
            {
                Some(d) => space::Entity::find_by_id(d.space_id)
                    .one(db)
                    .await?
                    .map(|s| (d.title, d.marking, d.owner_id, s)),
                None => None,
            }
        }
    };
    Ok(found.map(|(title, marking, owner, space)| Located {
        item: item_ref(item, title, marking, &space.slug),
        space,
        default_owner: owner,
    }))
}

/// The thread ids and the document ids among `items`.
pub(crate) fn split(items: &[Item]) -> (Vec<i32>, Vec<i32>) {
    let mut threads = Vec::new();
    let mut documents = Vec::new();
    for i in items {
        match i {
            Item::Thread(id) => threads.push(*id),
            Item::Document(id) => documents.push(*id),
        }
    }
    (threads, documents)
}

fn item_ref(item: Item, title: String, marking: String, space: &str) -> ItemRef {
    let (kind, id) = match item {
        Item::Thread(id) => ("thread", id),
        Item::Document(id) => ("document", id),
    };
    ItemRef {
        kind: kind.to_string(),
        id,
        title,
        space: space.to_string(),
        marking,
        path: item.path(),
    }
}

/// Titles, markings and spaces of these items, those live and in `readable` only.
async fn refs(
    db: &impl ConnectionTrait,
    items: &[Item],
    readable: &HashMap<i32, String>,
) -> Result<HashMap<Item, ItemRef>, ApiError> {
    let (thread_ids, document_ids) = split(items);
    let mut out = HashMap::new();
    for chunk in thread_ids.chunks(500) {
        for t in thread::Entity::find()
            .filter(thread::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            if let Some(slug) = readable.get(&t.space_id) {
                out.insert(
                    Item::Thread(t.id),
                    item_ref(Item::Thread(t.id), t.title, t.marking, slug),
                );
            }
        }
    }
    for chunk in document_ids.chunks(500) {
        let docs = document::Entity::find()
            .filter(document::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        for d in crate::use_cases::documents::live(db, docs).await? {
            if let Some(slug) = readable.get(&d.space_id) {
                out.insert(
                    Item::Document(d.id),
                    item_ref(Item::Document(d.id), d.title, d.marking, slug),
                );
            }
        }
    }
    Ok(out)
}

fn item_of(row: &endorsement::Model) -> Option<Item> {
    row.thread_id
        .map(Item::Thread)
        .or(row.document_id.map(Item::Document))
}

/// Endorsement views for `rows`, each shown only if its item is in `readable.all`; a
/// successor only if it is in `readable.as_member` (so an admin's view never reaches an
/// unaudited space through a successor).
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<endorsement::Model>,
    readable: &Readable,
) -> Result<Vec<EndorsementView>, ApiError> {
    let items: Vec<Item> = rows.iter().filter_map(item_of).collect();
    let successors: Vec<Item> = rows.iter().filter_map(store::successor_of).collect();
    let found = refs(db, &items, &readable.all).await?;
    let found_successors = refs(db, &successors, &readable.as_member).await?;
    let people = authors(db, rows.iter().map(|r| r.owner_id)).await?;
    let today = Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let item = found.get(&item_of(&r)?)?.clone();
            let status = store::status_of(&r);
            Some(EndorsementView {
                item,
                owner: people.get(&r.owner_id).cloned(),
                review_due: r.review_due,
                review_overdue: r.review_due < today && status != Status::Superseded,
                status,
                status_label: status.label().to_string(),
                superseded_by: store::successor_of(&r)
                    .and_then(|s| found_successors.get(&s).cloned()),
                endorsed_at: r.endorsed_at,
            })
        })
        .collect())
}

/// The spaces a viewer reads (id → slug): all of them, and those they read as a member of the
/// audience (for an admin, without the spaces they reach only as an admin).
#[derive(Default)]
pub struct Readable {
    pub all: HashMap<i32, String>,
    pub as_member: HashMap<i32, String>,
}

impl Readable {
    pub fn from_spaces(spaces: &[crate::permissions::Readable]) -> Self {
        let mut out = Readable::default();
        for r in spaces {
            if !r.as_admin {
                out.as_member.insert(r.space.id, r.space.slug.clone());
            }
            out.all.insert(r.space.id, r.space.slug.clone());
        }
        out
    }
}

async fn readable_slugs(app: &AppState, viewer: &Viewer) -> Result<Readable, ApiError> {
    Ok(Readable::from_spaces(
        &crate::permissions::readable_by_viewer(app, viewer).await?,
    ))
}

/// The endorsement of an item the viewer may read (`None` if it has none).
pub async fn show(
    app: &AppState,
    viewer: &Viewer,
    item: Item,
) -> Result<Option<EndorsementView>, ApiError> {
    let located = locate(&app.db, item)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &located.space, Action::Read).await?;
    let Some(row) = store::find(&app.db, item).await? else {
        return Ok(None);
    };
    let readable = readable_slugs(app, viewer).await?;
    Ok(views(&app.db, vec![row], &readable)
        .await?
        .into_iter()
        .next())
}

/// What a thread's page shows of its endorsement, for a viewer the caller has already let
/// read the thread: the endorsement (from `row`, the thread's endorsement as the thread cache
/// holds it), and whether they may endorse and review it.
pub async fn for_thread_page(
    app: &AppState,
    viewer: &Viewer,
    space: &space::Model,
    row: Option<endorsement::Model>,
) -> Result<(Option<EndorsementView>, bool, bool), ApiError> {
    let endorsement = match row {
        Some(row) => {
            let readable = readable_slugs(app, viewer).await?;
            views(&app.db, vec![row], &readable)
                .await?
                .into_iter()
                .next()
        }
        None => None,
    };
    let subject = Subject::from(viewer);
    let access = crate::permissions::viewer_access(&app.db, viewer, space).await?;
    let moderate = decide(&subject, &access, Action::Moderate).allowed();
    let owner = endorsement
        .as_ref()
        .and_then(|e| e.owner.as_ref())
        .is_some_and(|o| o.id == viewer.id);
    let review = decide(&subject, &access, Action::ReviewEndorsement { owner }).allowed();
    let may_review = review && endorsement.is_some();
    Ok((endorsement, moderate, may_review))
}

fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)))
        .ok_or_else(|| ApiError::validation(field, "write the date as YYYY-MM-DD"))
}

/// The owner named by email: an enabled account that may read the item's space.
async fn owner_by_email(
    db: &impl ConnectionTrait,
    email: &str,
    space: &space::Model,
) -> Result<i32, ApiError> {
    let unknown = || {
        ApiError::validation(
            "owner",
            format!("{email:?} is not someone who can read this space"),
        )
    };
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?
        .ok_or_else(unknown)?;
    let subject = Subject::of_account(&account)?;
    let access = load_access(db, &subject, space).await?;
    match decide(&subject, &access, Action::Read) {
        crate::permissions::Decision::Allow => Ok(account.id),
        _ => Err(unknown()),
    }
}

/// Endorses an item, or changes its endorsement. Endorsing, and changing the owner, are for
/// moderators; the owner may change the review date, the status and the successor.
pub async fn endorse(
    app: &AppState,
    viewer: &Viewer,
    item: Item,
    input: EndorsementInput,
) -> Result<EndorsementView, ApiError> {
    let located = locate(&app.db, item)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &located.space, Action::Read).await?;
    let existing = store::find(&app.db, item).await?;
    match &existing {
        None => {
            check(&app.db, viewer, &located.space, Action::Moderate).await?;
        }
        Some(e) => {
            check(
                &app.db,
                viewer,
                &located.space,
                Action::ReviewEndorsement {
                    owner: e.owner_id == viewer.id,
                },
            )
            .await?;
            if input.owner.as_deref().is_some_and(|o| !o.trim().is_empty()) {
                check(&app.db, viewer, &located.space, Action::Moderate).await?;
            }
        }
    }
    let owner_id = match input.owner.as_deref().filter(|o| !o.trim().is_empty()) {
        Some(email) => owner_by_email(&app.db, email, &located.space).await?,
        None => existing
            .as_ref()
            .map_or(located.default_owner, |e| e.owner_id),
    };
    let today = Utc::now().date_naive();
    let review_due = match input.review_due.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_date("review_due", d)?,
        None => existing
            .as_ref()
            .map_or(today + Months::new(DEFAULT_REVIEW_MONTHS), |e| e.review_due),
    };
    let status = match input.status.as_deref() {
        Some(s) => Status::parse(s).ok_or_else(|| {
            ApiError::validation("status", "status is current, under_review or superseded")
        })?,
        None => existing.as_ref().map_or(Status::Current, store::status_of),
    };
    let successor = if status == Status::Superseded {
        match input
            .superseded_by
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            Some(s) => {
                let succ = Item::parse(s).ok_or_else(|| {
                    ApiError::validation(
                        "superseded_by",
                        "give the link of the thread or document that supersedes it",
                    )
                })?;
                if succ == item {
                    return Err(ApiError::validation(
                        "superseded_by",
                        "an item cannot supersede itself",
                    ));
                }
                // Only what the person reads as a member of its audience can be named.
                let readable = readable_slugs(app, viewer).await?;
                if refs(&app.db, &[succ], &readable.as_member)
                    .await?
                    .is_empty()
                {
                    return Err(ApiError::validation(
                        "superseded_by",
                        "there is no thread or document you can read at that link",
                    ));
                }
                Some(succ)
            }
            // Kept as it was: it was checked when it was given.
            None => Some(
                existing
                    .as_ref()
                    .and_then(store::successor_of)
                    .ok_or_else(|| {
                        ApiError::validation("superseded_by", "say what supersedes it")
                    })?,
            ),
        }
    } else {
        None
    };
    let terms = Terms {
        owner_id,
        review_due,
        status,
        successor,
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    store::write(&txn, item, &terms, viewer.id, now)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::Conflict(
                "someone endorsed this at the same moment; look again and retry".into(),
            ),
            _ => ApiError::from(e),
        })?;
    outbox::record(&txn, change_of(item), now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: if existing.is_some() {
                "best_practice.review"
            } else {
                "best_practice.endorse"
            },
            target_type: match item {
                Item::Thread(_) => "thread",
                Item::Document(_) => "document",
            },
            target_id: Some(located.item.id),
            detail: serde_json::json!({
                "owner_id": owner_id, "review_due": review_due.to_string(),
                "status": status.as_str(), "superseded_by": successor.map(Item::path),
            }),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    app.search.changed();
    show(app, viewer, item)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("endorsement vanished")))
}

fn change_of(item: Item) -> Change {
    match item {
        Item::Thread(id) => Change::Thread(id),
        Item::Document(id) => Change::Document(id),
    }
}

/// Withdraws an endorsement (moderators); 404 if the item has none.
pub async fn withdraw(app: &AppState, viewer: &Viewer, item: Item) -> Result<(), ApiError> {
    let located = locate(&app.db, item)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(&app.db, viewer, &located.space, Action::Read).await?;
    check(&app.db, viewer, &located.space, Action::Moderate).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    if !store::withdraw(&txn, item, now).await? {
        return Err(ApiError::not_found());
    }
    outbox::record(&txn, change_of(item), now).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "best_practice.withdraw",
            target_type: match item {
                Item::Thread(_) => "thread",
                Item::Document(_) => "document",
            },
            target_id: Some(located.item.id),
            detail: serde_json::json!({}),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    app.search.changed();
    Ok(())
}

/// Endorses a thread with the defaults, or withdraws it: the thread's `best_practice` flag as
/// the thread settings set it (inside their transaction).
pub async fn follow_thread_flag(
    db: &impl ConnectionTrait,
    t: &thread::Model,
    endorsed: bool,
    by: i32,
    now: chrono::DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let item = Item::Thread(t.id);
    let existing = store::find(db, item).await?;
    match (endorsed, existing) {
        (true, None) => {
            let terms = Terms {
                owner_id: t.author_id,
                review_due: now.date_naive() + Months::new(DEFAULT_REVIEW_MONTHS),
                status: Status::Current,
                successor: None,
            };
            store::write(db, item, &terms, by, now).await?;
        }
        (false, Some(_)) => {
            store::withdraw(db, item, now).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The library: endorsed items the viewer may read, in one space or all, current first, then
/// under review, then superseded; within each, soonest review first.
pub async fn library(
    app: &AppState,
    viewer: &Viewer,
    space_slug: Option<&str>,
    status: Option<Status>,
) -> Result<Vec<EndorsementView>, ApiError> {
    let readable_all = readable_slugs(app, viewer).await?;
    let mut readable = readable_all.all.clone();
    if let Some(slug) = space_slug {
        let space = crate::spaces::find_by_slug(&app.db, slug)
            .await?
            .ok_or_else(ApiError::not_found)?;
        check(&app.db, viewer, &space, Action::Read).await?;
    }
    if let Some(slug) = space_slug {
        readable.retain(|_, s| s == slug);
    }
    let rows = store::all(&app.db).await?;
    let mut out = views(&app.db, rows, &readable_all).await?;
    let shown: HashSet<&String> = readable.values().collect();
    out.retain(|v| shown.contains(&v.item.space));
    let outside: HashSet<&String> = readable_all
        .all
        .iter()
        .filter(|(id, _)| !readable_all.as_member.contains_key(id))
        .map(|(_, slug)| slug)
        .collect();
    if out.iter().any(|v| outside.contains(&v.item.space)) {
        audit::record(
            &app.db,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "admin.best_practice_library",
                target_type: "best_practice",
                target_id: None,
                detail: serde_json::json!({"space": space_slug}),
            },
            Utc::now(),
        )
        .await?;
    }
    if let Some(s) = status {
        out.retain(|v| v.status == s);
    }
    let rank = |s: Status| match s {
        Status::Current => 0,
        Status::UnderReview => 1,
        Status::Superseded => 2,
    };
    out.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.review_due.cmp(&b.review_due))
            .then(a.item.title.cmp(&b.item.title))
    });
    Ok(out)
}

/// Each of these items' standing (endorsed current, under review, superseded) and what
/// supersedes it, as far as `readable` (space id → slug) allows: for search hits.
pub async fn standings(
    db: &impl ConnectionTrait,
    items: &[Item],
    readable: &Readable,
) -> Result<HashMap<Item, EndorsementView>, ApiError> {
    let (thread_ids, document_ids) = split(items);
    let mut rows: Vec<endorsement::Model> = store::of_threads(db, &thread_ids)
        .await?
        .into_values()
        .collect();
    rows.extend(store::of_documents(db, &document_ids).await?.into_values());
    // Most searches meet no endorsed item: no further queries then.
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(views(db, rows, readable)
        .await?
        .into_iter()
        .map(|v| {
            let item = if v.item.kind == "thread" {
                Item::Thread(v.item.id)
            } else {
                Item::Document(v.item.id)
            };
            (item, v)
        })
        .collect())
}

/// What the viewer may do with an item's endorsement: (endorse, withdraw or change the owner;
/// change the review date, status and successor).
pub async fn abilities(
    app: &AppState,
    viewer: &Viewer,
    item: Item,
    endorsement: Option<&EndorsementView>,
) -> Result<(bool, bool), ApiError> {
    let Some(located) = locate(&app.db, item).await? else {
        return Ok((false, false));
    };
    let subject = Subject::from(viewer);
    let access = load_access(&app.db, &subject, &located.space).await?;
    let moderate = decide(&subject, &access, Action::Moderate).allowed();
    let owner = endorsement
        .and_then(|e| e.owner.as_ref())
        .is_some_and(|o| o.id == viewer.id);
    let review = decide(&subject, &access, Action::ReviewEndorsement { owner }).allowed();
    Ok((moderate, review && endorsement.is_some()))
}
