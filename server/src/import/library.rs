//! `roundtable library import FOLDER --space SLUG`: shares every file of a folder (and its
//! sub-folders) in a space's library, as a named person, through the same upload steps as the
//! API (type from content, scanning when set, the file limit; not the daily allowance, which
//! is for people, not for an operator's bulk load). Files are refused one by one with the
//! reason; the rest go on.
use crate::auth::Viewer;
use crate::db::entities::user;
use crate::library::store::Staging;
use crate::library::Library;
use crate::settings::Settings;
use crate::use_cases::documents::{
    self as docs, Destination, ReceivedFile, UploadDetails, Uploads,
};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

/// What an import did.
#[derive(Debug, Default)]
pub struct Summary {
    pub imported: usize,
    pub bytes: u64,
    /// (file, why it was refused).
    pub refused: Vec<(PathBuf, String)>,
}

/// Every regular file under `folder`, sub-folders included, in name order; hidden files and
/// folders (starting with `.`) are left out.
pub fn files_in(folder: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .with_context(|| format!("reading {}", folder.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            out.extend(files_in(&entry.path())?);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Someone an operator's command acts as.
pub fn acting_as(account: &user::Model) -> anyhow::Result<Viewer> {
    Ok(Viewer {
        id: account.id,
        email: account.email.clone(),
        display_name: account.display_name.clone(),
        role: account
            .role
            .parse()
            .map_err(|e| anyhow::anyhow!("{}: {e:?}", account.email))?,
        organisation_id: account.organisation_id,
        session_id: String::new(),
        memberships: None,
        signed_in_at: None,
    })
}

/// Uploads as an operator's command makes them: no daily allowance.
pub fn operator_uploads<'a>(
    db: &'a DatabaseConnection,
    library: &'a Library,
    settings: &Settings,
) -> Uploads<'a> {
    Uploads {
        db,
        library,
        title_chars: settings.limits.title_chars,
        daily_allowance: false,
    }
}

/// Imports `files` into `space` as `account`; `progress` is told after each file.
pub async fn import(
    db: &DatabaseConnection,
    settings: &Settings,
    account: &user::Model,
    space: &str,
    files: &[PathBuf],
    mut progress: impl FnMut(&Path),
) -> anyhow::Result<Summary> {
    let library = Library::from_settings(settings)?;
    let viewer = acting_as(account)?;
    let uploads = operator_uploads(db, &library, settings);
    let mut summary = Summary::default();
    for path in files {
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shared = match tokio::fs::File::open(path).await {
            Ok(file) => {
                share(
                    &uploads,
                    &viewer,
                    space,
                    &filename,
                    file,
                    UploadDetails::default(),
                )
                .await
            }
            Err(e) => Err(Refusal::File(format!("cannot be read: {e}"))),
        };
        match shared {
            Ok(size) => {
                summary.imported += 1;
                summary.bytes += size;
            }
            Err(Refusal::File(why)) => summary.refused.push((path.clone(), why)),
            Err(Refusal::Stop(e)) => return Err(e),
        }
        progress(path);
    }
    Ok(summary)
}

pub enum Refusal {
    /// This file only.
    File(String),
    /// The import cannot go on (no such space, the database is down).
    Stop(anyhow::Error),
}

/// Shares what `reader` holds as `filename` in `space`'s library: staged within the file
/// limit, then the upload's usual steps.
pub async fn share(
    uploads: &Uploads<'_>,
    viewer: &Viewer,
    space: &str,
    filename: &str,
    mut reader: impl tokio::io::AsyncRead + Unpin,
    details: UploadDetails,
) -> Result<u64, Refusal> {
    use crate::error::ApiError;
    let stop_or_refuse = |e: ApiError| match e {
        ApiError::NotFound(_) => Refusal::Stop(anyhow::anyhow!(
            "--space: no space {space:?} that this account may read"
        )),
        ApiError::Forbidden(why) => Refusal::Stop(anyhow::anyhow!("--space: {why}")),
        ApiError::Internal(e) => Refusal::Stop(e),
        other => Refusal::File(other.to_string()),
    };
    let dest = Destination::Library {
        space_slug: space.to_string(),
    };
    let ticket = docs::prepare(uploads, viewer, dest)
        .await
        .map_err(stop_or_refuse)?;
    let mut staging = Staging::create(uploads.library.store.as_ref(), ticket.limit)
        .await
        .map_err(|e| Refusal::Stop(e.into()))?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|e| Refusal::File(format!("cannot be read: {e}")))?;
        if n == 0 {
            break;
        }
        staging
            .write(&buf[..n])
            .await
            .map_err(|_| Refusal::File(docs::too_large(&ticket).to_string()))?;
    }
    let staged = staging
        .finish()
        .await
        .map_err(|e| Refusal::Stop(e.into()))?;
    let size = staged.size;
    let received = ReceivedFile {
        staged,
        filename: filename.to_string(),
    };
    docs::complete(uploads, viewer, ticket, received, details)
        .await
        .map_err(stop_or_refuse)?;
    Ok(size)
}
