//! sea-orm entities, one per table. They stay in the db layer: handlers take domain types.
pub mod audit_log;
pub mod import_source;
pub mod invitation;
pub mod mail_job;
pub mod organisation;
pub mod outbox;
pub mod post;
pub mod post_revision;
pub mod preference;
pub mod session;
pub mod space;
pub mod space_member;
pub mod tag;
pub mod thread;
pub mod thread_tag;
pub mod thread_watch;
pub mod user;
