//! What the library-level tests share: a migrated SQLite database in a temporary folder.
use sea_orm::DatabaseConnection;

/// A fresh, migrated SQLite database; it lives as long as the returned folder.
pub async fn sqlite_database() -> (DatabaseConnection, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = roundtable::settings::Settings::load(None).unwrap();
    settings.database.url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("db.sqlite").display()
    );
    let db = roundtable::db::connect(&settings).await.unwrap();
    roundtable::db::migrate(&db).await.unwrap();
    (db, dir)
}
