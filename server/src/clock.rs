//! "Now", injectable: the server asks a `Clock`, so tests and operators can choose the moment
//! the digest scheduler believes it is instead of waiting for Monday morning.
use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time shifted so that it read `start` when the process started, and runs on from there.
pub struct ShiftedClock {
    offset: chrono::Duration,
}

impl ShiftedClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        ShiftedClock {
            offset: start - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// The clock `clock.start` asks for: shifted when it is set, the real time otherwise.
pub fn from_settings(
    settings: &crate::settings::Settings,
) -> Result<std::sync::Arc<dyn Clock>, crate::settings::SettingsError> {
    Ok(match settings.clock_start()? {
        Some(start) => std::sync::Arc::new(ShiftedClock::starting_at(start)),
        None => std::sync::Arc::new(SystemClock),
    })
}

/// A clock that only moves when told to (unit tests).
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_clock_starts_at_the_chosen_moment_and_runs_on() {
        let start: DateTime<Utc> = "2026-11-30T06:59:00Z".parse().unwrap();
        let clock = ShiftedClock::starting_at(start);
        let first = clock.now();
        assert!((first - start).num_seconds().abs() < 2);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }
}
