//! A space's library (`/spaces/{slug}/library`: its documents and the upload form) and a
//! document's page (`/documents/{id}`: details, versions, download, a new version). Uploads
//! are multipart forms whose first field is the CSRF token, checked before the file is read.
use super::errors::{see_other, PageError};
use super::form::FormErrors;
use super::render::{self, when, Chrome};
use super::session::SignedIn;
use super::spaces::query;
use super::views::page_marking;
use crate::best_practice::Item;
use crate::error::ApiError;
use crate::routes::documents::receive;
use crate::routes::id_from_path;
use crate::state::AppState;
use crate::use_cases::best_practice::{self, EndorsementView};
use crate::use_cases::documents::{self as docs, human_size, Destination, UploadDetails};
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

const PAGE_SIZE: u64 = 25;

pub struct DocumentRow {
    pub id: i32,
    pub title: String,
    pub summary: String,
    pub marking: String,
    pub sensitive: bool,
    pub file_type: String,
    pub size: String,
    pub owner: String,
    pub updated: String,
    pub versions: i32,
    /// Why the text could not be read, or that it is still being read.
    pub text_note: Option<String>,
}

impl From<docs::DocumentSummary> for DocumentRow {
    fn from(d: docs::DocumentSummary) -> Self {
        DocumentRow {
            id: d.id,
            sensitive: d.marking != "OFFICIAL",
            marking: d.marking,
            title: d.title,
            summary: d.summary,
            file_type: d.file_type_label,
            size: human_size(u64::try_from(d.size_bytes).unwrap_or_default()),
            owner: d.owner.map(|o| o.display_name).unwrap_or_default(),
            updated: when(d.updated_at),
            versions: d.versions,
            text_note: text_note(&d.extraction, d.extraction_error.as_deref()),
        }
    }
}

/// What the upload form holds when it comes back with a problem.
#[derive(Default)]
pub struct UploadForm {
    pub title: String,
    pub summary: String,
    pub marking: String,
}

/// An upload refused for something the person can put right on the form.
pub struct Refused {
    pub form: UploadForm,
    pub errors: FormErrors,
    pub status: actix_web::http::StatusCode,
}

#[derive(Template)]
#[template(path = "pages/library.html")]
struct LibraryPage {
    chrome: Chrome,
    marking: String,
    sensitive: bool,
    slug: String,
    name: String,
    documents: Vec<DocumentRow>,
    may_upload: bool,
    scanning_on: bool,
    max_size: String,
    form: UploadForm,
    errors: FormErrors,
    next: Option<String>,
    action: String,
    is_version: bool,
}

#[derive(Deserialize)]
struct LibraryQuery {
    cursor: Option<String>,
}

fn text_note(extraction: &str, error: Option<&str>) -> Option<String> {
    match extraction {
        "pending" => Some("Its text is being read for search.".into()),
        "failed" => Some(format!(
            "Its text could not be read for search: {}",
            error.unwrap_or("no reason was given")
        )),
        _ => None,
    }
}

async fn library_page(
    state: &AppState,
    who: SignedIn,
    slug: &str,
    cursor: Option<&str>,
    form: UploadForm,
) -> Result<LibraryPage, PageError> {
    let found = docs::library(state, &who.viewer, slug, cursor, PAGE_SIZE).await?;
    let documents: Vec<DocumentRow> = found.documents.into_iter().map(DocumentRow::from).collect();
    let (marking, sensitive) = page_marking(documents.iter().map(|d| &d.sensitive));
    let next = found
        .next_cursor
        .map(|c| format!("/spaces/{}/library?cursor={c}", found.space));
    Ok(LibraryPage {
        chrome: who.chrome,
        marking,
        sensitive,
        slug: found.space,
        name: found.space_name,
        documents,
        may_upload: found.may_upload,
        scanning_on: state.library.scanner.is_some(),
        max_size: human_size(state.library.max_file_bytes),
        errors: FormErrors::default(),
        form,
        next,
        action: format!("/spaces/{slug}/library"),
        is_version: false,
    })
}

#[get("/spaces/{slug}/library")]
pub async fn show(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked: LibraryQuery = query(&req)?;
    let form = UploadForm {
        marking: "OFFICIAL".into(),
        ..UploadForm::default()
    };
    let page = library_page(&state, who, &slug, asked.cursor.as_deref(), form).await?;
    render::page(&state, &page)
}

/// The form's problem from an upload's refusal: the file (too large, wrong type, malware,
/// allowance used, scanner down) or a field; `None` for refusals that are not about the form.
fn upload_problem(err: &ApiError) -> Option<(&'static str, String)> {
    let field = match err {
        ApiError::FileTooLarge(_)
        | ApiError::UnsupportedMediaType(_)
        | ApiError::QuotaExceeded(_)
        | ApiError::Unavailable(_) => "file",
        ApiError::Validation { field: Some(f), .. } => match f.as_str() {
            "title" => "title",
            "summary" => "summary",
            "marking" => "marking",
            _ => "file",
        },
        ApiError::Forbidden(m) if m.contains("mark") => "marking",
        _ => return None,
    };
    Some((field, super::errors::capitalise(&err.to_string())))
}

/// Runs an upload from a page's form; `Err(Ok(refused))` for a problem to show on the form.
pub async fn upload_from_form(
    state: &AppState,
    who: &SignedIn,
    req: &HttpRequest,
    payload: web::Payload,
    dest: Destination,
) -> Result<i32, Result<Refused, PageError>> {
    let fail = |e: ApiError, details: &UploadDetails| match upload_problem(&e) {
        Some((field, message)) => {
            let mut errors = FormErrors::default();
            errors.add(field, message);
            Ok(Refused {
                form: UploadForm {
                    title: details.title.clone().unwrap_or_default(),
                    summary: details.summary.clone().unwrap_or_default(),
                    marking: details.marking.clone().unwrap_or_else(|| "OFFICIAL".into()),
                },
                errors,
                status: e.status_code(),
            })
        }
        None => Err(PageError::Api(e)),
    };
    let empty = UploadDetails::default();
    let uploads = state.uploads();
    let ticket = docs::prepare(&uploads, &who.viewer, dest)
        .await
        .map_err(|e| fail(e, &empty))?;
    let key = &state.keys.csrf;
    let session = who.viewer.session_id.clone();
    let passes = move |token: &str| key.verify(&session, token);
    let (file, details) = receive(state, req, payload, &ticket, Some(&passes))
        .await
        .map_err(|e| fail(e, &empty))?;
    let kept = UploadDetails {
        title: details.title.clone(),
        summary: details.summary.clone(),
        marking: details.marking.clone(),
    };
    let id = docs::complete(&uploads, &who.viewer, ticket, file, details)
        .await
        .map(|up| up.id)
        .map_err(|e| fail(e, &kept))?;
    state.search.changed();
    Ok(id)
}

#[post("/spaces/{slug}/library")]
pub async fn upload(
    state: web::Data<AppState>,
    who: SignedIn,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let dest = Destination::Library {
        space_slug: slug.to_string(),
    };
    match upload_from_form(&state, &who, &req, payload, dest).await {
        Ok(id) => Ok(see_other(&format!("/documents/{id}"))),
        Err(Ok(refused)) => {
            let mut page = library_page(&state, who, &slug, None, refused.form).await?;
            page.errors = refused.errors;
            render::page_with_status(&state, refused.status, &page)
        }
        Err(Err(e)) => Err(e),
    }
}

pub struct VersionRow {
    pub number: i32,
    pub filename: String,
    pub file_type: String,
    pub size: String,
    pub uploaded_by: String,
    pub when: String,
    pub href: String,
    pub text_note: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/document.html")]
struct DocumentPage {
    chrome: Chrome,
    /// The page's marking: the document's, or its successor's if higher.
    page_marking: String,
    marking: String,
    sensitive: bool,
    title: String,
    summary: String,
    space: String,
    space_name: String,
    thread_href: Option<String>,
    file_type: String,
    size: String,
    owner: String,
    owner_org: String,
    updated: String,
    download_href: String,
    text_note: Option<String>,
    versions: Vec<VersionRow>,
    may_change: bool,
    scanning_on: bool,
    max_size: String,
    form: UploadForm,
    errors: FormErrors,
    action: String,
    is_version: bool,
    endorsement: Option<EndorsementView>,
    may_endorse: bool,
    may_review: bool,
    endorse_action: String,
}

async fn document_page(
    state: &AppState,
    who: SignedIn,
    id: i32,
    form: UploadForm,
) -> Result<DocumentPage, PageError> {
    let doc = docs::show(state, &who.viewer, id).await?;
    let may_change = docs::may_change(state, &who.viewer, id).await?;
    let item = Item::Document(id);
    let endorsement = best_practice::show(state, &who.viewer, item).await?;
    let (may_endorse, may_review) =
        best_practice::abilities(state, &who.viewer, item, endorsement.as_ref()).await?;
    let file_type_label = |t: &str| {
        crate::library::file_type::FileType::parse(t)
            .map(|k| k.label())
            .unwrap_or("File")
            .to_string()
    };
    let versions = doc
        .versions
        .iter()
        .map(|v| VersionRow {
            number: v.number,
            filename: v.filename.clone(),
            file_type: file_type_label(&v.file_type),
            size: human_size(u64::try_from(v.size_bytes).unwrap_or_default()),
            uploaded_by: v
                .uploaded_by
                .as_ref()
                .map(|a| a.display_name.clone())
                .unwrap_or_default(),
            when: when(v.created_at),
            href: v.download_url.clone(),
            text_note: text_note(&v.extraction, v.extraction_error.as_deref()),
        })
        .collect();
    let successor_sensitive = endorsement
        .as_ref()
        .and_then(|e| e.superseded_by.as_ref())
        .is_some_and(|s| s.marking != "OFFICIAL");
    let sensitive = doc.marking != "OFFICIAL" || successor_sensitive;
    Ok(DocumentPage {
        chrome: who.chrome,
        page_marking: if sensitive {
            "OFFICIAL-SENSITIVE".into()
        } else {
            "OFFICIAL".into()
        },
        marking: doc.marking.clone(),
        sensitive,
        title: doc.title,
        summary: doc.summary,
        space: doc.space,
        space_name: doc.space_name,
        thread_href: doc.post_id.map(|p| format!("/posts/{p}")),
        file_type: doc.file_type_label,
        size: human_size(u64::try_from(doc.size_bytes).unwrap_or_default()),
        owner: doc
            .owner
            .as_ref()
            .map(|o| o.display_name.clone())
            .unwrap_or_default(),
        owner_org: doc
            .owner
            .as_ref()
            .map(|o| o.organisation.clone())
            .unwrap_or_default(),
        updated: when(doc.updated_at),
        download_href: doc.download_url,
        text_note: text_note(&doc.extraction, doc.extraction_error.as_deref()),
        versions,
        may_change,
        scanning_on: state.library.scanner.is_some(),
        max_size: human_size(state.library.max_file_bytes),
        form: UploadForm {
            marking: if form.marking.is_empty() {
                doc.marking
            } else {
                form.marking
            },
            ..form
        },
        errors: FormErrors::default(),
        action: format!("/documents/{id}/versions"),
        is_version: true,
        endorsement,
        may_endorse,
        may_review,
        endorse_action: format!("/documents/{id}/endorsement"),
    })
}

#[get("/documents/{id}")]
pub async fn document(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let page = document_page(&state, who, id_from_path(&id)?, UploadForm::default()).await?;
    render::page(&state, &page)
}

#[post("/documents/{id}/versions")]
pub async fn new_version(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let id = id_from_path(&id)?;
    let dest = Destination::Version { document_id: id };
    match upload_from_form(&state, &who, &req, payload, dest).await {
        Ok(id) => Ok(see_other(&format!("/documents/{id}"))),
        Err(Ok(refused)) => {
            let mut page = document_page(&state, who, id, refused.form).await?;
            page.errors = refused.errors;
            render::page_with_status(&state, refused.status, &page)
        }
        Err(Err(e)) => Err(e),
    }
}

#[post("/documents/{id}/endorsement")]
pub async fn endorse(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    form: super::form::Submitted,
) -> Result<HttpResponse, PageError> {
    super::threads::endorsement_form(&state, &who, Item::Document(id_from_path(&id)?), form).await
}

/// Attaches a document to a post, from the form on its thread's page. A refusal (too large, not
/// an accepted type, the day's allowance used) is shown on an error page with its reason.
#[post("/posts/{id}/documents")]
pub async fn attach(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let dest = Destination::Post {
        post_id: id_from_path(&id)?,
    };
    match upload_from_form(&state, &who, &req, payload, dest).await {
        Ok(id) => Ok(see_other(&format!("/documents/{id}"))),
        Err(Ok(refused)) => {
            let (field, message) = refused
                .errors
                .list
                .first()
                .map(|e| (e.field.clone(), e.message.clone()))
                .unwrap_or_else(|| ("file".into(), "The file was refused".into()));
            use actix_web::http::StatusCode;
            Err(match refused.status {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::FileTooLarge(message),
                StatusCode::TOO_MANY_REQUESTS => ApiError::QuotaExceeded(message),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(message),
                StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable(message),
                _ => ApiError::validation(&field, message),
            }
            .into())
        }
        Err(Err(e)) => Err(e),
    }
}
