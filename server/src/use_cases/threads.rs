//! Starting, listing, reading and changing threads.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::cache::lists::{SpaceList, UnreadQuestion};
use crate::db::entities::{space, thread};
use crate::domain::{Marking, TagList};
use crate::error::ApiError;
use crate::forum::input::{PostBody, Title};
use crate::forum::threads::{
    self, Abilities, NewThread, ThreadChanges, ThreadCursor, ThreadSummary, ThreadView,
};
use crate::permissions::{check, decide, load_access, Action, SpaceAccess, Subject};
use crate::spaces;
use crate::state::AppState;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;

/// A new thread as asked for, before its rules are checked.
pub struct NewThreadRequest {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    pub marking: Marking,
}

pub struct Started {
    pub thread_id: i32,
    pub post_id: i32,
    pub space_slug: String,
}

/// The space as the database has it now: what a write is checked against.
async fn current_space(app: &AppState, slug: &str) -> Result<space::Model, ApiError> {
    spaces::find_by_slug(&app.db, slug)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The space for a read, from the cache; a slug it does not know yet (a space another
/// process made before this one heard of it) is looked up in the database.
async fn space_by_slug(app: &AppState, slug: &str) -> Result<space::Model, ApiError> {
    let cached = spaces::all_cached(&app.caches, &app.db).await?;
    match cached.iter().find(|s| s.slug == slug) {
        Some(space) => Ok(space.clone()),
        None => current_space(app, slug).await,
    }
}

/// Starts a thread with its opening post. The Markdown is rendered before the transaction.
pub async fn start(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    new: NewThreadRequest,
) -> Result<Started, ApiError> {
    let space = current_space(app, space_slug).await?;
    check(&app.db, viewer, &space, Action::StartThread).await?;
    let thread = prepare(app, new).await?;
    let txn = crate::db::begin_write(&app.db).await?;
    let (thread_id, post_id) =
        threads::start(&txn, space.id, viewer.id, thread, Utc::now()).await?;
    txn.commit().await?;
    app.search.changed();
    Ok(Started {
        thread_id,
        post_id,
        space_slug: space.slug,
    })
}

/// Checks a new thread's title, tags and body, and renders the body (outside any
/// transaction: rendering is bounded but not instant).
pub async fn prepare(app: &AppState, new: NewThreadRequest) -> Result<NewThread, ApiError> {
    let limits = &app.settings.limits;
    let title = Title::parse(&new.title, limits.title_chars)?;
    let tags =
        TagList::parse(&new.tags, limits.tags).map_err(|e| ApiError::validation("tags", e.0))?;
    let text = PostBody::parse(&new.body, limits.post_chars)?;
    Ok(NewThread {
        title,
        body: app.render(text).await?,
        tags,
        marking: new.marking,
    })
}

/// The space a new thread would go in, if the viewer may start one there (for the form).
pub async fn space_for_new_thread(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
) -> Result<space::Model, ApiError> {
    let space = space_by_slug(app, space_slug).await?;
    check(&app.db, viewer, &space, Action::StartThread).await?;
    Ok(space)
}

/// One page of a space's threads, pinned first, with the cursor for the next.
pub async fn list(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    cursor: Option<&str>,
    limit: u64,
) -> Result<(Vec<ThreadSummary>, Option<String>), ApiError> {
    let found = listing(app, viewer, space_slug, cursor, None, limit).await?;
    Ok((found.list.threads.clone(), found.list.next_cursor.clone()))
}

/// A space: the space, whether the viewer may start a thread, and one page of its threads
/// (with unread state and organisations when made by `listing_for_page`).
pub struct Listing {
    pub space: space::Model,
    pub can_post: bool,
    /// The page of threads, shared with everyone else who lists it.
    pub list: Arc<SpaceList>,
    /// Which of the threads the viewer has not read since they were last active.
    pub unread: std::collections::HashSet<i32>,
}

pub async fn listing(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    cursor: Option<&str>,
    tagged: Option<&str>,
    limit: u64,
) -> Result<Listing, ApiError> {
    let space = space_by_slug(app, space_slug).await?;
    let access = check(&app.db, viewer, &space, Action::Read).await?;
    let can_post = decide(&Subject::from(viewer), &access, Action::StartThread).allowed();
    let list = space_list(app, &space, cursor, tagged, limit).await?;
    Ok(Listing {
        space,
        can_post,
        list,
        unread: Default::default(),
    })
}

/// One page of the space's threads, the same for everyone who may read it: from this
/// process's cache, or read and kept.
async fn space_list(
    app: &AppState,
    space: &space::Model,
    cursor: Option<&str>,
    tagged: Option<&str>,
    limit: u64,
) -> Result<Arc<SpaceList>, ApiError> {
    let decoded = cursor
        .map(|c| {
            ThreadCursor::decode(c)
                .ok_or_else(|| ApiError::validation("cursor", "cursor is not valid"))
        })
        .transpose()?;
    let cache = &app.caches.lists.spaces;
    let key = (
        space.id,
        tagged.map(str::to_owned),
        cursor.map(str::to_owned),
        limit,
    );
    cache
        .get_or_load(key, async {
            let (threads, next_cursor) =
                threads::list(&app.db, space, decoded.as_ref(), tagged, limit).await?;
            let ids: Vec<i32> = threads.iter().map(|t| t.id).collect();
            let organisations =
                crate::forum::people::organisations_taking_part(&app.db, &ids).await?;
            Ok(Arc::new(SpaceList::new(
                threads,
                next_cursor,
                organisations,
            )))
        })
        .await
}

/// `listing` with what only the space's page shows: which threads the viewer has not read.
pub async fn listing_for_page(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    cursor: Option<&str>,
    tagged: Option<&str>,
    limit: u64,
) -> Result<Listing, ApiError> {
    let mut found = listing(app, viewer, space_slug, cursor, tagged, limit).await?;
    let question = UnreadQuestion::Among {
        space: found.space.id,
        threads: found.list.threads.iter().map(|t| t.id).collect(),
    };
    found.unread = crate::use_cases::unread::answer(app, viewer, question)
        .await?
        .unread
        .clone();
    Ok(found)
}

fn may_reply(viewer: &Viewer, access: &SpaceAccess, t: &thread::Model) -> bool {
    decide(
        &Subject::from(viewer),
        access,
        Action::Reply {
            thread_locked: t.locked,
        },
    )
    .allowed()
}

/// Whether the viewer may reply in the thread now (404 if they may not read it, 403 if they
/// may read but not reply), without loading its posts.
pub async fn may_reply_in(app: &AppState, viewer: &Viewer, thread_id: i32) -> Result<(), ApiError> {
    let (thread, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    check(
        &app.db,
        viewer,
        &space,
        Action::Reply {
            thread_locked: thread.locked,
        },
    )
    .await?;
    Ok(())
}

/// A thread as rendered for everyone who may read it, kept in this process's cache; what
/// differs between viewers (what they may do in it) is added per request.
pub struct CachedThread {
    pub thread: thread::Model,
    pub space: space::Model,
    view: ThreadView,
    /// The JSON answer for each combination of abilities, made on first use.
    json: [std::sync::OnceLock<Arc<RenderedJson>>; 8],
    /// What only the thread's page shows of it, read on the page's first view.
    page: tokio::sync::OnceCell<Arc<PageParts>>,
    /// The page's rendered posts, per `FragmentKey`, made on first use.
    fragments: std::sync::Mutex<HashMap<FragmentKey, Arc<Fragments>>>,
    weight: u32,
}

/// The rendered posts of a thread's page: the opening post (or a branch's first post) and
/// the replies under it.
pub struct Fragments {
    pub head: crate::gzip::Kept,
    pub replies: crate::gzip::Kept,
}

/// What the rendered posts depend on besides the thread: the branch shown, what the viewer may
/// do, and whose posts are theirs (0 when they wrote none of them, so that every such viewer
/// shares one rendering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    pub branch_root: usize,
    pub reply: bool,
    pub moderate: bool,
    pub edit_own: bool,
    pub own_posts_of: i32,
}

/// Renderings kept per cached thread; more variants than this are rendered but not kept.
const MAX_FRAGMENTS: usize = 6;

/// What the thread page shows beside the posts, the same for every viewer.
pub struct PageParts {
    pub endorsement: Option<crate::db::entities::endorsement::Model>,
    pub case_study: Option<crate::use_cases::case_studies::CaseStudyView>,
}

/// A thread's JSON answer and its `ETag`, and the same gzip-encoded (made on first use) with
/// an `ETag` of its own.
pub struct RenderedJson {
    pub body: actix_web::web::Bytes,
    pub etag: String,
    pub gzip_etag: String,
    gzip: std::sync::OnceLock<actix_web::web::Bytes>,
}

impl RenderedJson {
    fn of(view: &ThreadView) -> Result<Self, ApiError> {
        use sha2::{Digest, Sha256};
        let body = serde_json::to_vec(view).map_err(anyhow::Error::new)?;
        let hash = hex::encode(&Sha256::digest(&body)[..16]);
        Ok(RenderedJson {
            body: body.into(),
            etag: format!("\"{hash}\""),
            gzip_etag: format!("\"{hash}-gzip\""),
            gzip: Default::default(),
        })
    }

    pub fn gzipped(&self) -> &actix_web::web::Bytes {
        self.gzip.get_or_init(|| crate::gzip::whole(&self.body))
    }
}

fn ability_bits(may: Abilities) -> usize {
    usize::from(may.reply) | usize::from(may.moderate) << 1 | usize::from(may.change_own) << 2
}

impl CachedThread {
    fn new(thread: thread::Model, space: space::Model, view: ThreadView) -> Result<Self, ApiError> {
        let plain = RenderedJson::of(&view)?;
        // The JSON, and room for a few page renderings (each about twice the JSON's size) and
        // their compressed copies (each about a quarter).
        let weight = u32::try_from(plain.body.len() * 5 + 1024).unwrap_or(u32::MAX);
        let json: [std::sync::OnceLock<Arc<RenderedJson>>; 8] = Default::default();
        let _ = json[0].set(Arc::new(plain));
        Ok(CachedThread {
            thread,
            space,
            view,
            json,
            page: tokio::sync::OnceCell::new(),
            fragments: Default::default(),
            weight,
        })
    }

    /// Its size in the cache, in bytes (about the size of its JSON).
    pub fn weight(&self) -> u32 {
        self.weight
    }

    fn view_for(&self, may: Abilities) -> ThreadView {
        let mut view = self.view.clone();
        view.can_reply = may.reply;
        view.can_moderate = may.moderate;
        view.can_edit_own = may.change_own;
        view
    }

    fn json_for(&self, may: Abilities) -> Result<Arc<RenderedJson>, ApiError> {
        let slot = &self.json[ability_bits(may)];
        if let Some(made) = slot.get() {
            return Ok(made.clone());
        }
        let made = Arc::new(RenderedJson::of(&self.view_for(may))?);
        Ok(slot.get_or_init(|| made).clone())
    }
}

/// A thread as one viewer may see it.
pub struct ThreadRead {
    cached: Arc<CachedThread>,
    may: Abilities,
}

impl ThreadRead {
    pub fn view(&self) -> ThreadView {
        self.cached.view_for(self.may)
    }

    pub fn json(&self) -> Result<Arc<RenderedJson>, ApiError> {
        self.cached.json_for(self.may)
    }

    pub fn space(&self) -> &space::Model {
        &self.cached.space
    }

    /// The thread as everyone sees it, without cloning it; what this viewer may do is in
    /// `abilities`.
    pub fn shared_view(&self) -> &ThreadView {
        &self.cached.view
    }

    pub fn abilities(&self) -> Abilities {
        self.may
    }

    /// Whether the viewer wrote any of the thread's posts.
    pub fn viewer_wrote_any(&self, viewer_id: i32) -> bool {
        self.cached
            .view
            .posts
            .iter()
            .any(|p| p.author.as_ref().is_some_and(|a| a.id == viewer_id))
    }

    /// The page's rendered posts for `key`, rendered by `render` the first time.
    pub fn fragments<E>(
        &self,
        key: FragmentKey,
        render: impl FnOnce() -> Result<Fragments, E>,
    ) -> Result<Arc<Fragments>, E> {
        let lock = || {
            self.cached
                .fragments
                .lock()
                .unwrap_or_else(|p| p.into_inner())
        };
        if let Some(made) = lock().get(&key).cloned() {
            return Ok(made);
        }
        let made = Arc::new(render()?);
        let mut kept = lock();
        if kept.len() < MAX_FRAGMENTS {
            kept.insert(key, made.clone());
        }
        Ok(made)
    }

    /// The thread's endorsement and case study, read once per cached thread. A change to
    /// either drops the whole cached thread, so these are never older than it.
    pub async fn page_parts(&self, app: &AppState) -> Result<Arc<PageParts>, ApiError> {
        let id = self.cached.thread.id;
        self.cached
            .page
            .get_or_try_init(|| async {
                let item = crate::best_practice::Item::Thread(id);
                Ok::<_, ApiError>(Arc::new(PageParts {
                    endorsement: crate::best_practice::store::find(&app.db, item).await?,
                    case_study: crate::use_cases::case_studies::of_readable_thread(app, id).await?,
                }))
            })
            .await
            .cloned()
    }
}

fn abilities(viewer: &Viewer, access: &SpaceAccess, thread: &thread::Model) -> Abilities {
    let subject = Subject::from(viewer);
    Abilities {
        reply: may_reply(viewer, access, thread),
        moderate: decide(&subject, access, Action::Moderate).allowed(),
        change_own: decide(
            &subject,
            access,
            Action::ChangePost {
                own: true,
                thread_locked: thread.locked,
            },
        )
        .allowed(),
    }
}

/// A thread with all its posts in reading order, and what the viewer may do in it. Read from
/// this process's cache when it holds the thread; the permission check is made every time.
pub async fn read_shared(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
) -> Result<ThreadRead, ApiError> {
    let cache = &app.caches.threads;
    // A few loads at once: with hundreds of readers of uncached threads on two cores, the
    // rest wait for a slot holding nothing instead of each holding a thread's rows.
    let mut slot = None;
    let found = match cache.get(&thread_id) {
        Some(cached) => Some(cached),
        None => {
            slot = app.caches.thread_loads.acquire().await.ok();
            cache.get_again(&thread_id)
        }
    };
    let (cached, access) = match found {
        Some(cached) => {
            let access = check(&app.db, viewer, &cached.space, Action::Read).await?;
            (cached, access)
        }
        None => load(app, viewer, thread_id).await?,
    };
    drop(slot);
    let may = abilities(viewer, &access, &cached.thread);
    app.reads.note(viewer.id, thread_id, Utc::now());
    Ok(ThreadRead { cached, may })
}

/// Reads a thread the cache does not hold, checks the viewer may read it, and keeps it.
async fn load(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
) -> Result<(Arc<CachedThread>, SpaceAccess), ApiError> {
    let cache = &app.caches.threads;
    let ticket = cache.ticket();
    let (thread, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let access = check(&app.db, viewer, &space, Action::Read).await?;
    // One query after another, not at once: each of the `thread_loads` holds one pooled
    // connection at a time, so two stay free for writes and sign-ins.
    let mut view = threads::view(&app.db, thread.clone(), &space, Abilities::default()).await?;
    view.attachments = crate::use_cases::documents::in_thread(&app.db, thread.id).await?;
    let cached = Arc::new(CachedThread::new(thread, space, view)?);
    cache.insert(ticket, thread_id, cached.clone());
    Ok((cached, access))
}

/// `read_shared`, as a view of its own.
pub async fn read(app: &AppState, viewer: &Viewer, thread_id: i32) -> Result<ThreadView, ApiError> {
    Ok(read_shared(app, viewer, thread_id).await?.view())
}

/// Changes to a thread as asked for, before their rules are checked; `None` leaves a field.
#[derive(Default)]
pub struct ThreadChangeRequest {
    pub title: Option<String>,
    pub tags: Option<Vec<String>>,
    pub marking: Option<Marking>,
    pub pinned: Option<bool>,
    pub locked: Option<bool>,
    pub best_practice: Option<bool>,
    /// Move to the space with this slug.
    pub space: Option<String>,
}

impl ThreadChangeRequest {
    fn moderates(&self) -> bool {
        self.pinned.is_some()
            || self.locked.is_some()
            || self.best_practice.is_some()
            || self.space.is_some()
    }
}

/// Changes a thread. Permission is decided from what is asked before any value is looked at,
/// so a thread the viewer may not read answers 404 whatever the request holds. Lowering the
/// marking needs an admin; every marking change and every admin change is audited.
pub async fn change(
    app: &AppState,
    viewer: &Viewer,
    thread_id: i32,
    asked: ThreadChangeRequest,
) -> Result<ThreadView, ApiError> {
    let (thread, space) = threads::find_with_space(&app.db, thread_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let action = if asked.moderates() {
        Action::Moderate
    } else {
        Action::ChangePost {
            own: thread.author_id == viewer.id,
            thread_locked: thread.locked,
        }
    };
    check(&app.db, viewer, &space, action).await?;
    let current_marking: Marking = thread
        .marking
        .parse()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("thread {}: {e:?}", thread.id)))?;
    let marking_change = asked.marking.filter(|m| *m != current_marking);
    if marking_change.is_some_and(|m| m < current_marking) {
        check(&app.db, viewer, &space, Action::LowerMarking).await?;
    }
    let limits = &app.settings.limits;
    let changes = ThreadChanges {
        title: asked
            .title
            .as_deref()
            .map(|t| Title::parse(t, limits.title_chars))
            .transpose()?,
        tags: asked
            .tags
            .as_deref()
            .map(|t| TagList::parse(t, limits.tags).map_err(|e| ApiError::validation("tags", e.0)))
            .transpose()?,
        marking: asked.marking,
        pinned: asked.pinned,
        locked: asked.locked,
        best_practice: asked.best_practice,
        space_id: match &asked.space {
            Some(slug) => Some(move_target(app, viewer, slug).await?),
            None => None,
        },
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    threads::change(&txn, &thread, &changes, now).await?;
    if let Some(endorsed) = changes.best_practice {
        crate::use_cases::best_practice::follow_thread_flag(
            &txn, &thread, endorsed, viewer.id, now,
        )
        .await?;
    }
    if let Some(to) = marking_change {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "thread.marking",
                target_type: "thread",
                target_id: Some(thread.id),
                detail: serde_json::json!({"from": current_marking.as_str(), "to": to.as_str()}),
            },
            now,
        )
        .await?;
    }
    if viewer.is_admin() {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "thread.update",
                target_type: "thread",
                target_id: Some(thread.id),
                detail: serde_json::json!({
                    "pinned": changes.pinned, "locked": changes.locked,
                    "best_practice": changes.best_practice,
                    "title": changes.title.as_ref().map(|t| t.as_str()),
                    "marking": changes.marking.map(|m| m.as_str()),
                    "space_id": changes.space_id,
                }),
            },
            now,
        )
        .await?;
    }
    txn.commit().await?;
    app.search.changed();
    // The answer shows the change, so this process's cache takes it in first.
    app.follower.sync().await?;
    read(app, viewer, thread.id).await
}

/// The space a thread is moved to. One that does not exist and one the viewer may not read
/// get the same answer.
async fn move_target(app: &AppState, viewer: &Viewer, slug: &str) -> Result<i32, ApiError> {
    let unknown = || ApiError::validation("space", format!("there is no space {slug:?}"));
    let target = spaces::find_by_slug(&app.db, slug)
        .await?
        .ok_or_else(unknown)?;
    let subject = Subject::from(viewer);
    let access = load_access(&app.db, &subject, &target).await?;
    if !decide(&subject, &access, Action::Read).allowed() {
        return Err(unknown());
    }
    Ok(target.id)
}

/// What the thread page shows beside the thread: the viewer's choice for it (`watch`,
/// `mute` or `default`) and, for a moderator, the spaces it may move to (slug, name).
pub struct PageExtras {
    pub watch: &'static str,
    /// Watching and muting are for members of the space's audience (an admin reading
    /// elsewhere gets no mail from it to choose about).
    pub may_watch: bool,
    pub move_targets: Vec<(String, String)>,
}

/// The viewer's watched and muted threads, from this process's cache.
async fn watches_of(app: &AppState, user_id: i32) -> Result<Arc<crate::cache::Watches>, ApiError> {
    app.caches
        .watches
        .get_or_load(user_id, async {
            Ok(Arc::new(
                crate::digest::preferences::watches(&app.db, user_id).await?,
            ))
        })
        .await
}

pub async fn page_extras(
    app: &AppState,
    viewer: &Viewer,
    view: &ThreadView,
    can_moderate: bool,
) -> Result<PageExtras, ApiError> {
    let choices = watches_of(app, viewer.id).await?;
    let (watching, muted) = choices.as_ref();
    let id = view.summary.id;
    let watch = if watching.contains(&id) {
        "watch"
    } else if muted.contains(&id) {
        "mute"
    } else {
        "default"
    };
    let readable = crate::permissions::readable_by_viewer(app, viewer).await?;
    let may_watch = readable
        .iter()
        .any(|r| !r.as_admin && r.space.slug == view.summary.space);
    let move_targets = if can_moderate {
        readable
            .into_iter()
            .filter(|r| r.space.slug != view.summary.space && !r.space.archived)
            .map(|r| (r.space.slug, r.space.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(PageExtras {
        watch,
        may_watch,
        move_targets,
    })
}
