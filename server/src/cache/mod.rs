//! What each process keeps between requests so that a read needs no database round trip:
//! live sessions (with the person's memberships), the list of spaces, rendered threads, each
//! person's watches, and the home and space pages' lists with each person's unread marks. Every entry is forgotten within a second of a change to what it was
//! read from, on every process: database triggers write each change to
//! `cache_invalidations` in the change's own transaction, and `follower` applies those rows
//! (woken by PostgreSQL's `NOTIFY`, polling as a backup, and at once after each write
//! request this process answers).
pub mod follower;
pub mod guarded;
pub mod lists;

use crate::auth::extractor::CachedSession;
use crate::db::entities::space;
use crate::use_cases::search::StoredThread;
use crate::use_cases::threads::CachedThread;
use guarded::Guarded;
use moka::sync::Cache;
use std::sync::Arc;
use std::time::Duration;

/// A person's watched and muted threads.
pub type Watches = (Vec<i32>, Vec<i32>);

pub struct Caches {
    /// By session id.
    pub sessions: Guarded<String, Arc<CachedSession>>,
    /// Every space, in name order.
    pub spaces: Guarded<(), Arc<Vec<space::Model>>>,
    /// By thread id.
    pub threads: Guarded<i32, Arc<CachedThread>>,
    /// A search hit's thread as the database holds it (space, marking, endorsed), by thread
    /// id: what a search checks each hit against, so that a hit seen before needs no query.
    pub hit_threads: Guarded<i32, Arc<StoredThread>>,
    /// By user id.
    pub watches: Guarded<i32, Arc<Watches>>,
    /// The home and space pages' lists, and each person's unread marks.
    pub lists: lists::Lists,
    /// Threads being read from the database into `threads` at once, at most.
    pub thread_loads: tokio::sync::Semaphore,
}

/// One row of `cache_invalidations`, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// A user's sessions, role, organisation or memberships changed (`None`: anyone's, or a
    /// space's audience).
    Access(Option<i32>),
    /// A thread's rendering is stale (`None`: every thread's).
    Thread(Option<i32>),
    /// A user's watches or reads changed.
    Choices(Option<i32>),
}

impl Invalidation {
    pub fn parse(kind: &str, target: Option<i32>) -> Option<Self> {
        Some(match kind {
            "access" => Invalidation::Access(target),
            "thread" => Invalidation::Thread(target),
            "user" => Invalidation::Choices(target),
            _ => return None,
        })
    }
}

/// Entries kept at most this long even without a change: a bound on any mistake, not the
/// mechanism that keeps them true.
const SESSION_LIFETIME: Duration = Duration::from_secs(60);
const THREAD_LIFETIME: Duration = Duration::from_secs(600);
/// Search hits' threads kept (about 100 bytes each).
const HIT_THREADS: u64 = 50_000;

impl Caches {
    /// `connections`: the database pool's size. Uncached threads are loaded by all but two of
    /// them at once, so sign-ins, writes and the followers always find one free.
    pub fn new(thread_megabytes: u64, connections: u32) -> Self {
        let threads = Cache::builder()
            .max_capacity(thread_megabytes.saturating_mul(1024 * 1024))
            .weigher(|_: &i32, t: &Arc<CachedThread>| t.weight())
            .time_to_live(THREAD_LIFETIME)
            .build();
        Caches {
            sessions: Guarded::new(
                "sessions",
                Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(SESSION_LIFETIME)
                    .build(),
            ),
            spaces: Guarded::new(
                "spaces",
                Cache::builder().time_to_live(SESSION_LIFETIME).build(),
            ),
            threads: Guarded::new("threads", threads),
            hit_threads: Guarded::new(
                "hit_threads",
                Cache::builder()
                    .max_capacity(HIT_THREADS)
                    .time_to_live(THREAD_LIFETIME)
                    .build(),
            ),
            watches: Guarded::new(
                "watches",
                Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(SESSION_LIFETIME)
                    .build(),
            ),
            lists: lists::Lists::new(SESSION_LIFETIME),
            thread_loads: tokio::sync::Semaphore::new(connections.saturating_sub(2).max(1) as usize),
        }
    }

    /// Forgets what `changes` made stale.
    pub fn apply(&self, changes: &[Invalidation]) {
        let mut threads = Vec::new();
        let (mut all_threads, mut access, mut spaces, mut all_watches) =
            (false, false, false, false);
        let mut watches = Vec::new();
        for change in changes {
            match *change {
                Invalidation::Access(who) => {
                    access = true;
                    spaces |= who.is_none();
                }
                Invalidation::Thread(Some(id)) => threads.push(id),
                Invalidation::Thread(None) => all_threads = true,
                Invalidation::Choices(Some(id)) => watches.push(id),
                Invalidation::Choices(None) => all_watches = true,
            }
        }
        // Sessions carry memberships and the role, so any access change clears them all:
        // such changes are rare, and a clear cannot miss one.
        if access {
            self.sessions.clear();
        }
        if spaces {
            self.spaces.clear();
        }
        let any_thread = !threads.is_empty();
        if all_threads {
            self.threads.clear();
            self.hit_threads.clear();
        } else if !threads.is_empty() {
            self.hit_threads.invalidate(threads.iter().copied());
            self.threads.invalidate(threads);
        }
        // Any change to a thread or to anyone's access may move or hide a listed thread.
        if access || all_threads || any_thread {
            self.lists.clear();
        } else if all_watches {
            self.lists.unread.clear();
        } else if !watches.is_empty() {
            self.lists.unread.invalidate(watches.iter().copied());
        }
        if all_watches {
            self.watches.clear();
        } else if !watches.is_empty() {
            self.watches.invalidate(watches);
        }
    }

    /// Forgets everything (a process that fell behind the pruned invalidations).
    pub fn clear(&self) {
        self.sessions.clear();
        self.spaces.clear();
        self.threads.clear();
        self.hit_threads.clear();
        self.watches.clear();
        self.lists.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::lists::{HomeLists, UnreadAnswer, UnreadQuestion};
    use super::*;

    fn lists_kept(c: &Caches) -> (bool, bool, bool, bool) {
        let q = UnreadQuestion::Among {
            space: 1,
            threads: vec![],
        };
        (
            c.lists.home.get_again(&vec![1]).is_some(),
            c.lists.spaces.get_again(&(1, None, None, 25)).is_some(),
            c.lists.unread.get(1, &q).is_some(),
            c.lists.unread.get(2, &q).is_some(),
        )
    }

    fn filled() -> Caches {
        let c = Caches::new(1, 10);
        let q = UnreadQuestion::Among {
            space: 1,
            threads: vec![],
        };
        let t = c.lists.home.ticket();
        c.lists.home.insert(
            t,
            vec![1],
            Arc::new(HomeLists {
                pinned: vec![],
                latest: vec![],
                endorsed: vec![],
                rows: Default::default(),
            }),
        );
        let t = c.lists.spaces.ticket();
        c.lists.spaces.insert(
            t,
            (1, None, None, 25),
            Arc::new(lists::SpaceList::new(vec![], None, Default::default())),
        );
        for person in [1, 2] {
            let t = c.lists.unread.ticket();
            c.lists
                .unread
                .insert(t, person, q.clone(), Arc::new(UnreadAnswer::default()));
        }
        c
    }

    #[test]
    fn a_change_to_a_thread_forgets_it_as_a_search_hit() {
        let c = Caches::new(1, 10);
        let stored = |space_id| {
            Arc::new(StoredThread {
                space_id,
                marking: "OFFICIAL".into(),
                endorsed: false,
            })
        };
        let t = c.hit_threads.ticket();
        c.hit_threads.insert(t, 5, stored(1));
        c.hit_threads.insert(t, 6, stored(1));
        c.apply(&[Invalidation::Thread(Some(5))]);
        assert!(c.hit_threads.get_again(&5).is_none());
        assert!(c.hit_threads.get_again(&6).is_some());
        // A read begun before the change is not kept after it.
        let before = c.hit_threads.ticket();
        c.apply(&[Invalidation::Thread(Some(7))]);
        c.hit_threads.insert(before, 5, stored(2));
        assert!(c.hit_threads.get_again(&5).is_none());
        c.apply(&[Invalidation::Thread(None)]);
        assert!(c.hit_threads.get_again(&6).is_none());
    }

    #[test]
    fn a_persons_reads_forget_their_marks_only() {
        let c = filled();
        assert_eq!(lists_kept(&c), (true, true, true, true));
        c.apply(&[Invalidation::Choices(Some(1))]);
        assert_eq!(lists_kept(&c), (true, true, false, true));
    }

    #[test]
    fn a_thread_or_an_access_change_forgets_every_list() {
        for change in [
            Invalidation::Thread(Some(5)),
            Invalidation::Thread(None),
            Invalidation::Access(Some(9)),
            Invalidation::Access(None),
        ] {
            let c = filled();
            c.apply(&[change]);
            assert_eq!(lists_kept(&c), (false, false, false, false), "{change:?}");
        }
    }
}
