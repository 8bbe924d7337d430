//! Extracts the text of new versions, one at a time, in the extraction process. The queue is
//! the database itself (versions whose `extraction` is `pending`), so a crash at any point
//! loses nothing: on restart the version is still pending and is extracted again once its
//! claim (its `extracted_at`, a lease of the wall-time limit plus 5 s) has lapsed; while it
//! holds, no other process reads the same version. Finishing a
//! version writes its text, its state and an outbox row in one transaction; the indexer then
//! replaces the document in the index (by document id, so nothing is doubled).
use super::file_type::FileType;
use super::isolate::{self, Failure};
use super::store::BlobKey;
use super::Library;
use crate::db::entities::document_version as version;
use crate::outbox::{self, Change};
use crate::search::SearchService;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::sync::Arc;
use std::time::Duration;

const POLL: Duration = Duration::from_secs(2);
/// How long after the extraction's wall-time limit a claim lapses.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// A version whose extraction was cut short this many times (the server died each time) is
/// given up on.
const MAX_ATTEMPTS: i32 = 3;

pub fn spawn(
    library: Arc<Library>,
    db: DatabaseConnection,
    search: Arc<SearchService>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match next(&library, &db, &search).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "text extraction step failed");
                }
            }
            tokio::select! {
                _ = library.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// Extracts the oldest pending version, if any. `Ok(true)` when one was handled.
pub async fn next(
    library: &Library,
    db: &DatabaseConnection,
    search: &SearchService,
) -> anyhow::Result<bool> {
    let now = Utc::now();
    // A pending version's `extracted_at` is its claim: another process is reading it until
    // the lease runs out (its child is killed at the wall-time limit, before that).
    let lease = chrono::Duration::from_std(library.budget.wall + LEASE_MARGIN)
        .unwrap_or(chrono::Duration::minutes(5));
    let Some(pending) = version::Entity::find()
        .filter(version::Column::Extraction.eq("pending"))
        .filter(
            version::Column::ExtractedAt
                .is_null()
                .or(version::Column::ExtractedAt.lt(now - lease)),
        )
        .order_by_asc(version::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    // Claim this attempt: another process that read the same row loses the race here.
    let claimed = version::Entity::update_many()
        .col_expr(
            version::Column::ExtractionAttempts,
            Expr::value(pending.extraction_attempts + 1),
        )
        .col_expr(version::Column::ExtractedAt, Expr::value(Some(now)))
        .filter(version::Column::Id.eq(pending.id))
        .filter(version::Column::Extraction.eq("pending"))
        .filter(version::Column::ExtractionAttempts.eq(pending.extraction_attempts))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(false);
    }
    let outcome = if pending.extraction_attempts >= MAX_ATTEMPTS {
        Err(Failure::Unreadable(format!(
            "reading the file was cut short {MAX_ATTEMPTS} times; upload it again to retry"
        )))
    } else {
        extract(library, &pending).await
    };
    if let Err(f) = &outcome {
        if f.is_transient() {
            // Our failure, not the file's: the attempt is given back, and the lease makes
            // the next one wait.
            tracing::warn!(version = pending.id, error = %f, "text extraction will be retried");
            version::Entity::update_many()
                .col_expr(
                    version::Column::ExtractionAttempts,
                    Expr::value(pending.extraction_attempts),
                )
                .filter(version::Column::Id.eq(pending.id))
                .exec(db)
                .await?;
            return Ok(false);
        }
    }
    finish(db, &pending, outcome).await?;
    search.changed();
    Ok(true)
}

async fn extract(library: &Library, v: &version::Model) -> Result<String, Failure> {
    let kind = FileType::parse(&v.file_type)
        .ok_or_else(|| Failure::Unreadable(format!("unknown file type {:?}", v.file_type)))?;
    let key = BlobKey::parse(&v.blob_key)
        .ok_or_else(|| Failure::Unreadable("the stored file's name is not valid".into()))?;
    let file = library
        .store
        .open(&key)
        .await
        .map_err(|e| Failure::NotRun(format!("opening the stored file: {e}")))?;
    let started = std::time::Instant::now();
    let result = isolate::extract(kind, file, library.budget).await;
    tracing::info!(
        version = v.id,
        file_type = kind.as_str(),
        bytes = v.size_bytes,
        ms = started.elapsed().as_millis() as u64,
        ok = result.is_ok(),
        "text extracted"
    );
    result
}

async fn finish(
    db: &DatabaseConnection,
    v: &version::Model,
    outcome: Result<String, Failure>,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let mut row: version::ActiveModel = v.clone().into();
    row.extracted_at = Set(Some(now));
    match outcome {
        Ok(text) => {
            row.extraction = Set("done".into());
            row.extracted_text = Set(Some(text));
            row.extraction_error = Set(None);
        }
        Err(why) => {
            row.extraction = Set("failed".into());
            row.extraction_error = Set(Some(why.to_string()));
        }
    }
    row.extraction_attempts = sea_orm::ActiveValue::NotSet;
    row.update(&txn).await?;
    outbox::record(&txn, Change::Document(v.document_id), now).await?;
    txn.commit().await
}
