//! Who has read which thread, and when. A page view only notes the read in memory; a task
//! writes the notes in one transaction about once a second, so reading a thread costs no
//! database write on the request path. A crash loses at most the last second of notes, which
//! only makes a thread look unread again.
use crate::db::entities::thread_read;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::ExprTrait;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The latest read noted per (user id, thread id).
type Notes = HashMap<(i32, i32), DateTime<Utc>>;

/// Notes of reads not yet written.
#[derive(Clone, Default)]
pub struct ReadMarks {
    pending: Arc<Mutex<Notes>>,
}

impl ReadMarks {
    pub fn note(&self, user_id: i32, thread_id: i32, at: DateTime<Utc>) {
        if let Ok(mut pending) = self.pending.lock() {
            let slot = pending.entry((user_id, thread_id)).or_insert(at);
            if *slot < at {
                *slot = at;
            }
        }
    }

    fn take(&self) -> Notes {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Writes every pending note; on failure they are kept for the next attempt.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
        let batch = self.take();
        if batch.is_empty() {
            return Ok(0);
        }
        let written = batch.len();
        match write(db, &batch).await {
            Ok(()) => Ok(written),
            Err(e) => {
                for ((user, thread), at) in batch {
                    self.note(user, thread, at);
                }
                Err(e)
            }
        }
    }

    /// Flushes about once a second for as long as the server runs.
    pub fn spawn_writer(self, db: DatabaseConnection) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(e) = self.flush(&db).await {
                    tracing::warn!(error = %e, "writing read marks failed; will retry");
                }
            }
        });
    }
}

async fn write(db: &DatabaseConnection, batch: &Notes) -> Result<(), sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let rows: Vec<thread_read::ActiveModel> = batch
        .iter()
        .map(|(&(user_id, thread_id), &at)| thread_read::ActiveModel {
            user_id: Set(user_id),
            thread_id: Set(thread_id),
            read_at: Set(at),
        })
        .collect();
    for chunk in rows.chunks(200) {
        thread_read::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                // Only ever forward: with several server processes, an older note may land
                // after a newer one.
                OnConflict::columns([thread_read::Column::UserId, thread_read::Column::ThreadId])
                    .update_column(thread_read::Column::ReadAt)
                    .action_and_where(
                        Expr::col((thread_read::Entity, thread_read::Column::ReadAt))
                            .lt(Expr::cust("excluded.read_at")),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sea_orm::{ConnectionTrait, Database};

    #[tokio::test]
    async fn a_later_note_wins_and_an_older_one_never_goes_back() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE thread_reads (user_id INTEGER NOT NULL, thread_id INTEGER NOT NULL, \
             read_at TEXT NOT NULL, PRIMARY KEY (user_id, thread_id))",
        )
        .await
        .unwrap();
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 2, h, 0, 0).unwrap();
        let marks = ReadMarks::default();
        marks.note(1, 7, at(10));
        marks.note(1, 7, at(9));
        assert_eq!(
            marks.flush(&db).await.unwrap(),
            1,
            "one row per (user, thread)"
        );
        marks.note(1, 7, at(8));
        marks.flush(&db).await.unwrap();
        let stored = thread_read::Entity::find().one(&db).await.unwrap().unwrap();
        assert_eq!(
            stored.read_at,
            at(10),
            "an older note from another process is ignored"
        );
        marks.note(1, 7, at(11));
        marks.flush(&db).await.unwrap();
        let stored = thread_read::Entity::find().one(&db).await.unwrap().unwrap();
        assert_eq!(stored.read_at, at(11));
        assert_eq!(marks.flush(&db).await.unwrap(), 0, "nothing left to write");
    }
}
