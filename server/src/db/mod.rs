//! Database connection, migrations and the entities.
pub mod entities;

use crate::settings::{DatabaseKind, Settings};
use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Opens the pool. SQLite gets WAL, foreign keys and a busy timeout so concurrent writers wait
/// instead of failing.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let kind = settings.database_kind()?;
    if kind == DatabaseKind::Sqlite {
        crate::private_files::private_dir(&settings.data_dir).context("the data folder")?;
    }
    let mut options = ConnectOptions::new(settings.database.url.clone());
    options
        .max_connections(settings.database.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if kind == DatabaseKind::Sqlite {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    }
    Database::connect(options).await.with_context(|| {
        format!(
            "connecting to the database ({})",
            redact(&settings.database.url)
        )
    })
}

/// Starts a transaction that writes. On SQLite it takes the write lock at `BEGIN IMMEDIATE`:
/// a transaction that first reads and then writes would otherwise fail at once ("database is
/// locked", which the busy timeout does not cover) whenever another write committed after its
/// first read. Waiting at the start, it queues behind the busy timeout like any writer.
/// PostgreSQL ignores the mode.
/// Whether a write failed on a unique index: something made the same row at the same moment.
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// True when the database answers and every migration has been applied.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    if db.execute_unprepared("SELECT 1").await.is_err() {
        return false;
    }
    matches!(Migrator::get_pending_migrations(db).await, Ok(pending) if pending.is_empty())
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u@h/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
