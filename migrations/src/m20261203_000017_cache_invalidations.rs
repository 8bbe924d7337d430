use crate::pk;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What each server process must forget from its caches, written by triggers in the same
/// transaction as the change, whoever makes it (a request, the CLI, another process). Every
/// process reads the rows after its position; on PostgreSQL the triggers also send a
/// `NOTIFY roundtable_changes` so the others hear at once rather than at their next poll.
///
/// `kind` is `thread` (its id: a rendered thread is stale), `access` (a user id: their
/// sessions, role or memberships changed), or `user` (a user id: their own choices, such as
/// watches, changed). A null `target_id` means every one of that kind.
#[derive(DeriveIden)]
enum CacheInvalidations {
    Table,
    Id,
    Kind,
    TargetId,
}

/// One trigger: on `events` of `table`, insert the rows `select` yields, which read the
/// changed row as `R` (the new row, or the old one on DELETE).
pub(crate) struct Watch {
    pub name: &'static str,
    pub table: &'static str,
    pub event: Event,
    pub select: &'static str,
    /// Only when this holds of `OLD` and `NEW` (updates only).
    pub when: Option<&'static str>,
}

#[derive(Clone, Copy)]
pub(crate) enum Event {
    Insert,
    Update(&'static str),
    Delete,
}

impl Event {
    fn sql(self) -> String {
        match self {
            Event::Insert => "INSERT".into(),
            Event::Update("") => "UPDATE".into(),
            Event::Update(cols) => format!("UPDATE OF {cols}"),
            Event::Delete => "DELETE".into(),
        }
    }
    fn row(self) -> &'static str {
        match self {
            Event::Delete => "OLD",
            _ => "NEW",
        }
    }
    fn suffix(self) -> &'static str {
        match self {
            Event::Insert => "i",
            Event::Update(_) => "u",
            Event::Delete => "d",
        }
    }
}

/// Changes that make a rendered thread stale: its posts, settings, tags, attachments, case
/// study and endorsement; and for every thread, its authors' names and organisations, and the
/// spaces (their names show in the thread).
const THREAD_OF_POST: &str = "SELECT 'thread', R.thread_id";
const THREAD_ITSELF: &str = "SELECT 'thread', R.id UNION ALL SELECT 'thread', e.thread_id \
     FROM endorsements e WHERE e.succeeded_by_thread_id = R.id AND e.thread_id IS NOT NULL";
/// A document shows on its thread's page, as a case study's source and as an endorsement's
/// successor.
const THREAD_OF_DOCUMENT: &str = "SELECT 'thread', R.thread_id WHERE R.thread_id IS NOT NULL \
     UNION ALL SELECT 'thread', c.thread_id FROM case_studies c \
     WHERE c.source_document_id = R.id \
     UNION ALL SELECT 'thread', e.thread_id FROM endorsements e \
     WHERE e.succeeded_by_document_id = R.id AND e.thread_id IS NOT NULL";
const THREAD_OF_VERSION: &str = "SELECT 'thread', d.thread_id FROM documents d \
     WHERE d.id = R.document_id AND d.thread_id IS NOT NULL";
const THREAD_OF_ENDORSEMENT: &str = "SELECT 'thread', R.thread_id WHERE R.thread_id IS NOT NULL \
     UNION ALL SELECT 'thread', d.thread_id FROM documents d \
     WHERE d.id = R.document_id AND d.thread_id IS NOT NULL";
const EVERY_THREAD: &str = "SELECT 'thread', CAST(NULL AS INTEGER)";
const EVERY_THREAD_AND_ACCESS: &str =
    "SELECT 'thread', CAST(NULL AS INTEGER) UNION ALL SELECT 'access', CAST(NULL AS INTEGER)";
const ACCESS_OF_USER_ID: &str = "SELECT 'access', R.user_id";
const ACCESS_OF_USER: &str = "SELECT 'access', R.id";
pub(crate) const CHOICES_OF_USER_ID: &str = "SELECT 'user', R.user_id";

fn watches() -> Vec<Watch> {
    use Event::*;
    let all = [Insert, Update(""), Delete];
    let mut out = Vec::new();
    let mut each = |name: &'static str, table: &'static str, events: &[Event], select| {
        for &event in events {
            out.push(Watch {
                name,
                table,
                event,
                select,
                when: None,
            });
        }
    };
    each("posts", "posts", &all, THREAD_OF_POST);
    each("threads", "threads", &[Update(""), Delete], THREAD_ITSELF);
    each("thread_tags", "thread_tags", &all, THREAD_OF_POST);
    each("tags", "tags", &[Update(""), Delete], EVERY_THREAD);
    each("documents", "documents", &all, THREAD_OF_DOCUMENT);
    each(
        "document_versions",
        "document_versions",
        &all,
        THREAD_OF_VERSION,
    );
    each("case_studies", "case_studies", &all, THREAD_OF_POST);
    each("endorsements", "endorsements", &all, THREAD_OF_ENDORSEMENT);
    each(
        "organisations",
        "organisations",
        &[Update(""), Delete],
        EVERY_THREAD,
    );
    each("spaces", "spaces", &all, EVERY_THREAD_AND_ACCESS);
    each(
        "service_areas",
        "service_areas",
        &[Update(""), Delete],
        EVERY_THREAD,
    );
    each(
        "users_shown",
        "users",
        &[Update("display_name, organisation_id, job_title"), Delete],
        EVERY_THREAD,
    );
    each(
        "users_access",
        "users",
        &[
            Update("role, disabled, organisation_id, email, display_name"),
            Delete,
        ],
        ACCESS_OF_USER,
    );
    each("sessions", "sessions", &[Delete], ACCESS_OF_USER_ID);
    each("space_members", "space_members", &all, ACCESS_OF_USER_ID);
    each("thread_watches", "thread_watches", &all, CHOICES_OF_USER_ID);
    // A refresh moves a session's expiry later, which no cached entry needs to hear of (it
    // would clear every cached session at each person's refresh); only an ending does.
    out.push(Watch {
        name: "sessions",
        table: "sessions",
        event: Update("revoked_at, expires_at, user_id"),
        select: ACCESS_OF_USER_ID,
        when: Some(
            "NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL \
             OR NEW.expires_at < OLD.expires_at OR NEW.user_id <> OLD.user_id",
        ),
    });
    out
}

impl Watch {
    fn trigger_name(&self) -> String {
        format!("rt_inval_{}_{}", self.name, self.event.suffix())
    }

    fn select(&self) -> String {
        let row = self.event.row();
        self.select.replace("R.", &format!("{row}."))
    }

    pub(crate) fn create(&self, backend: DbBackend) -> Vec<String> {
        let name = self.trigger_name();
        let (table, event, select) = (self.table, self.event.sql(), self.select());
        let insert = format!("INSERT INTO cache_invalidations (kind, target_id) {select};");
        let when = self
            .when
            .map(|w| format!(" WHEN ({w})"))
            .unwrap_or_default();
        match backend {
            DbBackend::Postgres => vec![
                format!(
                    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN {insert} PERFORM pg_notify('roundtable_changes', ''); RETURN NULL; END $$"
                ),
                format!(
                    "CREATE TRIGGER {name} AFTER {event} ON {table} \
                     FOR EACH ROW{when} EXECUTE FUNCTION {name}()"
                ),
            ],
            _ => vec![format!(
                "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} \
                 BEGIN {insert} END"
            )],
        }
    }

    pub(crate) fn drop(&self, backend: DbBackend) -> Vec<String> {
        let name = self.trigger_name();
        match backend {
            DbBackend::Postgres => vec![
                format!("DROP TRIGGER IF EXISTS {name} ON {}", self.table),
                format!("DROP FUNCTION IF EXISTS {name}()"),
            ],
            _ => vec![format!("DROP TRIGGER IF EXISTS {name}")],
        }
    }
}

/// The search indexer's outbox also wakes the other processes on PostgreSQL.
fn outbox_notify(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => vec![
            "CREATE OR REPLACE FUNCTION rt_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_notify('roundtable_changes', ''); RETURN NULL; END $$"
                .into(),
            "CREATE TRIGGER rt_outbox_notify AFTER INSERT ON outbox \
             FOR EACH STATEMENT EXECUTE FUNCTION rt_outbox_notify()"
                .into(),
        ],
        _ => Vec::new(),
    }
}

pub(crate) async fn run(
    db: &SchemaManagerConnection<'_>,
    statements: Vec<String>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for sql in statements {
        db.execute_raw(Statement::from_string(backend, sql)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheInvalidations::Table)
                    .col(pk(CacheInvalidations::Id))
                    .col(
                        ColumnDef::new(CacheInvalidations::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CacheInvalidations::TargetId)
                            .integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut statements: Vec<String> =
            watches().iter().flat_map(|w| w.create(backend)).collect();
        statements.extend(outbox_notify(backend));
        run(db, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut statements: Vec<String> = watches().iter().flat_map(|w| w.drop(backend)).collect();
        if backend == DbBackend::Postgres {
            statements.push("DROP TRIGGER IF EXISTS rt_outbox_notify ON outbox".into());
            statements.push("DROP FUNCTION IF EXISTS rt_outbox_notify()".into());
        }
        run(db, statements).await?;
        manager
            .drop_table(Table::drop().table(CacheInvalidations::Table).to_owned())
            .await
    }
}
