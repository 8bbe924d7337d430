//! Sharing documents: upload to a space's library or attach to a post, add a version, read
//! the details, download, list a library, delete. Uploads come in two steps: `prepare`
//! checks who may upload where and how much before a byte is read; the handler streams the
//! file into staging within that allowance; `complete` sniffs, scans, keeps and records it.
use crate::audit::{self, AuditEntry};
use crate::auth::Viewer;
use crate::db::entities::{document, document_version as version, post, space, thread};
use crate::domain::Marking;
use crate::error::ApiError;
use crate::forum::input::Title;
use crate::forum::people::{authors, AuthorView};
use crate::library::file_type::{self, FileType};
use crate::library::scan::Verdict;
use crate::library::store::{BlobKey, BlobReader, Staged};
use crate::library::Library;
use crate::outbox::{self, Change};
use crate::permissions::{check, decide, load_access, Action, Subject};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// The longest document title the database column holds.
const TITLE_COLUMN_CHARS: usize = 200;

/// Longest summary, in characters.
pub const SUMMARY_CHARS: usize = 2000;

/// Where an upload goes.
pub enum Destination {
    /// A new document in a space's library.
    Library { space_slug: String },
    /// A new document attached to a post (by its author, or a moderator).
    Post { post_id: i32 },
    /// A new version of a document.
    Version { document_id: i32 },
}

/// What `prepare` found: where the file goes and how many bytes it may have.
pub struct UploadTicket {
    space: space::Model,
    thread: Option<thread::Model>,
    post_id: Option<i32>,
    existing: Option<document::Model>,
    /// Bytes this upload may carry: the file limit, or what is left of today's allowance.
    pub limit: u64,
    /// Whether the limit is today's allowance rather than the file limit.
    pub limited_by_day: bool,
}

/// The details sent with a file; all optional.
#[derive(Default)]
pub struct UploadDetails {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub marking: Option<String>,
}

/// A file received into staging, with the name its sender gave it.
pub struct ReceivedFile {
    pub staged: Staged,
    pub filename: String,
}

async fn readable_document(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i32,
    action: Action,
) -> Result<(document::Model, space::Model), ApiError> {
    let doc = document::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)?;
    let space = space::Entity::find_by_id(doc.space_id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(post_id) = doc.post_id {
        // An attachment goes with its post: a deleted post's files are gone with it.
        let live = post::Entity::find_by_id(post_id)
            .one(db)
            .await?
            .is_some_and(|p| p.deleted_at.is_none());
        if !live {
            return Err(ApiError::not_found());
        }
    }
    // Reading first, so a refusal of the action itself (403) is only told to readers.
    check(db, viewer, &space, Action::Read).await?;
    if action != Action::Read {
        let access = load_access(db, &Subject::from(viewer), &space).await?;
        decide(&Subject::from(viewer), &access, action)
            .into_result()
            .map_err(ApiError::from)?;
    }
    Ok((doc, space))
}

async fn bytes_uploaded_today(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<u64, ApiError> {
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc();
    let sizes: Vec<i64> = version::Entity::find()
        .select_only()
        .column(version::Column::SizeBytes)
        .filter(version::Column::UploadedBy.eq(user_id))
        .filter(version::Column::CreatedAt.gte(midnight))
        .into_tuple()
        .all(db)
        .await?;
    Ok(sizes.into_iter().map(|s| s.max(0) as u64).sum())
}

/// What uploads need: the database, the library, the title rule, and whether the day's
/// allowance applies (not to an operator's bulk import).
pub struct Uploads<'a> {
    pub db: &'a DatabaseConnection,
    pub library: &'a Library,
    pub title_chars: usize,
    pub daily_allowance: bool,
}

impl AppState {
    /// Uploads as people make them, through the API and the pages.
    pub fn uploads(&self) -> Uploads<'_> {
        Uploads {
            db: &self.db,
            library: &self.library,
            title_chars: self.settings.limits.title_chars,
            daily_allowance: true,
        }
    }
}

/// Checks that the viewer may upload to `dest` and has allowance left today.
pub async fn prepare(
    up: &Uploads<'_>,
    viewer: &Viewer,
    dest: Destination,
) -> Result<UploadTicket, ApiError> {
    let (space, thread, post_id, existing) = match dest {
        Destination::Library { space_slug } => {
            let space = crate::spaces::find_by_slug(up.db, &space_slug)
                .await?
                .ok_or_else(ApiError::not_found)?;
            check(up.db, viewer, &space, Action::AddDocument).await?;
            (space, None, None, None)
        }
        Destination::Post { post_id } => {
            let post = post::Entity::find_by_id(post_id)
                .one(up.db)
                .await?
                .filter(|p| p.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            let thread = thread::Entity::find_by_id(post.thread_id)
                .one(up.db)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let space = space::Entity::find_by_id(thread.space_id)
                .one(up.db)
                .await?
                .ok_or_else(ApiError::not_found)?;
            check(up.db, viewer, &space, Action::Read).await?;
            check(
                up.db,
                viewer,
                &space,
                Action::ChangePost {
                    own: post.author_id == viewer.id,
                    thread_locked: thread.locked,
                },
            )
            .await?;
            (space, Some(thread), Some(post.id), None)
        }
        Destination::Version { document_id } => {
            let doc = document::Entity::find_by_id(document_id)
                .one(up.db)
                .await?
                .filter(|d| d.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            let own = doc.owner_id == viewer.id;
            let (doc, space) =
                readable_document(up.db, viewer, doc.id, Action::ChangeDocument { own }).await?;
            (space, None, doc.post_id, Some(doc))
        }
    };
    let library = up.library;
    let used = if up.daily_allowance {
        bytes_uploaded_today(up.db, viewer.id, Utc::now()).await?
    } else {
        0
    };
    let left = if up.daily_allowance {
        library.daily_bytes_per_user.saturating_sub(used)
    } else {
        u64::MAX
    };
    if left == 0 {
        return Err(ApiError::QuotaExceeded(format!(
            "you have uploaded {} today, the most one person may upload in a day; try again \
             tomorrow",
            human_size(used)
        )));
    }
    Ok(UploadTicket {
        space,
        thread,
        post_id,
        existing,
        limit: left.min(library.max_file_bytes),
        limited_by_day: left < library.max_file_bytes,
    })
}

/// The message for an upload that ran past the ticket's limit.
pub fn too_large(ticket: &UploadTicket) -> ApiError {
    let message = if ticket.limited_by_day {
        format!(
            "the file is larger than the {} you may still upload today",
            human_size(ticket.limit)
        )
    } else {
        format!(
            "the file is larger than {}, the largest file Roundtable accepts",
            human_size(ticket.limit)
        )
    };
    ApiError::FileTooLarge(message)
}

pub fn human_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{:.1} MB", bytes as f64 / MB as f64)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// The name a file is kept and downloaded under: the sender's base name without control or
/// path characters, ending in the extension of the type it really is.
fn clean_filename(raw: &str, kind: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '<' | '>'))
        .collect();
    let stem = match cleaned.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim().to_string(),
        _ if !cleaned.trim().is_empty() => cleaned.trim().to_string(),
        _ => "document".to_string(),
    };
    let stem: String = stem.chars().take(200).collect();
    format!("{stem}.{}", kind.extension())
}

fn title_from_filename(filename: &str) -> String {
    let stem = filename.rsplit_once('.').map(|p| p.0).unwrap_or(filename);
    stem.replace(['_', '-'], " ").trim().to_string()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    pub id: i32,
    pub version: i32,
    /// The type the file was found to be: `pdf`, `docx`, `odt`, `xlsx`, `ods`, `pptx`, `txt`,
    /// `md` or `csv`.
    pub file_type: String,
    pub size_bytes: u64,
}

/// The marking an upload inherits as the database holds it now; 404 when the post or document
/// was deleted meanwhile, 409 when the thread moved to another space.
async fn target_now(db: &DatabaseConnection, ticket: &UploadTicket) -> Result<Marking, ApiError> {
    let stored = |raw: &str| raw.parse().unwrap_or(Marking::OfficialSensitive);
    let (space_id, marking) = match (&ticket.existing, ticket.post_id) {
        (Some(doc), _) => {
            let doc = document::Entity::find_by_id(doc.id)
                .one(db)
                .await?
                .filter(|d| d.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            (doc.space_id, stored(&doc.marking))
        }
        (None, Some(post_id)) => {
            let post = post::Entity::find_by_id(post_id)
                .one(db)
                .await?
                .filter(|p| p.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            let thread = thread::Entity::find_by_id(post.thread_id)
                .one(db)
                .await?
                .ok_or_else(ApiError::not_found)?;
            (thread.space_id, stored(&thread.marking))
        }
        (None, None) => (ticket.space.id, Marking::Official),
    };
    if space_id != ticket.space.id {
        return Err(ApiError::Conflict(
            "the thread moved to another space while the file was uploading; nothing was \
             saved: upload it again"
                .into(),
        ));
    }
    Ok(marking)
}

/// Sniffs, scans and keeps the file, then records the document (or its new version) with an
/// outbox row so it is found by its title at once and by its text once extracted. The caller
/// tells the search indexer (`search.changed()`), if there is one in the process.
pub async fn complete(
    up: &Uploads<'_>,
    viewer: &Viewer,
    ticket: UploadTicket,
    file: ReceivedFile,
    details: UploadDetails,
) -> Result<Uploaded, ApiError> {
    let path = file.staged.path().to_path_buf();
    let kind = tokio::task::spawn_blocking(move || -> Result<FileType, file_type::Refused> {
        let f =
            std::fs::File::open(&path).map_err(|e| file_type::Refused::BrokenZip(e.to_string()))?;
        file_type::sniff(std::io::BufReader::new(f))
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("sniffing task: {e}")))?
    .map_err(|why| ApiError::UnsupportedMediaType(why.to_string()))?;
    let filename = clean_filename(&file.filename, kind);
    // The column holds 200 characters, whatever `limits.title_chars` allows threads.
    let title_max = up.title_chars.min(TITLE_COLUMN_CHARS);
    let title = match (&details.title, &ticket.existing) {
        (Some(t), _) if !t.trim().is_empty() => Some(Title::parse(t, title_max)?),
        (_, Some(_)) => None,
        _ => Some(
            Title::parse(&title_from_filename(&filename), title_max).map_err(|e| {
                ApiError::validation("title", format!("give the document a title ({e})"))
            })?,
        ),
    };
    let summary = details.summary.map(|s| s.trim().to_string());
    if summary
        .as_ref()
        .is_some_and(|s| s.chars().count() > SUMMARY_CHARS)
    {
        return Err(ApiError::validation(
            "summary",
            format!("the summary must be at most {SUMMARY_CHARS} characters"),
        ));
    }
    if let Some(scanner) = &up.library.scanner {
        match scanner
            .scan_file(file.staged.path(), up.library.scan_timeout)
            .await
        {
            Ok(Verdict::Clean) => {}
            Ok(Verdict::Infected(signature)) => {
                audit::record(
                    up.db,
                    AuditEntry {
                        actor_id: Some(viewer.id),
                        action: "document.infected",
                        target_type: "space",
                        target_id: Some(ticket.space.id),
                        detail: serde_json::json!({
                            "filename": filename,
                            "signature": signature,
                            "sha256": file.staged.key.as_str(),
                            "size": file.staged.size,
                        }),
                    },
                    Utc::now(),
                )
                .await?;
                return Err(ApiError::Validation {
                    message: format!(
                        "the virus scanner found {signature} in this file, so it was not \
                         accepted; the file has been deleted and the attempt recorded"
                    ),
                    field: Some("file".into()),
                });
            }
            Err(crate::library::scan::ScanError::Refused(why)) if why.contains("size limit") => {
                return Err(ApiError::FileTooLarge(
                    "the file is larger than the virus scanner accepts (its StreamMaxLength), \
                     so it was not accepted"
                        .into(),
                ));
            }
            Err(e) => {
                tracing::error!(error = %e, "upload refused: scanning failed");
                return Err(ApiError::Unavailable(
                    "the virus scanner is not available, so uploads are paused; nothing was \
                     saved. Try again in a few minutes"
                        .into(),
                ));
            }
        }
    }
    // Scanning (and the upload before it) may have taken a while: the thread, post or
    // document is read again, so the file goes where it stands now, at least as marked.
    let inherited = target_now(up.db, &ticket).await?;
    let marking = match details.marking.as_deref().map(str::trim) {
        None | Some("") => inherited,
        Some(raw) => raw
            .parse::<Marking>()
            .map_err(|e| ApiError::validation("marking", e.0))?,
    };
    if marking < inherited {
        check(up.db, viewer, &ticket.space, Action::LowerMarking)
            .await
            .map_err(|_| {
                ApiError::Forbidden(format!(
                    "only an administrator may mark this document lower than {inherited}"
                ))
            })?;
    }
    let size = file.staged.size;
    let now = Utc::now();
    // The store's `keep` below runs under this lock: for the local store it is a rename of the
    // file already written to staging, and a folder sync.
    let txn = crate::db::begin_write(up.db).await?;
    if up.daily_allowance {
        // Two uploads of one person at once must not both spend the same allowance: a no-op
        // write to their row holds them in turn (a row lock on PostgreSQL, the write lock on
        // SQLite) until this transaction ends, and the sum is read again under it.
        crate::db::entities::user::Entity::update_many()
            .col_expr(
                crate::db::entities::user::Column::Id,
                Expr::col(crate::db::entities::user::Column::Id),
            )
            .filter(crate::db::entities::user::Column::Id.eq(viewer.id))
            .exec(&txn)
            .await?;
        let used = bytes_uploaded_today(&txn, viewer.id, now).await?;
        if used.saturating_add(size) > up.library.daily_bytes_per_user {
            return Err(ApiError::QuotaExceeded(format!(
                "this file would take you past the {} one person may upload in a day (you have \
                 uploaded {} today); nothing was saved",
                human_size(up.library.daily_bytes_per_user),
                human_size(used)
            )));
        }
    }
    let key = up
        .library
        .store
        .keep(file.staged)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("keeping an upload: {e}")))?;
    let (doc_id, number) = match &ticket.existing {
        Some(doc) => {
            let last: Option<i32> = version::Entity::find()
                .select_only()
                .column_as(version::Column::Number.max(), "n")
                .filter(version::Column::DocumentId.eq(doc.id))
                .into_tuple()
                .one(&txn)
                .await?
                .flatten();
            (doc.id, last.unwrap_or(0) + 1)
        }
        None => {
            let doc = document::ActiveModel {
                space_id: Set(ticket.space.id),
                thread_id: Set(ticket.thread.as_ref().map(|t| t.id)),
                post_id: Set(ticket.post_id),
                title: Set(title
                    .as_ref()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default()),
                summary: Set(summary.clone().unwrap_or_default()),
                marking: Set(marking.to_string()),
                owner_id: Set(viewer.id),
                organisation_id: Set(Some(viewer.organisation_id)),
                current_version_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (doc.id, 1)
        }
    };
    let inserted = version::ActiveModel {
        document_id: Set(doc_id),
        number: Set(number),
        blob_key: Set(key.as_str().to_string()),
        size_bytes: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        file_type: Set(kind.as_str().to_string()),
        filename: Set(filename),
        uploaded_by: Set(viewer.id),
        created_at: Set(now),
        extraction: Set("pending".into()),
        extraction_error: Set(None),
        extraction_attempts: Set(0),
        extracted_text: Set(None),
        extracted_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let v = match inserted {
        Ok(v) => v,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(ApiError::Conflict(
                "another version of this document was uploaded at the same moment; upload \
                 yours again to make it the newest"
                    .into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let mut changes = document::Entity::update_many()
        .col_expr(document::Column::CurrentVersionId, Expr::value(v.id))
        .col_expr(document::Column::UpdatedAt, Expr::value(now))
        .col_expr(document::Column::Marking, Expr::value(marking.to_string()));
    if ticket.existing.is_some() {
        if let Some(t) = &title {
            changes = changes.col_expr(document::Column::Title, Expr::value(t.as_str()));
        }
        if let Some(s) = &summary {
            changes = changes.col_expr(document::Column::Summary, Expr::value(s.as_str()));
        }
    }
    changes
        .filter(document::Column::Id.eq(doc_id))
        .exec(&txn)
        .await?;
    if marking < inherited {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(viewer.id),
                action: "document.lower_marking",
                target_type: "document",
                target_id: Some(doc_id),
                detail: serde_json::json!({"from": inherited.as_str(), "to": marking.as_str()}),
            },
            now,
        )
        .await?;
    }
    outbox::record(&txn, Change::Document(doc_id), now).await?;
    txn.commit().await?;
    up.library.wake.notify_one();
    Ok(Uploaded {
        id: doc_id,
        version: number,
        file_type: kind.as_str().to_string(),
        size_bytes: size,
    })
}

/// A version's row without its extracted text (which may be megabytes): what pages, lists
/// and downloads read.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct VersionMeta {
    pub id: i32,
    pub document_id: i32,
    pub number: i32,
    pub blob_key: String,
    pub size_bytes: i64,
    pub file_type: String,
    pub filename: String,
    pub uploaded_by: i32,
    pub created_at: DateTime<Utc>,
    pub extraction: String,
    pub extraction_error: Option<String>,
}

fn version_meta() -> sea_orm::Select<version::Entity> {
    version::Entity::find().select_only().columns([
        version::Column::Id,
        version::Column::DocumentId,
        version::Column::Number,
        version::Column::BlobKey,
        version::Column::SizeBytes,
        version::Column::FileType,
        version::Column::Filename,
        version::Column::UploadedBy,
        version::Column::CreatedAt,
        version::Column::Extraction,
        version::Column::ExtractionError,
    ])
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub number: i32,
    pub file_type: String,
    pub size_bytes: i64,
    pub filename: String,
    pub uploaded_by: Option<AuthorView>,
    pub created_at: DateTime<Utc>,
    /// `pending` (text not read yet), `done` or `failed`.
    pub extraction: String,
    /// Why the text could not be read, when `extraction` is `failed`.
    pub extraction_error: Option<String>,
    pub download_url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: i32,
    pub title: String,
    pub summary: String,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    /// The space's slug.
    pub space: String,
    pub space_name: String,
    /// The thread and post the document is attached to, if it is an attachment.
    pub thread_id: Option<i32>,
    pub post_id: Option<i32>,
    pub owner: Option<AuthorView>,
    /// The current version's type, size and text state.
    pub file_type: String,
    pub file_type_label: String,
    pub size_bytes: i64,
    pub extraction: String,
    pub extraction_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub download_url: String,
    /// Every version, newest first.
    pub versions: Vec<VersionView>,
}

fn download_url(id: i32, number: Option<i32>) -> String {
    match number {
        Some(n) => format!("/api/v1/documents/{id}/download?version={n}"),
        None => format!("/api/v1/documents/{id}/download"),
    }
}

/// A document's details and its versions.
pub async fn show(app: &AppState, viewer: &Viewer, id: i32) -> Result<DocumentView, ApiError> {
    let (doc, space) = readable_document(&app.db, viewer, id, Action::Read).await?;
    let versions = version_meta()
        .filter(version::Column::DocumentId.eq(doc.id))
        .order_by_desc(version::Column::Number)
        .into_model::<VersionMeta>()
        .all(&app.db)
        .await?;
    let people = authors(
        &app.db,
        versions.iter().map(|v| v.uploaded_by).chain([doc.owner_id]),
    )
    .await?;
    let current = versions
        .iter()
        .find(|v| Some(v.id) == doc.current_version_id)
        .or(versions.first())
        .ok_or_else(ApiError::not_found)?;
    let kind = FileType::parse(&current.file_type);
    Ok(DocumentView {
        id: doc.id,
        title: doc.title.clone(),
        summary: doc.summary.clone(),
        marking: doc.marking.clone(),
        space: space.slug.clone(),
        space_name: space.name.clone(),
        thread_id: doc.thread_id,
        post_id: doc.post_id,
        owner: people.get(&doc.owner_id).cloned(),
        file_type: current.file_type.clone(),
        file_type_label: kind.map(|k| k.label()).unwrap_or("File").to_string(),
        size_bytes: current.size_bytes,
        extraction: current.extraction.clone(),
        extraction_error: current.extraction_error.clone(),
        created_at: doc.created_at,
        updated_at: doc.updated_at,
        download_url: download_url(doc.id, None),
        versions: versions
            .iter()
            .map(|v| VersionView {
                number: v.number,
                file_type: v.file_type.clone(),
                size_bytes: v.size_bytes,
                filename: v.filename.clone(),
                uploaded_by: people.get(&v.uploaded_by).cloned(),
                created_at: v.created_at,
                extraction: v.extraction.clone(),
                extraction_error: v.extraction_error.clone(),
                download_url: download_url(doc.id, Some(v.number)),
            })
            .collect(),
    })
}

/// Whether the viewer may add a version of the document or delete it (for the page).
pub async fn may_change(app: &AppState, viewer: &Viewer, id: i32) -> Result<bool, ApiError> {
    let (doc, space) = readable_document(&app.db, viewer, id, Action::Read).await?;
    let access = load_access(&app.db, &Subject::from(viewer), &space).await?;
    let own = doc.owner_id == viewer.id;
    Ok(decide(
        &Subject::from(viewer),
        &access,
        Action::ChangeDocument { own },
    )
    .allowed())
}

/// A file to send: its bytes, type and name.
pub struct Download {
    pub reader: BlobReader,
    pub size: u64,
    pub file_type: FileType,
    pub filename: String,
}

/// The current version's file, or version `number`.
pub async fn download(
    app: &AppState,
    viewer: &Viewer,
    id: i32,
    number: Option<i32>,
) -> Result<Download, ApiError> {
    let (doc, _) = readable_document(&app.db, viewer, id, Action::Read).await?;
    let mut q = version_meta().filter(version::Column::DocumentId.eq(doc.id));
    q = match (number, doc.current_version_id) {
        (Some(n), _) => q.filter(version::Column::Number.eq(n)),
        (None, Some(current)) => q.filter(version::Column::Id.eq(current)),
        (None, None) => return Err(ApiError::not_found()),
    };
    let v = q
        .into_model::<VersionMeta>()
        .one(&app.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let key = BlobKey::parse(&v.blob_key)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("version {} has a bad key", v.id)))?;
    let file_type = FileType::parse(&v.file_type)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("version {} has a bad type", v.id)))?;
    let reader = app
        .library
        .store
        .open(&key)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("opening version {}: {e}", v.id)))?;
    Ok(Download {
        reader,
        size: u64::try_from(v.size_bytes).unwrap_or_default(),
        file_type,
        filename: v.filename,
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentSummary {
    pub id: i32,
    pub title: String,
    pub summary: String,
    #[schema(value_type = String, example = "OFFICIAL")]
    pub marking: String,
    pub file_type: String,
    pub file_type_label: String,
    pub size_bytes: i64,
    pub versions: i32,
    pub extraction: String,
    pub extraction_error: Option<String>,
    pub owner: Option<AuthorView>,
    pub thread_id: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LibraryPage {
    pub space: String,
    pub space_name: String,
    /// Whether the viewer may upload here.
    pub may_upload: bool,
    pub documents: Vec<DocumentSummary>,
    pub next_cursor: Option<String>,
}

/// A space's documents, newest first, `limit` at a time after `cursor` (a document id).
pub async fn library(
    app: &AppState,
    viewer: &Viewer,
    space_slug: &str,
    cursor: Option<&str>,
    limit: u64,
) -> Result<LibraryPage, ApiError> {
    let space = crate::spaces::find_by_slug(&app.db, space_slug)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let access = check(&app.db, viewer, &space, Action::Read).await?;
    let may_upload = decide(&Subject::from(viewer), &access, Action::AddDocument).allowed();
    let before: Option<i32> = match cursor {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| ApiError::validation("cursor", "this cursor is not one we gave"))?,
        ),
    };
    let mut q = document::Entity::find()
        .filter(document::Column::SpaceId.eq(space.id))
        .filter(document::Column::DeletedAt.is_null())
        .filter(document::Column::PostId.is_null())
        .order_by_desc(document::Column::Id)
        .limit(limit + 1);
    if let Some(b) = before {
        q = q.filter(document::Column::Id.lt(b));
    }
    let mut docs = q.all(&app.db).await?;
    let next_cursor = if docs.len() as u64 > limit {
        docs.truncate(limit as usize);
        docs.last().map(|d| d.id.to_string())
    } else {
        None
    };
    let documents = summaries(&app.db, docs).await?;
    Ok(LibraryPage {
        space: space.slug,
        space_name: space.name,
        may_upload,
        documents,
        next_cursor,
    })
}

/// Those of `docs` that are live: not deleted, and not attached to a post since deleted.
pub async fn live(
    db: &impl ConnectionTrait,
    docs: Vec<document::Model>,
) -> Result<Vec<document::Model>, sea_orm::DbErr> {
    let docs: Vec<document::Model> = docs
        .into_iter()
        .filter(|d| d.deleted_at.is_none())
        .collect();
    let post_ids: Vec<i32> = docs.iter().filter_map(|d| d.post_id).collect();
    if post_ids.is_empty() {
        return Ok(docs);
    }
    let gone = crate::forum::posts::deleted_among(db, post_ids).await?;
    Ok(docs
        .into_iter()
        .filter(|d| d.post_id.is_none_or(|p| !gone.contains(&p)))
        .collect())
}

/// The live documents shared with a thread's live posts, newest first (the caller has checked
/// that the viewer may read the thread).
pub async fn in_thread(
    db: &impl ConnectionTrait,
    thread_id: i32,
) -> Result<Vec<DocumentSummary>, ApiError> {
    let docs = document::Entity::find()
        .filter(document::Column::ThreadId.eq(thread_id))
        .filter(document::Column::DeletedAt.is_null())
        .order_by_desc(document::Column::Id)
        .all(db)
        .await?;
    summaries(db, live(db, docs).await?).await
}

/// Summaries of `docs`, with their current versions, in three queries.
pub async fn summaries(
    db: &impl ConnectionTrait,
    docs: Vec<document::Model>,
) -> Result<Vec<DocumentSummary>, ApiError> {
    let ids: Vec<i32> = docs.iter().map(|d| d.id).collect();
    let versions = version_meta()
        .filter(version::Column::DocumentId.is_in(ids))
        .into_model::<VersionMeta>()
        .all(db)
        .await?;
    let people = authors(db, docs.iter().map(|d| d.owner_id)).await?;
    Ok(docs
        .into_iter()
        .filter_map(|d| {
            let current = versions
                .iter()
                .find(|v| Some(v.id) == d.current_version_id)?;
            let count = versions.iter().filter(|v| v.document_id == d.id).count();
            Some(DocumentSummary {
                id: d.id,
                title: d.title,
                summary: d.summary,
                marking: d.marking,
                file_type: current.file_type.clone(),
                file_type_label: FileType::parse(&current.file_type)
                    .map(|k| k.label())
                    .unwrap_or("File")
                    .to_string(),
                size_bytes: current.size_bytes,
                versions: i32::try_from(count).unwrap_or(i32::MAX),
                extraction: current.extraction.clone(),
                extraction_error: current.extraction_error.clone(),
                owner: people.get(&d.owner_id).cloned(),
                thread_id: d.thread_id,
                updated_at: d.updated_at,
            })
        })
        .collect())
}

/// Deletes a document (softly: its files stay for the audit trail); owner or moderator.
pub async fn delete(app: &AppState, viewer: &Viewer, id: i32) -> Result<(), ApiError> {
    let doc = document::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)?;
    let own = doc.owner_id == viewer.id;
    readable_document(&app.db, viewer, id, Action::ChangeDocument { own }).await?;
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    document::Entity::update_many()
        .col_expr(document::Column::DeletedAt, Expr::value(now))
        .filter(document::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(viewer.id),
            action: "document.delete",
            target_type: "document",
            target_id: Some(id),
            detail: serde_json::json!({"title": doc.title, "own": own}),
        },
        now,
    )
    .await?;
    outbox::record(&txn, Change::Document(id), now).await?;
    txn.commit().await?;
    app.search.changed();
    Ok(())
}

/// Keeps a thread's attachments with it when it moves to another space, and raises their
/// marking when the thread's is raised (a lowered thread leaves them as they are: lowering a
/// document is an admin's own decision). In the caller's transaction, with outbox rows.
pub async fn follow_thread(
    txn: &impl ConnectionTrait,
    thread_id: i32,
    space_id: Option<i32>,
    raised_to: Option<Marking>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    if space_id.is_none() && raised_to.is_none() {
        return Ok(());
    }
    let ids: Vec<i32> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .filter(document::Column::ThreadId.eq(thread_id))
        .into_tuple()
        .all(txn)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    let mut update = document::Entity::update_many()
        .filter(document::Column::Id.is_in(ids.clone()))
        .col_expr(document::Column::UpdatedAt, Expr::value(now));
    if let Some(space) = space_id {
        update = update.col_expr(document::Column::SpaceId, Expr::value(space));
    }
    if let Some(marking) = raised_to {
        update = update.col_expr(document::Column::Marking, Expr::value(marking.as_str()));
    }
    update.exec(txn).await?;
    for id in ids {
        outbox::record(txn, Change::Document(id), now).await?;
    }
    Ok(())
}

/// Deletes the documents attached to a post that is being deleted, in the same transaction,
/// with an outbox row each so they leave search too.
pub async fn withdraw_attachments(
    txn: &impl ConnectionTrait,
    post_id: i32,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let ids: Vec<i32> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .filter(document::Column::PostId.eq(post_id))
        .filter(document::Column::DeletedAt.is_null())
        .into_tuple()
        .all(txn)
        .await?;
    if ids.is_empty() {
        return Ok(());
    }
    document::Entity::update_many()
        .col_expr(document::Column::DeletedAt, Expr::value(now))
        .filter(document::Column::Id.is_in(ids.clone()))
        .exec(txn)
        .await?;
    for id in ids {
        outbox::record(txn, Change::Document(id), now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_end_in_the_real_type() {
        assert_eq!(
            clean_filename("C:\\Users\\x\\Contract terms.docx", FileType::Docx),
            "Contract terms.docx"
        );
        assert_eq!(clean_filename("evil.html", FileType::Text), "evil.txt");
        assert_eq!(
            clean_filename("../../a\"b;c\r\n.pdf", FileType::Pdf),
            "abc.pdf"
        );
        assert_eq!(clean_filename("", FileType::Csv), "document.csv");
        assert_eq!(clean_filename(".bashrc", FileType::Text), ".bashrc.txt");
    }

    #[test]
    fn titles_from_names() {
        assert_eq!(
            title_from_filename("fleet_costs-2026.xlsx"),
            "fleet costs 2026"
        );
    }
}
