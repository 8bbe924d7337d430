//! Shared material: files people upload to a space's library or attach to a post.
//!
//! - [`file_type`] decides what a file is from its content.
//! - [`store`] keeps files by content hash, written atomically, behind the `BlobStore` seam.
//! - [`scan`] asks ClamAV's daemon about each upload before it is kept.
//! - [`isolate`] and [`extract`] get a file's text in a separate, limited process.
//! - [`worker`] runs extraction for new versions, crash-safe: the database says which
//!   versions still need text, and finishing one writes an outbox row for the indexer.
pub mod extract;
pub mod file_type;
pub mod isolate;
pub mod samples;
pub mod scan;
pub mod store;
pub mod worker;

use crate::settings::Settings;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// What handlers and the worker share about the library.
pub struct Library {
    pub store: Arc<dyn store::BlobStore>,
    pub scanner: Option<scan::Clamd>,
    pub scan_timeout: Duration,
    pub budget: isolate::Budget,
    pub max_file_bytes: u64,
    pub daily_bytes_per_user: u64,
    /// Wakes the extraction worker when a version is added.
    pub wake: Notify,
}

impl Library {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Arc<Self>> {
        let store = store::LocalStore::open(&settings.library.files_dir)?;
        let scanner = if settings.scan.clamd.is_empty() {
            None
        } else {
            Some(scan::Clamd::parse(&settings.scan.clamd).map_err(anyhow::Error::msg)?)
        };
        Ok(Arc::new(Library {
            store: Arc::new(store),
            scanner,
            scan_timeout: Duration::from_secs(settings.scan.timeout_seconds),
            budget: isolate::Budget::from_settings(&settings.library),
            max_file_bytes: settings.library.max_file_bytes,
            daily_bytes_per_user: settings.library.daily_bytes_per_user,
            wake: Notify::new(),
        }))
    }
}
