//! The weekly digest: who wants what (`preferences`), which week (`week`), what it holds
//! (`content`), how it reads (`render`) and how to stop it (`unsubscribe`).
pub mod content;
pub mod preferences;
pub mod render;
pub mod unsubscribe;
pub mod week;

pub use preferences::Preferences;
pub use week::IsoWeek;

/// Why a digest or a notification could not be built. The cause is kept, so the mail queue
/// records and the log show what went wrong, not just that something did.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("reading the database")]
    Db(#[from] sea_orm::DbErr),
    #[error("deciding what the reader may see")]
    Access(#[from] crate::permissions::AccessError),
    #[error("rendering the message")]
    Render(#[from] askama::Error),
    #[error("there is no account {0}")]
    NoAccount(i32),
}
