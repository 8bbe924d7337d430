//! What the home and space pages list, kept between requests: the lists of threads, the same
//! for everyone who may read the spaces, and each person's unread marks. Any change to a
//! thread, a space or anyone's access forgets every list (such changes are rare beside reads,
//! and one rule cannot miss a case); a person's reads or choices forget their marks only.
use super::guarded::{Guarded, Ticket};
use crate::forum::threads::ThreadSummary;
use moka::sync::Cache;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One page of a space's threads as listed: (space id, tag, cursor, page size).
pub type SpaceListKey = (i32, Option<String>, Option<String>, u64);

pub struct SpaceList {
    pub threads: Vec<ThreadSummary>,
    pub next_cursor: Option<String>,
    /// The organisations taking part in each thread, by thread id.
    pub organisations: HashMap<i32, Vec<String>>,
    /// The page's rows, rendered on the page's first view.
    pub rows: OnceLock<Vec<RenderedRow>>,
}

impl SpaceList {
    pub fn new(
        threads: Vec<ThreadSummary>,
        next_cursor: Option<String>,
        organisations: HashMap<i32, Vec<String>>,
    ) -> Self {
        SpaceList {
            threads,
            next_cursor,
            organisations,
            rows: OnceLock::new(),
        }
    }
}

/// The home page's lists across a set of spaces.
pub struct HomeLists {
    pub pinned: Vec<ThreadSummary>,
    pub latest: Vec<ThreadSummary>,
    pub endorsed: Vec<ThreadSummary>,
    /// The rows of `pinned`, `latest` and `endorsed`, rendered on the page's first view.
    pub rows: OnceLock<[Vec<RenderedRow>; 3]>,
}

/// One listed thread as a page shows it, rendered once for readers who have read it and once
/// for those who have not; which one a viewer gets is theirs.
pub struct RenderedRow {
    pub id: i32,
    pub sensitive: bool,
    pub read: String,
    pub unread: String,
}

impl RenderedRow {
    pub fn for_viewer(&self, unread: &HashSet<i32>) -> &str {
        if unread.contains(&self.id) {
            &self.unread
        } else {
            &self.read
        }
    }
}

/// What a person has not read, as one page asks it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UnreadQuestion {
    /// The home page, for the person's spaces (id and slug) and the threads it lists.
    Home {
        spaces: Vec<(i32, String)>,
        listed: Vec<i32>,
    },
    /// Which of a space page's threads are unread.
    Among { space: i32, threads: Vec<i32> },
}

#[derive(Debug, Default)]
pub struct UnreadAnswer {
    /// Unread threads per space (the home page's counts).
    pub counts: HashMap<i32, u64>,
    /// Threads the person posted in with replies they have not read, most recent first
    /// (the home page).
    pub new_replies: Vec<ThreadSummary>,
    /// Which of the listed threads are unread.
    pub unread: HashSet<i32>,
}

/// Questions kept per person, at most: a person rarely pages through more at once.
const QUESTIONS_PER_PERSON: usize = 32;

/// Each answer with when it was read: a person's entry is stored again with each new answer,
/// which would otherwise keep their older answers past the lifetime.
type Answers<Q, A> = Arc<Mutex<HashMap<Q, (Instant, Arc<A>)>>>;

/// Answers kept per person, each person's forgotten together.
pub struct PerPerson<Q, A> {
    entries: Guarded<i32, Answers<Q, A>>,
    lifetime: Duration,
}

impl<Q, A> PerPerson<Q, A>
where
    Q: Hash + Eq + Send + Sync + 'static,
    A: Send + Sync + 'static,
{
    pub fn new(name: &'static str, people: u64, lifetime: Duration) -> Self {
        PerPerson {
            entries: Guarded::new(
                name,
                Cache::builder()
                    .max_capacity(people)
                    .time_to_live(lifetime)
                    .build(),
            ),
            lifetime,
        }
    }

    pub fn get(&self, person: i32, question: &Q) -> Option<Arc<A>> {
        let found = self.entries.get_again(&person).and_then(|answers| {
            answers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(question)
                .filter(|(read_at, _)| read_at.elapsed() < self.lifetime)
                .map(|(_, answer)| answer.clone())
        });
        self.entries.count(found.is_some());
        found
    }

    /// Taken before reading the answer from the database.
    pub fn ticket(&self) -> Ticket {
        self.entries.ticket()
    }

    /// Keeps `answer` unless the person's answers were forgotten since `ticket`.
    pub fn insert(&self, ticket: Ticket, person: i32, question: Q, answer: Arc<A>) {
        let read_at = Instant::now();
        self.entries.upsert(ticket, person, |kept| {
            let answers = kept.unwrap_or_default();
            {
                let mut map = answers.lock().unwrap_or_else(|p| p.into_inner());
                if map.len() >= QUESTIONS_PER_PERSON {
                    map.clear();
                }
                map.insert(question, (read_at, answer));
            }
            answers
        });
    }

    pub fn invalidate(&self, people: impl IntoIterator<Item = i32>) {
        self.entries.invalidate(people);
    }

    pub fn clear(&self) {
        self.entries.clear();
    }
}

/// The lists and marks, with their bounds.
pub struct Lists {
    pub spaces: Guarded<SpaceListKey, Arc<SpaceList>>,
    /// By the ids of the spaces listed, in the order given.
    pub home: Guarded<Vec<i32>, Arc<HomeLists>>,
    pub unread: PerPerson<UnreadQuestion, UnreadAnswer>,
}

/// Bytes an entry is counted as besides its key and its threads, so that even an empty list
/// (a tag nobody uses, asked for by anyone signed in) takes its share of the bound.
const ENTRY_WEIGHT: usize = 256;
/// Bytes a listed thread is counted as: its summary and its two rendered rows.
const THREAD_WEIGHT: usize = 2048;
/// The space pages' bound, in the bytes counted.
const SPACE_LISTS_BYTES: u64 = 8 * 1024 * 1024;

/// An entry's weight: its bookkeeping, its key's bytes and its threads.
fn weight(key_bytes: usize, threads: usize) -> u32 {
    let bytes = ENTRY_WEIGHT
        .saturating_add(key_bytes)
        .saturating_add(threads.saturating_mul(THREAD_WEIGHT));
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

fn space_list_weight((_, tag, cursor, _): &SpaceListKey, list: &Arc<SpaceList>) -> u32 {
    let key_bytes = tag.as_ref().map_or(0, String::len) + cursor.as_ref().map_or(0, String::len);
    weight(key_bytes, list.threads.len())
}

impl Lists {
    pub fn new(lifetime: Duration) -> Self {
        Lists {
            spaces: Guarded::new(
                "space_lists",
                Cache::builder()
                    .max_capacity(SPACE_LISTS_BYTES)
                    .weigher(space_list_weight)
                    .time_to_live(lifetime)
                    .build(),
            ),
            home: Guarded::new(
                "home_lists",
                Cache::builder()
                    .max_capacity(4 * 1024 * 1024)
                    .weigher(|spaces: &Vec<i32>, l: &Arc<HomeLists>| {
                        weight(
                            spaces.len() * 4,
                            l.pinned.len() + l.latest.len() + l.endorsed.len(),
                        )
                    })
                    .time_to_live(lifetime)
                    .build(),
            ),
            unread: PerPerson::new("unread", 20_000, lifetime),
        }
    }

    /// Forgets every list and every person's marks.
    pub fn clear(&self) {
        self.spaces.clear();
        self.home.clear();
        self.unread.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(space: i32) -> UnreadQuestion {
        UnreadQuestion::Among {
            space,
            threads: vec![1, 2],
        }
    }

    #[test]
    fn a_person_is_forgotten_alone_and_stale_answers_are_not_kept() {
        let marks: PerPerson<UnreadQuestion, u32> =
            PerPerson::new("test", 10, Duration::from_secs(60));
        let t = marks.ticket();
        marks.insert(t, 1, question(7), Arc::new(10));
        marks.insert(t, 1, question(8), Arc::new(11));
        marks.insert(t, 2, question(7), Arc::new(20));
        assert_eq!(marks.get(1, &question(8)).as_deref(), Some(&11));
        let late = marks.ticket();
        marks.invalidate([1]);
        assert_eq!(marks.get(1, &question(7)), None);
        assert_eq!(marks.get(2, &question(7)).as_deref(), Some(&20));
        marks.insert(late, 1, question(7), Arc::new(99));
        assert_eq!(marks.get(1, &question(7)), None, "read before the change");
    }

    #[test]
    fn an_answer_is_not_given_past_the_lifetime_when_newer_ones_keep_the_person() {
        let marks: PerPerson<UnreadQuestion, u32> =
            PerPerson::new("test", 10, Duration::from_millis(200));
        marks.insert(marks.ticket(), 1, question(7), Arc::new(1));
        std::thread::sleep(Duration::from_millis(120));
        marks.insert(marks.ticket(), 1, question(8), Arc::new(2));
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(marks.get(1, &question(7)), None, "older than the lifetime");
        assert_eq!(marks.get(1, &question(8)).as_deref(), Some(&2));
    }

    #[test]
    fn empty_lists_with_long_made_up_tags_stay_within_the_bound() {
        let lists = Lists::new(Duration::from_secs(60));
        let tag_bytes = 4096;
        for n in 0..10_000 {
            let key = (1, Some(format!("{n:0>tag_bytes$}")), None, 25);
            let t = lists.spaces.ticket();
            lists.spaces.insert(
                t,
                key,
                Arc::new(SpaceList::new(vec![], None, HashMap::new())),
            );
        }
        let most = SPACE_LISTS_BYTES as usize / (ENTRY_WEIGHT + tag_bytes);
        let kept = lists.spaces.entry_count();
        assert!(
            kept <= most as u64,
            "{kept} entries kept, at most {most} fit"
        );
    }

    #[test]
    fn a_person_keeps_a_bounded_number_of_answers() {
        let marks: PerPerson<UnreadQuestion, u32> =
            PerPerson::new("test", 10, Duration::from_secs(60));
        for space in 0..=QUESTIONS_PER_PERSON as i32 {
            marks.insert(marks.ticket(), 1, question(space), Arc::new(0));
        }
        let kept = (0..=QUESTIONS_PER_PERSON as i32)
            .filter(|s| marks.get(1, &question(*s)).is_some())
            .count();
        assert!(kept <= QUESTIONS_PER_PERSON, "{kept}");
        assert!(marks
            .get(1, &question(QUESTIONS_PER_PERSON as i32))
            .is_some());
    }
}
