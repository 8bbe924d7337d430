//! One pass over the matching posts: groups them by thread (best post per thread) and counts
//! facets per thread, from fast fields only.
use std::collections::{HashMap, HashSet};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, Score, SegmentReader};

#[derive(Debug, Clone)]
pub struct GroupHit {
    pub thread_id: u64,
    pub best: DocAddress,
    pub score: f32,
    /// Newest matching post in the thread.
    pub latest: i64,
}

#[derive(Debug, Default)]
pub struct Groups {
    pub threads: HashMap<u64, GroupHit>,
    /// Facet name → value → threads.
    pub facets: HashMap<&'static str, HashMap<String, HashSet<u64>>>,
}

pub struct ThreadGroups {
    pub best_practice_boost: f32,
}

pub struct SegmentGroups {
    segment: u32,
    boost: f32,
    thread_id: Column<u64>,
    created_at: Column<i64>,
    best_practice: Column<u64>,
    year: Column<u64>,
    space: Option<StrColumn>,
    tag: Option<StrColumn>,
    org: Option<StrColumn>,
    threads: HashMap<u64, GroupHit>,
    by_ord: [HashMap<u64, HashSet<u64>>; 3],
    years: HashMap<u64, HashSet<u64>>,
}

impl Collector for ThreadGroups {
    type Fruit = Groups;
    type Child = SegmentGroups;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentGroups> {
        let ff = reader.fast_fields();
        Ok(SegmentGroups {
            segment,
            boost: self.best_practice_boost,
            thread_id: ff.u64("thread_id")?,
            created_at: ff.i64("created_at")?,
            best_practice: ff.u64("best_practice")?,
            year: ff.u64("year")?,
            space: ff.str("space_slug")?,
            tag: ff.str("tag_facet")?,
            org: ff.str("org")?,
            threads: HashMap::new(),
            by_ord: Default::default(),
            years: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Groups>) -> tantivy::Result<Groups> {
        let mut out = Groups::default();
        for fruit in fruits {
            for (thread, hit) in fruit.threads {
                merge_hit(&mut out.threads, thread, hit);
            }
            for (name, values) in fruit.facets {
                let facet = out.facets.entry(name).or_default();
                for (value, threads) in values {
                    facet.entry(value).or_default().extend(threads);
                }
            }
        }
        Ok(out)
    }
}

fn merge_hit(map: &mut HashMap<u64, GroupHit>, thread: u64, hit: GroupHit) {
    match map.get_mut(&thread) {
        Some(existing) => {
            existing.latest = existing.latest.max(hit.latest);
            if hit.score > existing.score {
                existing.score = hit.score;
                existing.best = hit.best;
            }
        }
        None => {
            map.insert(thread, hit);
        }
    }
}

impl SegmentCollector for SegmentGroups {
    type Fruit = Groups;

    fn collect(&mut self, doc: u32, score: Score) {
        let Some(thread) = self.thread_id.first(doc) else {
            return;
        };
        let created = self.created_at.first(doc).unwrap_or_default();
        let endorsed = self.best_practice.first(doc) == Some(1);
        let score = if endorsed { score * self.boost } else { score };
        merge_hit(
            &mut self.threads,
            thread,
            GroupHit {
                thread_id: thread,
                best: DocAddress::new(self.segment, doc),
                score,
                latest: created,
            },
        );
        for (i, column) in [&self.space, &self.tag, &self.org].into_iter().enumerate() {
            if let Some(col) = column {
                for ord in col.term_ords(doc) {
                    self.by_ord[i].entry(ord).or_default().insert(thread);
                }
            }
        }
        if let Some(y) = self.year.first(doc) {
            self.years.entry(y).or_default().insert(thread);
        }
    }

    fn harvest(self) -> Groups {
        let mut facets: HashMap<&'static str, HashMap<String, HashSet<u64>>> = HashMap::new();
        let names = ["space", "tag", "force"];
        let columns = [&self.space, &self.tag, &self.org];
        for (i, by_ord) in self.by_ord.into_iter().enumerate() {
            let Some(col) = columns[i] else { continue };
            let facet = facets.entry(names[i]).or_default();
            for (ord, threads) in by_ord {
                let mut value = String::new();
                if col.ord_to_str(ord, &mut value).unwrap_or(false) {
                    facet.entry(value).or_default().extend(threads);
                }
            }
        }
        let years = facets.entry("year").or_default();
        for (y, threads) in self.years {
            years.entry(y.to_string()).or_default().extend(threads);
        }
        Groups {
            threads: self.threads,
            facets,
        }
    }
}
