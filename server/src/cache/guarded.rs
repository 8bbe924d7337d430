//! A cache whose entries can be forgotten while they are being loaded: a value read from the
//! database before an invalidation is never stored after it.
use moka::sync::Cache;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

pub const HITS: &str = "roundtable_cache_hits_total";
pub const MISSES: &str = "roundtable_cache_misses_total";

pub struct Guarded<K, V> {
    /// This cache's hit and miss counters, registered once (the recorder is installed first).
    hits: metrics::Counter,
    misses: metrics::Counter,
    entries: Cache<K, V>,
    /// Raised by every invalidation; a load stores its value only if it has not moved since
    /// the load began. Held while storing, so an invalidation cannot fall between the check
    /// and the store.
    epoch: Mutex<u64>,
}

/// Taken before reading what will be stored.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl<K, V> Guarded<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(name: &'static str, entries: Cache<K, V>) -> Self {
        Guarded {
            hits: metrics::counter!(HITS, "cache" => name),
            misses: metrics::counter!(MISSES, "cache" => name),
            entries,
            epoch: Mutex::new(0),
        }
    }

    fn epoch(&self) -> MutexGuard<'_, u64> {
        self.epoch.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let found = self.entries.get(key);
        self.count(found.is_some());
        found
    }

    /// `get` without counting: a second look for a key already counted as a miss.
    pub fn get_again(&self, key: &K) -> Option<V> {
        self.entries.get(key)
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(*self.epoch())
    }

    /// Stores `value` unless something was invalidated since `ticket` was taken.
    pub fn insert(&self, ticket: Ticket, key: K, value: V) {
        let epoch = self.epoch();
        if *epoch == ticket.0 {
            self.entries.insert(key, value);
        }
    }

    /// The entry for `key`, or what `load` reads, stored unless an invalidation came while it
    /// was being read.
    pub async fn get_or_load<E, Load>(&self, key: K, load: Load) -> Result<V, E>
    where
        Load: std::future::Future<Output = Result<V, E>>,
    {
        if let Some(known) = self.get(&key) {
            return Ok(known);
        }
        let ticket = self.ticket();
        let value = load.await?;
        self.insert(ticket, key, value.clone());
        Ok(value)
    }

    /// Stores what `make` makes of the entry now stored (or of none), unless something was
    /// invalidated since `ticket` was taken: for entries that gather values one at a time.
    pub fn upsert(&self, ticket: Ticket, key: K, make: impl FnOnce(Option<V>) -> V) {
        let epoch = self.epoch();
        if *epoch == ticket.0 {
            let value = make(self.entries.get(&key));
            self.entries.insert(key, value);
        }
    }

    /// Counts a hit or a miss found some other way (inside an entry).
    pub fn count(&self, hit: bool) {
        if hit {
            self.hits.increment(1);
        } else {
            self.misses.increment(1);
        }
    }

    pub fn invalidate(&self, keys: impl IntoIterator<Item = K>) {
        let mut epoch = self.epoch();
        *epoch += 1;
        for key in keys {
            self.entries.invalidate(&key);
        }
    }

    /// Entries held, once the cache's pending evictions are done (for tests of the bounds).
    #[cfg(test)]
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    pub fn clear(&self) {
        let mut epoch = self.epoch();
        *epoch += 1;
        self.entries.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Guarded<i32, &'static str> {
        Guarded::new("test", Cache::new(10))
    }

    #[test]
    fn a_load_that_began_before_an_invalidation_is_not_stored() {
        let c = cache();
        let ticket = c.ticket();
        c.invalidate([1]);
        c.insert(ticket, 1, "stale");
        assert_eq!(c.get(&1), None);
        let ticket = c.ticket();
        c.insert(ticket, 1, "fresh");
        assert_eq!(c.get(&1), Some("fresh"));
    }

    #[tokio::test]
    async fn get_or_load_keeps_a_value_unless_invalidated_while_loading() {
        let c = cache();
        let loaded = c
            .get_or_load(1, async {
                c.invalidate([2]);
                Ok::<_, ()>("stale")
            })
            .await;
        assert_eq!(loaded, Ok("stale"));
        assert_eq!(c.get(&1), None);
        let loaded = c.get_or_load(1, async { Ok::<_, ()>("fresh") }).await;
        assert_eq!(loaded, Ok("fresh"));
        let again = c.get_or_load(1, async { Err(()) }).await;
        assert_eq!(again, Ok("fresh"));
    }

    #[test]
    fn an_upsert_after_an_invalidation_stores_nothing() {
        let c = cache();
        let ticket = c.ticket();
        c.upsert(ticket, 1, |old| old.unwrap_or("first"));
        assert_eq!(c.get(&1), Some("first"));
        c.upsert(ticket, 1, |old| {
            if old == Some("first") {
                "second"
            } else {
                "wrong"
            }
        });
        assert_eq!(c.get(&1), Some("second"));
        c.invalidate([2]);
        c.upsert(ticket, 1, |_| "stale");
        assert_eq!(c.get(&1), Some("second"));
    }

    #[test]
    fn clearing_forgets_everything_and_stale_loads() {
        let c = cache();
        let t = c.ticket();
        c.insert(t, 1, "a");
        c.insert(t, 2, "b");
        let late = c.ticket();
        c.clear();
        assert_eq!(c.get(&1), None);
        assert_eq!(c.get(&2), None);
        c.insert(late, 3, "c");
        assert_eq!(c.get(&3), None);
    }
}
