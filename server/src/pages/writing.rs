//! The writing forms: a new thread, a reply, an edit, and deleting a post. Each keeps what
//! was typed when something is wrong or when Preview is pressed (which needs no JavaScript:
//! it renders the form again with the preview), and shows the errors beside each field and
//! in a summary at the top.
use super::errors::{see_other, PageError};
use super::form::{Fields, FormErrors, Submitted};
use super::render::{self, iso, when, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::threads::post_location;
use super::tree::{self, PostItem, Rights};
use crate::domain::Marking;
use crate::error::ApiError;
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases;
use crate::use_cases::posts::NewReply;
use crate::use_cases::threads::NewThreadRequest;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// What the Markdown field and its buttons show.
struct BodyField {
    body: String,
    preview: Option<String>,
    errors: FormErrors,
}

impl BodyField {
    fn empty() -> Self {
        BodyField {
            body: String::new(),
            preview: None,
            errors: FormErrors::default(),
        }
    }
}

/// Preview was pressed: the rendered body, or the error that stops it rendering.
async fn preview(
    state: &AppState,
    viewer: &crate::auth::Viewer,
    body: &str,
    ids: &[(&str, &str)],
) -> Result<BodyField, PageError> {
    match use_cases::posts::preview(state, viewer, body).await {
        Ok(html) => Ok(BodyField {
            body: body.to_string(),
            preview: Some(html),
            errors: FormErrors::default(),
        }),
        Err(e) => refused(body, e, ids),
    }
}

/// A use case refused the form: the errors to show beside its fields, or an error page when
/// the refusal is not about something the person typed.
fn refused(body: &str, err: ApiError, ids: &[(&str, &str)]) -> Result<BodyField, PageError> {
    match FormErrors::from_api(&err, ids) {
        Some(errors) => Ok(BodyField {
            body: body.to_string(),
            preview: None,
            errors,
        }),
        None => Err(err.into()),
    }
}

fn wants_preview(fields: &Fields) -> bool {
    fields.get("action") == "preview"
}

// ---- Replying -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/reply.html")]
struct ReplyPage {
    chrome: Chrome,
    thread_id: i32,
    title: String,
    marking: String,
    sensitive: bool,
    parent: Option<PostItem>,
    body: String,
    preview: Option<String>,
    errors: FormErrors,
    body_label: &'static str,
    submit_label: &'static str,
}

#[derive(Deserialize)]
struct ReplyQuery {
    to: Option<String>,
    quote: Option<String>,
}

async fn reply_page(
    state: &AppState,
    who: SignedIn,
    thread_id: i32,
    parent_id: Option<i32>,
    field: BodyField,
) -> Result<HttpResponse, PageError> {
    let view = use_cases::threads::read(state, &who.viewer, thread_id).await?;
    if !view.can_reply {
        return Err(ApiError::Forbidden("you cannot reply in this thread".into()).into());
    }
    let parent = match parent_id {
        None => None,
        Some(id) => {
            let at = view
                .posts
                .iter()
                .position(|p| p.id == id && !p.deleted)
                .ok_or_else(ApiError::not_found)?;
            let rights = Rights {
                viewer_id: who.viewer.id,
                moderate: false,
                edit_own: false,
            };
            Some(tree::build(&view.posts[at..=at], 0, &rights).0)
        }
    };
    let status = field.errors.status();
    let s = view.summary;
    render::page_with_status(
        state,
        status,
        &ReplyPage {
            chrome: who.chrome,
            thread_id: s.id,
            sensitive: s.marking != "OFFICIAL",
            title: s.title,
            marking: s.marking,
            parent,
            body: field.body,
            preview: field.preview,
            errors: field.errors,
            body_label: "Your reply",
            submit_label: "Post reply",
        },
    )
}

/// The quoted text of a post, as Markdown, to start a reply with.
fn quoted(markdown: &str) -> String {
    let mut out: String = markdown
        .lines()
        .map(|l| {
            if l.is_empty() {
                ">\n".to_string()
            } else {
                format!("> {l}\n")
            }
        })
        .collect();
    out.push('\n');
    out
}

#[get("/threads/{id}/reply")]
pub async fn reply_form(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: ReplyQuery = query(&req)?;
    let thread_id = id_from_path(&id)?;
    let parent_id = asked.to.as_deref().map(id_from_path).transpose()?;
    let mut field = BodyField::empty();
    if let (Some(pid), Some(_)) = (parent_id, asked.quote) {
        let parent = use_cases::posts::read(&state, &who.viewer, pid).await?;
        if parent.thread_id != thread_id {
            return Err(ApiError::not_found().into());
        }
        if parent.deleted_at.is_none() {
            field.body = quoted(&parent.body_markdown);
        }
    }
    reply_page(&state, who, thread_id, parent_id, field).await
}

#[post("/threads/{id}/reply")]
pub async fn reply(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let thread_id = id_from_path(&id)?;
    let parent_id = fields.opt("parent_id").map(id_from_path).transpose()?;
    let body = fields.get("body");
    let ids = [("body", "body"), ("parent_id", "body")];
    let field = if wants_preview(&fields) {
        use_cases::threads::may_reply_in(&state, &who.viewer, thread_id).await?;
        preview(&state, &who.viewer, body, &ids).await?
    } else {
        let asked = NewReply {
            body: body.to_string(),
            parent_id,
        };
        match use_cases::posts::reply(&state, &who.viewer, thread_id, asked).await {
            Ok(done) => {
                let p = done.post;
                return Ok(see_other(&post_location(
                    p.thread_id,
                    p.id,
                    p.depth,
                    p.parent_id,
                )));
            }
            Err(e) => refused(body, e, &ids)?,
        }
    };
    reply_page(&state, who, thread_id, parent_id, field).await
}

// ---- Editing and deleting -------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/edit.html")]
struct EditPage {
    chrome: Chrome,
    post_id: i32,
    body: String,
    preview: Option<String>,
    errors: FormErrors,
    body_label: &'static str,
    submit_label: &'static str,
}

fn edit_page(
    state: &AppState,
    chrome: Chrome,
    post_id: i32,
    field: BodyField,
) -> Result<HttpResponse, PageError> {
    render::page_with_status(
        state,
        field.errors.status(),
        &EditPage {
            chrome,
            post_id,
            body: field.body,
            preview: field.preview,
            errors: field.errors,
            body_label: "Your post",
            submit_label: "Save changes",
        },
    )
}

#[get("/posts/{id}/edit")]
pub async fn edit_form(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let found = use_cases::posts::for_change(&state, &who.viewer, id_from_path(&id)?).await?;
    let field = BodyField {
        body: found.body_markdown,
        ..BodyField::empty()
    };
    edit_page(&state, who.chrome, found.id, field)
}

#[post("/posts/{id}/edit")]
pub async fn edit(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let post_id = id_from_path(&id)?;
    let body = fields.get("body");
    let ids = [("body", "body")];
    let field = if wants_preview(&fields) {
        use_cases::posts::for_change(&state, &who.viewer, post_id).await?;
        preview(&state, &who.viewer, body, &ids).await?
    } else {
        match use_cases::posts::edit(&state, &who.viewer, post_id, body).await {
            Ok(p) => {
                return Ok(see_other(&post_location(
                    p.thread_id,
                    p.id,
                    p.depth,
                    p.parent_id,
                )))
            }
            Err(e) => refused(body, e, &ids)?,
        }
    };
    edit_page(&state, who.chrome, post_id, field)
}

#[derive(Template)]
#[template(path = "pages/delete.html")]
struct DeletePage {
    chrome: Chrome,
    post_id: i32,
    body_html: String,
}

#[get("/posts/{id}/delete")]
pub async fn delete_form(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let found = use_cases::posts::for_change(&state, &who.viewer, id_from_path(&id)?).await?;
    render::page(
        &state,
        &DeletePage {
            chrome: who.chrome,
            post_id: found.id,
            body_html: found.body_html,
        },
    )
}

#[post("/posts/{id}/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let post_id = id_from_path(&id)?;
    let found = use_cases::posts::for_change(&state, &who.viewer, post_id).await?;
    use_cases::posts::delete(&state, &who.viewer, post_id).await?;
    Ok(see_other(&format!(
        "/threads/{}?done=deleted#post-{}",
        found.thread_id, found.id
    )))
}

struct RevisionItem {
    when: String,
    when_iso: String,
    body_html: String,
}

#[derive(Template)]
#[template(path = "pages/revisions.html")]
struct RevisionsPage {
    chrome: Chrome,
    post_id: i32,
    revisions: Vec<RevisionItem>,
}

#[get("/posts/{id}/revisions")]
pub async fn revisions(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let post_id = id_from_path(&id)?;
    let found = use_cases::posts::revisions(&state, &who.viewer, post_id).await?;
    render::page(
        &state,
        &RevisionsPage {
            chrome: who.chrome,
            post_id,
            revisions: found
                .into_iter()
                .map(|r| RevisionItem {
                    when: when(r.replaced_at),
                    when_iso: iso(r.replaced_at),
                    body_html: r.body_html,
                })
                .collect(),
        },
    )
}

// ---- Starting a thread ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/new_thread.html")]
struct NewThreadPage {
    chrome: Chrome,
    space_slug: String,
    space_name: String,
    title: String,
    tags: String,
    marking: String,
    title_chars: usize,
    max_tags: usize,
    body: String,
    preview: Option<String>,
    errors: FormErrors,
    body_label: &'static str,
    submit_label: &'static str,
}

struct ThreadFields {
    title: String,
    tags: String,
    marking: String,
}

async fn new_thread_page(
    state: &AppState,
    who: SignedIn,
    slug: &str,
    typed: ThreadFields,
    field: BodyField,
) -> Result<HttpResponse, PageError> {
    let space = use_cases::threads::space_for_new_thread(state, &who.viewer, slug).await?;
    render::page_with_status(
        state,
        field.errors.status(),
        &NewThreadPage {
            chrome: who.chrome,
            space_slug: space.slug,
            space_name: space.name,
            title: typed.title,
            tags: typed.tags,
            marking: typed.marking,
            title_chars: state.settings.limits.title_chars,
            max_tags: state.settings.limits.tags,
            body: field.body,
            preview: field.preview,
            errors: field.errors,
            body_label: "Your post",
            submit_label: "Start thread",
        },
    )
}

#[get("/spaces/{slug}/new")]
pub async fn new_thread_form(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let typed = ThreadFields {
        title: String::new(),
        tags: String::new(),
        marking: "OFFICIAL".into(),
    };
    new_thread_page(&state, who, &slug, typed, BodyField::empty()).await
}

#[post("/spaces/{slug}/new")]
pub async fn start_thread(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    form: Submitted,
) -> Result<HttpResponse, PageError> {
    let fields = form.verified(&state.keys.csrf, &who.viewer.session_id)?;
    let typed = ThreadFields {
        title: fields.get("title").to_string(),
        tags: fields.get("tags").to_string(),
        marking: fields.get("marking").to_string(),
    };
    let body = fields.get("body");
    let ids = [
        ("title", "title"),
        ("tags", "tags"),
        ("body", "body"),
        ("marking", "marking"),
    ];
    let field = if wants_preview(&fields) {
        use_cases::threads::space_for_new_thread(&state, &who.viewer, &slug).await?;
        preview(&state, &who.viewer, body, &ids).await?
    } else {
        match typed.marking.parse::<Marking>() {
            Err(_) => {
                let mut errors = FormErrors::default();
                errors.add("marking", "Choose OFFICIAL or OFFICIAL-SENSITIVE");
                BodyField {
                    body: body.to_string(),
                    preview: None,
                    errors,
                }
            }
            Ok(marking) => {
                let asked = NewThreadRequest {
                    title: typed.title.clone(),
                    body: body.to_string(),
                    tags: typed
                        .tags
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                    marking,
                };
                match use_cases::threads::start(&state, &who.viewer, &slug, asked).await {
                    Ok(started) => {
                        return Ok(see_other(&format!("/threads/{}", started.thread_id)))
                    }
                    Err(e) => refused(body, e, &ids)?,
                }
            }
        }
    };
    new_thread_page(&state, who, &slug, typed, field).await
}
