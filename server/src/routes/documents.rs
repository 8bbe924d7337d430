//! Shared documents: upload (multipart, streamed to staging), details, versions, download,
//! a space's library, delete.
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::library::store::{StageError, Staging};
use crate::routes::{id_from_path, PageQuery};
use crate::state::AppState;
use crate::use_cases::documents::{
    self as docs, Destination, DocumentView, LibraryPage, ReceivedFile, UploadDetails,
    UploadTicket, Uploaded, VersionView,
};
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

/// Longest text field sent beside a file.
const FIELD_MAX: usize = 16 * 1024;
/// Room for the multipart framing and the text fields around the file.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;
/// Most parts one upload may have (a file, three fields and a token, with room to spare).
const MAX_PARTS: usize = 16;

/// Reads a multipart upload: the `file` field streamed into staging within the ticket's limit,
/// and the small text fields. A declared length over the limit is refused before reading.
/// With `csrf` (a page's form), the first field must be `csrf_token` and pass it, so nothing
/// else of a forged form is read.
pub async fn receive(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    ticket: &UploadTicket,
    csrf: Option<&dyn Fn(&str) -> bool>,
) -> Result<(ReceivedFile, UploadDetails), ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > ticket.limit + FRAMING_ALLOWANCE) {
        return Err(docs::too_large(ticket));
    }
    let is_multipart = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as multipart/form-data with a field named file".into(),
        ));
    }
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let bad = |e: actix_multipart::MultipartError| {
        ApiError::bad_request(format!("the upload could not be read: {e}"))
    };
    let mut file: Option<ReceivedFile> = None;
    let mut details = UploadDetails::default();
    let mut gate = csrf;
    let mut parts = 0;
    // Fields other than the file, all together.
    let mut field_bytes: u64 = 0;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad)?;
        parts += 1;
        if parts > MAX_PARTS {
            return Err(ApiError::bad_request(format!(
                "an upload has at most {MAX_PARTS} parts: the file, title, summary and marking"
            )));
        }
        let name = field.name().unwrap_or_default().to_string();
        if let Some(passes) = gate.take() {
            let mut token = Vec::new();
            while let Some(chunk) = field.next().await {
                token.extend_from_slice(&chunk.map_err(bad)?);
                if token.len() > 512 {
                    break;
                }
            }
            if name != "csrf_token" || !passes(&String::from_utf8_lossy(&token)) {
                return Err(ApiError::Forbidden(
                    "this form has expired or did not come from Roundtable: go back, reload \
                     the page and try again"
                        .into(),
                ));
            }
            continue;
        }
        if name == "file" {
            if file.is_some() {
                return Err(ApiError::validation("file", "send one file per upload"));
            }
            let filename = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .unwrap_or_default()
                .to_string();
            let mut staging = Staging::create(state.library.store.as_ref(), ticket.limit)
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("staging an upload: {e}")))?;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(bad)?;
                staging.write(&chunk).await.map_err(|e| match e {
                    StageError::TooLarge { .. } => docs::too_large(ticket),
                    StageError::Io(e) => ApiError::Internal(anyhow::anyhow!("staging: {e}")),
                })?;
            }
            let staged = staging
                .finish()
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("staging: {e}")))?;
            // A browser sends an empty, nameless file part when none was chosen.
            if !(filename.is_empty() && staged.size == 0) {
                file = Some(ReceivedFile { staged, filename });
            }
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad)?;
            field_bytes += chunk.len() as u64;
            if field_bytes > FRAMING_ALLOWANCE {
                return Err(docs::too_large(ticket));
            }
            if value.len() + chunk.len() > FIELD_MAX {
                return Err(ApiError::validation(
                    &name,
                    format!("{name} is longer than {FIELD_MAX} bytes"),
                ));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value)
            .ok()
            .filter(|v| !v.contains('\0'))
            .ok_or_else(|| {
                ApiError::validation(&name, format!("{name} must be UTF-8 text without NUL"))
            })?;
        match name.as_str() {
            "title" => details.title = Some(value),
            "summary" => details.summary = Some(value),
            "marking" => details.marking = Some(value),
            other => {
                return Err(ApiError::validation(
                    other,
                    format!("unknown field {other:?}: send file, title, summary and marking"),
                ))
            }
        }
    }
    let file = file.ok_or_else(|| ApiError::validation("file", "choose a file to upload"))?;
    Ok((file, details))
}

async fn upload(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
    dest: Destination,
) -> Result<HttpResponse, ApiError> {
    let uploads = state.uploads();
    let ticket = docs::prepare(&uploads, &viewer, dest).await?;
    let (file, details) = receive(&state, &req, payload, &ticket, None).await?;
    let uploaded = docs::complete(&uploads, &viewer, ticket, file, details).await?;
    state.search.changed();
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/documents/{}", uploaded.id),
        ))
        .json(uploaded))
}

/// The multipart body of an upload.
#[derive(utoipa::ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: PDF, DOCX, ODT, XLSX, ODS, PPTX, plain text, Markdown or CSV, decided from
    /// its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Default: from the file's name (a new version keeps the document's title).
    title: Option<String>,
    /// At most 2,000 characters.
    summary: Option<String>,
    /// `OFFICIAL` or `OFFICIAL-SENSITIVE`; default: the thread's (for an attachment), the
    /// document's (for a version), else `OFFICIAL`. Only an admin may go lower.
    marking: Option<String>,
}

/// Shares a document in a space's library. The file's type is decided from its content; with
/// scanning on it is scanned first. Its text is extracted in the background (see
/// `extraction` in the document's details) and then found by search.
#[utoipa::path(post, path = "/api/v1/spaces/{slug}/documents", tag = "documents",
    params(("slug" = String, Path, description = "The space's slug")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Uploaded, description = "Kept"),
        (status = 400, body = ErrorBody, description = "The upload cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "You may read this space but not share documents in it, or may not lower the marking"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 413, body = ErrorBody, description = "The file is over `library.max_file_bytes` or what is left of today's allowance"),
        (status = 415, body = ErrorBody, description = "Not multipart, or not an accepted type of file"),
        (status = 422, body = ErrorBody, description = "A field breaks a rule, or the virus scanner found malware"),
        (status = 429, body = ErrorBody, description = "Today's upload allowance is used up"),
        (status = 503, body = ErrorBody, description = "Scanning is on and the scanner cannot be reached: nothing was kept")))]
#[post("/spaces/{slug}/documents")]
pub async fn upload_to_library(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let dest = Destination::Library {
        space_slug: slug.into_inner(),
    };
    upload(state, viewer, req, payload, dest).await
}

/// Attaches a document to a post (its author, or a moderator). It is read by whoever may
/// read the thread.
#[utoipa::path(post, path = "/api/v1/posts/{id}/documents", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The post's id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Uploaded, description = "Kept"),
        (status = 400, body = ErrorBody, description = "The upload cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not your post, or the thread is locked"),
        (status = 404, body = ErrorBody, description = "No such post, or you may not read it"),
        (status = 409, body = ErrorBody, description = "The thread moved to another space while the file was uploading"),
        (status = 413, body = ErrorBody, description = "The file is too large"),
        (status = 415, body = ErrorBody, description = "Not an accepted type of file"),
        (status = 422, body = ErrorBody, description = "A field breaks a rule, or malware was found"),
        (status = 429, body = ErrorBody, description = "Today's upload allowance is used up"),
        (status = 503, body = ErrorBody, description = "The virus scanner cannot be reached")))]
#[post("/posts/{id}/documents")]
pub async fn attach_to_post(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let dest = Destination::Post {
        post_id: id_from_path(&id)?,
    };
    upload(state, viewer, req, payload, dest).await
}

/// Adds a new version of a document (its owner, or a moderator); earlier versions are kept.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Uploaded, description = "Kept as the current version"),
        (status = 400, body = ErrorBody, description = "The upload cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not your document"),
        (status = 404, body = ErrorBody, description = "No such document, or you may not read it"),
        (status = 409, body = ErrorBody, description = "Another version arrived at the same moment"),
        (status = 413, body = ErrorBody, description = "The file is too large"),
        (status = 415, body = ErrorBody, description = "Not an accepted type of file"),
        (status = 422, body = ErrorBody, description = "A field breaks a rule, or malware was found"),
        (status = 429, body = ErrorBody, description = "Today's upload allowance is used up"),
        (status = 503, body = ErrorBody, description = "The virus scanner cannot be reached")))]
#[post("/documents/{id}/versions")]
pub async fn add_version(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let dest = Destination::Version {
        document_id: id_from_path(&id)?,
    };
    upload(state, viewer, req, payload, dest).await
}

/// A document's details: title, summary, marking, owner, type, whether its text has been
/// read (`extraction`: `pending`, `done` or `failed`, with the reason), and its versions.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    responses((status = 200, body = DocumentView, description = "The document"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such document, or you may not read it")))]
#[get("/documents/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<web::Json<DocumentView>, ApiError> {
    Ok(web::Json(
        docs::show(&state, &viewer, id_from_path(&id)?).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<VersionView>,
}

/// Every version of a document, newest first, with who uploaded it and when.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    responses((status = 200, body = VersionList, description = "The versions"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such document, or you may not read it")))]
#[get("/documents/{id}/versions")]
pub async fn versions(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<web::Json<VersionList>, ApiError> {
    let doc = docs::show(&state, &viewer, id_from_path(&id)?).await?;
    Ok(web::Json(VersionList {
        versions: doc.versions,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    /// A version number; default: the current version.
    #[param(minimum = 1, maximum = 2147483647)]
    pub version: Option<i32>,
}

/// The file, as an attachment, with the type it was found to be.
#[utoipa::path(get, path = "/api/v1/documents/{id}/download", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The document's id"), DownloadQuery),
    responses((status = 200, content_type = "application/octet-stream", description = "The file"),
        (status = 400, body = ErrorBody, description = "The query cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such document or version, or you may not read it")))]
#[get("/documents/{id}/download")]
pub async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
    query: web::Query<DownloadQuery>,
) -> Result<HttpResponse, ApiError> {
    let file = docs::download(&state, &viewer, id_from_path(&id)?, query.version).await?;
    Ok(send_file(file))
}

/// The response for a file: attachment, its sniffed type, `nosniff`, a sandbox CSP, private.
pub fn send_file(file: docs::Download) -> HttpResponse {
    let body = futures_util::stream::unfold(file.reader, |mut reader| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(web::Bytes::from(buf)), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    });
    HttpResponse::Ok()
        .content_type(file.file_type.mime())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            content_disposition(&file.filename),
        ))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header(("Cache-Control", "private, no-store"))
        .no_chunking(file.size)
        .streaming(body)
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII fallback, and the
/// real name percent-encoded.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A space's library: its documents, newest first (attachments stay with their posts).
#[utoipa::path(get, path = "/api/v1/spaces/{slug}/documents", tag = "documents",
    params(("slug" = String, Path, description = "The space's slug"), PageQuery),
    responses((status = 200, body = LibraryPage, description = "One page of documents"),
        (status = 400, body = ErrorBody, description = "The query cannot be read"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 404, body = ErrorBody, description = "No such space, or you may not read it"),
        (status = 422, body = ErrorBody, description = "A bad cursor or limit")))]
#[get("/spaces/{slug}/documents")]
pub async fn library(
    state: web::Data<AppState>,
    viewer: Viewer,
    slug: web::Path<String>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<LibraryPage>, ApiError> {
    let limit = page.limit()?;
    Ok(web::Json(
        docs::library(&state, &viewer, &slug, page.cursor.as_deref(), limit).await?,
    ))
}

/// Deletes a document (its owner, or a moderator): it leaves the library and search.
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents",
    params(("id" = i32, Path, minimum = 1, description = "The document's id")),
    responses((status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody, description = "Not signed in"),
        (status = 403, body = ErrorBody, description = "Not your document"),
        (status = 404, body = ErrorBody, description = "No such document, or you may not read it")))]
#[delete("/documents/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    docs::delete(&state, &viewer, id_from_path(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_is_always_an_attachment_with_a_safe_name() {
        assert_eq!(
            content_disposition("Fleet costs.xlsx"),
            "attachment; filename=\"Fleet costs.xlsx\"; filename*=UTF-8''Fleet%20costs.xlsx"
        );
        let odd = content_disposition("Caf\u{e9} \"x\".txt");
        assert!(
            odd.starts_with("attachment; filename=\"Caf_ _x_.txt\""),
            "{odd}"
        );
        assert!(odd.ends_with("Caf%C3%A9%20%22x%22.txt"), "{odd}");
    }
}
