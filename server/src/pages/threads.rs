//! The thread page, its permalinks, and what can be done from it: watch or mute, moderate.
use super::errors::{see_other, PageError};
use super::form::Submitted;
use super::pieces;
use super::render::Chrome;
use super::session::SignedIn;
use super::spaces::query;
use super::tree::{self, PostItem, Rights, SHOWN_LEVELS};
use crate::best_practice::Item;
use crate::digest::preferences::WatchState;
use crate::error::ApiError;
use crate::gzip::Kept;
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases;
use crate::use_cases::best_practice::{EndorsementInput, EndorsementView};
use crate::use_cases::case_studies::CaseStudyView;
use crate::use_cases::preferences::PreferencesEdit;
use crate::use_cases::threads::{FragmentKey, Fragments, ThreadChangeRequest};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "pages/thread.html")]
struct ThreadPage {
    chrome: Chrome,
    thread_id: i32,
    title: String,
    /// The page's marking: the highest of the thread's and of what the page shows from
    /// elsewhere (attachments, the figures' source, a successor).
    marking: String,
    sensitive: bool,
    thread_marking: String,
    thread_sensitive: bool,
    space_slug: String,
    space_name: String,
    tags: Vec<String>,
    pinned: bool,
    locked: bool,
    best_practice: bool,
    can_reply: bool,
    can_moderate: bool,
    branch: bool,
    /// Where the kept posts go (`pieces::slot`).
    head_slot: &'static str,
    replies_slot: &'static str,
    watch: &'static str,
    may_watch: bool,
    move_targets: Vec<(String, String)>,
    done: Option<&'static str>,
    case_study: Option<CaseStudyView>,
    endorsement: Option<EndorsementView>,
    may_endorse: bool,
    may_review: bool,
    endorse_action: String,
    can_edit_own: bool,
    is_author: bool,
    attachments: Vec<super::library::DocumentRow>,
    opening_post_id: i32,
    scanning_on: bool,
    max_size: String,
}

/// The opening post (or a branch's first post), rendered on its own so that it can be kept.
#[derive(Template)]
#[template(path = "pages/_thread_head.html")]
struct HeadPost<'a> {
    p: &'a PostItem,
    thread_id: i32,
    can_reply: bool,
}

/// The replies under it, as nested lists.
#[derive(Template)]
#[template(path = "pages/_thread_replies.html")]
struct Replies<'a> {
    head: &'a PostItem,
    items: &'a [PostItem],
    thread_id: i32,
    can_reply: bool,
}

/// The thread's posts as its page shows them to this viewer: rendered once per thread version
/// and `FragmentKey`, then kept with the cached thread.
fn rendered_posts(
    found: &use_cases::threads::ThreadRead,
    viewer_id: i32,
    root: usize,
) -> Result<std::sync::Arc<Fragments>, PageError> {
    let view = found.shared_view();
    let may = found.abilities();
    let own_posts_of = if found.viewer_wrote_any(viewer_id) {
        viewer_id
    } else {
        0
    };
    let key = FragmentKey {
        branch_root: root,
        reply: may.reply,
        moderate: may.moderate,
        edit_own: may.change_own,
        own_posts_of,
    };
    found.fragments(key, || {
        let rights = Rights {
            viewer_id: own_posts_of,
            moderate: may.moderate,
            edit_own: may.change_own,
        };
        let (head, items) = tree::build(&view.posts, root, &rights);
        let thread_id = view.summary.id;
        Ok::<_, PageError>(Fragments {
            head: Kept::new(
                HeadPost {
                    p: &head,
                    thread_id,
                    can_reply: may.reply,
                }
                .render()?,
            ),
            replies: Kept::new(
                Replies {
                    head: &head,
                    items: &items,
                    thread_id,
                    can_reply: may.reply,
                }
                .render()?,
            ),
        })
    })
}

#[derive(Deserialize)]
struct ThreadQuery {
    branch: Option<String>,
    done: Option<String>,
}

/// Where a post is shown: its thread, or past `SHOWN_LEVELS` the branch page of its parent.
pub fn post_location(thread_id: i32, post_id: i32, depth: i32, parent_id: Option<i32>) -> String {
    match parent_id {
        Some(parent) if depth as usize > SHOWN_LEVELS => {
            format!("/threads/{thread_id}?branch={parent}#post-{post_id}")
        }
        _ => format!("/threads/{thread_id}#post-{post_id}"),
    }
}

fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "pin" => "The thread is pinned.",
        "unpin" => "The thread is no longer pinned.",
        "lock" => "The thread is locked.",
        "unlock" => "The thread is unlocked.",
        "endorse" => "The thread is endorsed as best practice.",
        "unendorse" => "The endorsement is removed.",
        "reviewed" => "The best-practice endorsement is saved.",
        "figures" => "The case study's figures are saved.",
        "move" => "The thread has moved.",
        "watch" => "You are watching this thread.",
        "mute" => "You have muted this thread.",
        "default" => "Your choice for this thread is cleared.",
        "deleted" => "The post is deleted.",
        _ => return None,
    })
}

#[get("/threads/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: ThreadQuery = query(&req)?;
    let found = use_cases::threads::read_shared(&state, &who.viewer, id_from_path(&id)?).await?;
    let view = found.shared_view();
    let may = found.abilities();
    let root = match asked.branch.as_deref() {
        None => 0,
        Some(raw) => {
            let post_id = id_from_path(raw)?;
            view.posts
                .iter()
                .position(|p| p.id == post_id)
                .ok_or_else(ApiError::not_found)?
        }
    };
    let posts = rendered_posts(&found, who.viewer.id, root)?;
    let extras = use_cases::threads::page_extras(&state, &who.viewer, view, may.moderate).await?;
    let parts = found.page_parts(&state).await?;
    let (endorsement, may_endorse, may_review) = use_cases::best_practice::for_thread_page(
        &state,
        &who.viewer,
        found.space(),
        parts.endorsement.clone(),
    )
    .await?;
    let case_study = parts.case_study.clone();
    let opening_post_id = view.posts.first().map_or(0, |p| p.id);
    let attachments: Vec<super::library::DocumentRow> = view
        .attachments
        .iter()
        .cloned()
        .map(super::library::DocumentRow::from)
        .collect();
    let attachments_sensitive = attachments.iter().any(|a| a.sensitive);
    let s = &view.summary;
    let shown_elsewhere = attachments_sensitive
        || case_study
            .as_ref()
            .and_then(|c| c.source_document.as_ref())
            .is_some_and(|d| d.marking != "OFFICIAL")
        || endorsement
            .as_ref()
            .and_then(|e| e.superseded_by.as_ref())
            .is_some_and(|succ| succ.marking != "OFFICIAL");
    let thread_sensitive = s.marking != "OFFICIAL";
    let (marking, sensitive) = if thread_sensitive || shown_elsewhere {
        ("OFFICIAL-SENSITIVE".to_string(), true)
    } else {
        ("OFFICIAL".to_string(), false)
    };
    let frame = ThreadPage {
        chrome: who.chrome,
        thread_id: s.id,
        sensitive,
        marking,
        thread_sensitive,
        thread_marking: s.marking.clone(),
        title: s.title.clone(),
        space_slug: s.space.clone(),
        space_name: view.space_name.clone(),
        tags: s.tags.clone(),
        pinned: s.pinned,
        locked: s.locked,
        best_practice: s.best_practice,
        can_reply: may.reply,
        can_moderate: may.moderate,
        branch: root != 0,
        head_slot: pieces::slot(0),
        replies_slot: pieces::slot(1),
        watch: extras.watch,
        may_watch: extras.may_watch,
        move_targets: extras.move_targets,
        done: asked.done.as_deref().and_then(done_message),
        endorse_action: format!("/threads/{}/endorsement", s.id),
        can_edit_own: may.change_own,
        attachments,
        opening_post_id,
        scanning_on: state.library.scanner.is_some(),
        max_size: crate::use_cases::documents::human_size(state.library.max_file_bytes),
        is_author: s.author.as_ref().is_some_and(|a| a.id == who.viewer.id),
        case_study,
        endorsement,
        may_endorse,
        may_review,
    }
    .render()?;
    pieces::respond(&state, &req, &frame, [&posts.head, &posts.replies])
}

/// `/posts/{id}`: the permalink of a post, which is shown on its thread's page.
#[get("/posts/{id}")]
pub async fn permalink(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let found = use_cases::posts::read(&state, &who.viewer, id_from_path(&id)?).await?;
    Ok(see_other(&post_location(
        found.thread_id,
        found.id,
        found.depth,
        found.parent_id,
    )))
}

#[post("/threads/{id}/watch")]
pub async fn watch(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let thread_id = id_from_path(&id)?;
    let (choice, code) = match fields.get("watch") {
        "watch" => (WatchState::Watching, "watch"),
        "mute" => (WatchState::Muted, "mute"),
        "default" => (WatchState::Default, "default"),
        _ => return Err(ApiError::validation("watch", "choose watch, mute or default").into()),
    };
    use_cases::preferences::update(
        &state,
        &who.viewer,
        PreferencesEdit {
            threads: vec![(thread_id.to_string(), choice)],
            ..Default::default()
        },
    )
    .await?;
    Ok(see_other(&format!("/threads/{thread_id}?done={code}")))
}

#[post("/threads/{id}/moderate")]
pub async fn moderate(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let thread_id = id_from_path(&id)?;
    let code = fields.get("change");
    let mut change = ThreadChangeRequest::default();
    match code {
        "pin" | "unpin" => change.pinned = Some(code == "pin"),
        "lock" | "unlock" => change.locked = Some(code == "lock"),
        "endorse" | "unendorse" => change.best_practice = Some(code == "endorse"),
        "move" => change.space = Some(fields.get("space").to_string()),
        _ => {
            return Err(ApiError::validation("change", "choose what to change").into());
        }
    }
    use_cases::threads::change(&state, &who.viewer, thread_id, change).await?;
    Ok(see_other(&format!("/threads/{thread_id}?done={code}")))
}

/// Endorses, reviews or withdraws (`action=withdraw`) the best practice of a thread or a
/// document, from the form on its page.
pub async fn endorsement_form(
    state: &AppState,
    who: &SignedIn,
    item: Item,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let back = match item {
        Item::Thread(id) => format!("/threads/{id}"),
        Item::Document(id) => format!("/documents/{id}"),
    };
    if fields.get("action") == "withdraw" {
        use_cases::best_practice::withdraw(state, &who.viewer, item).await?;
        return Ok(see_other(&format!("{back}?done=unendorse")));
    }
    let given = |name: &str| {
        fields
            .opt(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let input = EndorsementInput {
        owner: given("owner"),
        review_due: given("review_due"),
        status: given("status"),
        superseded_by: given("superseded_by"),
    };
    use_cases::best_practice::endorse(state, &who.viewer, item, input).await?;
    Ok(see_other(&format!("{back}?done=reviewed")))
}

#[post("/threads/{id}/endorsement")]
pub async fn endorse(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    endorsement_form(&state, &who, Item::Thread(id_from_path(&id)?), form).await
}
