//! Roundtable's schema, one migration per change, in order. Never edit a merged migration:
//! add a new one. The same files run on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261129_000001_organisations_and_users;
mod m20261129_000002_sessions_and_invitations;
mod m20261129_000003_spaces;
mod m20261129_000004_threads_and_posts;
mod m20261129_000005_audit_and_outbox;
mod m20261129_000006_import_sources;
mod m20261129_000007_post_text;
mod m20261129_000008_mail;
mod m20261202_000009_retired_refresh_tokens;
mod m20261202_000010_post_depth;
mod m20261202_000011_login_failures;
mod m20261202_000012_profiles_and_feeds;
mod m20261202_000013_password_resets;
mod m20261202_000014_thread_reads;
mod m20261202_000015_documents;
mod m20261202_000016_case_studies_and_endorsements;
mod m20261203_000017_cache_invalidations;
mod m20261203_000018_nodes;
mod m20261204_000019_read_invalidations;
mod m20261206_000020_second_factors;
mod m20261206_000021_former_members;
mod m20261206_000022_registrations;
mod m20261206_000023_single_sign_on;
mod m20261206_000024_passkeys;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_organisations_and_users::Migration),
            Box::new(m20261129_000002_sessions_and_invitations::Migration),
            Box::new(m20261129_000003_spaces::Migration),
            Box::new(m20261129_000004_threads_and_posts::Migration),
            Box::new(m20261129_000005_audit_and_outbox::Migration),
            Box::new(m20261129_000006_import_sources::Migration),
            Box::new(m20261129_000007_post_text::Migration),
            Box::new(m20261129_000008_mail::Migration),
            Box::new(m20261202_000009_retired_refresh_tokens::Migration),
            Box::new(m20261202_000010_post_depth::Migration),
            Box::new(m20261202_000011_login_failures::Migration),
            Box::new(m20261202_000012_profiles_and_feeds::Migration),
            Box::new(m20261202_000013_password_resets::Migration),
            Box::new(m20261202_000014_thread_reads::Migration),
            Box::new(m20261202_000015_documents::Migration),
            Box::new(m20261202_000016_case_studies_and_endorsements::Migration),
            Box::new(m20261203_000017_cache_invalidations::Migration),
            Box::new(m20261203_000018_nodes::Migration),
            Box::new(m20261204_000019_read_invalidations::Migration),
            Box::new(m20261206_000020_second_factors::Migration),
            Box::new(m20261206_000021_former_members::Migration),
            Box::new(m20261206_000022_registrations::Migration),
            Box::new(m20261206_000023_single_sign_on::Migration),
            Box::new(m20261206_000024_passkeys::Migration),
        ]
    }
}

pub(crate) fn pk(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub(crate) fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub(crate) fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub(crate) fn index(
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    if unique {
        stmt.unique();
    }
    for col in cols {
        stmt.col(col);
    }
    stmt.to_owned()
}
