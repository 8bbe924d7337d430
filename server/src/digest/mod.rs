//! The weekly digest: who wants what (`preferences`), which week (`week`), what it holds
//! (`content`), how it reads (`render`) and how to stop it (`unsubscribe`).
pub mod content;
pub mod preferences;
pub mod render;
pub mod unsubscribe;
pub mod week;

pub use preferences::Preferences;
pub use week::IsoWeek;
