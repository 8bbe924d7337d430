//! How many searches each user has running at once: one person cannot occupy every search
//! thread. Counted per process; each process protects its own threads.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SearchesInFlight {
    limit: usize,
    running: Arc<Mutex<HashMap<i32, usize>>>,
}

/// Held while a search runs; dropping it frees the slot.
pub struct Slot {
    user_id: i32,
    running: Arc<Mutex<HashMap<i32, usize>>>,
}

impl SearchesInFlight {
    pub fn new(limit: usize) -> Self {
        SearchesInFlight {
            limit,
            running: Arc::default(),
        }
    }

    /// A slot for `user_id`, or `None` when they already have `limit` searches running.
    pub fn try_start(&self, user_id: i32) -> Option<Slot> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let count = running.entry(user_id).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            user_id,
            running: self.running.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = running.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_limit_slots_and_frees_them() {
        let gate = SearchesInFlight::new(2);
        let a = gate.try_start(1).unwrap();
        let _b = gate.try_start(1).unwrap();
        assert!(gate.try_start(1).is_none());
        assert!(gate.try_start(2).is_some(), "others are not affected");
        drop(a);
        assert!(gate.try_start(1).is_some());
    }
}
