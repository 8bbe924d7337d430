//! Counts failed logins per account and per client address in a sliding window.
//! Kept in memory: each server process limits what reaches it.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    per_account: u32,
    per_ip: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(per_account: u32, per_ip: u32, window: Duration) -> Self {
        LoginLimiter {
            per_account,
            per_ip,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds)` to wait when either the account or the address is over its limit.
    pub fn retry_after(&self, account: &str, ip: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        [
            (format!("a:{account}"), self.per_account),
            (format!("i:{ip}"), self.per_ip),
        ]
        .into_iter()
        .filter_map(|(key, limit)| {
            let entries = map.get_mut(&key)?;
            prune(entries, now, self.window);
            if entries.len() as u32 >= limit {
                let oldest = *entries.front()?;
                Some((self.window.saturating_sub(now - oldest)).as_secs().max(1))
            } else {
                None
            }
        })
        .max()
    }

    pub fn record_failure(&self, account: &str, ip: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, v| {
                prune(v, now, window);
                !v.is_empty()
            });
        }
        for key in [format!("a:{account}"), format!("i:{ip}")] {
            let entries = map.entry(key).or_default();
            prune(entries, now, self.window);
            entries.push_back(now);
        }
    }

    pub fn record_success(&self, account: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("a:{account}"));
    }
}

fn prune(entries: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while entries
        .front()
        .is_some_and(|t| now.duration_since(*t) > window)
    {
        entries.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_account_then_ip() {
        let l = LoginLimiter::new(2, 3, Duration::from_secs(60));
        assert!(l.retry_after("a", "ip").is_none());
        l.record_failure("a", "ip");
        l.record_failure("a", "ip");
        assert!(l.retry_after("a", "ip").is_some());
        assert!(l.retry_after("b", "ip2").is_none());
        l.record_failure("b", "ip");
        assert!(l.retry_after("c", "ip").is_some(), "ip limit reached");
        l.record_success("a");
        assert!(l.retry_after("a", "other").is_none());
    }
}
