//! Structured logs. Built once per process; the sink is chosen by the caller so tests can mute it.
use crate::settings::{LogFormat, LogSettings};
use tracing_subscriber::{fmt, EnvFilter};

pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&log.level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests in one process) keeps the first subscriber.
    let _ = match log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
