//! One pass over what matched: each group's (a thread's, or a document's) best match (by
//! score, best practice boosted) and newest match, and per-group facets, all from fast
//! fields. Group-level facets (space, tags, year, type) are read once per group; `force`
//! counts each organisation whose posts matched.
//!
//! Facet values stay numbers until the end: term ordinals within a segment, then small ids
//! into one table of names per facet across segments. A segment turns each distinct ordinal
//! into text once, in one ordered walk of its dictionary; counting is adding to arrays.
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, Score, SegmentReader};

/// Facet name → value → number of matching threads.
pub type FacetCounts = HashMap<&'static str, HashMap<String, u64>>;

/// A thread's best matching post.
#[derive(Debug, Clone, Copy)]
pub struct Best {
    pub doc: DocAddress,
    pub score: f32,
    /// Newest matching post: (created, post id), the id breaking ties within a second.
    pub latest: (i64, u64),
}

fn merge_best(into: &mut Best, other: Best) {
    into.latest = into.latest.max(other.latest);
    if other.score > into.score {
        into.score = other.score;
        into.doc = other.doc;
    }
}

/// The text facets, in the order of `TEXT_FACETS`.
const SPACE: usize = 0;
const TAG: usize = 1;
const ORG: usize = 2;
const KIND: usize = 3;
const TEXT_FACETS: [&str; 4] = ["space", "tag", "force", "type"];

/// A few ids kept inline: a thread has a handful of tags and organisations, and a search
/// makes one group per matching thread, so a heap allocation each would dominate.
type Ids = SmallVec<[u32; 4]>;

/// A group's facets as ids: into a segment's ordinal table while collecting, into `Matches`'
/// name tables once merged.
#[derive(Debug, Clone, Default)]
struct GroupFacets {
    space: Option<u32>,
    tags: Ids,
    orgs: Ids,
    year: Option<u64>,
    kind: Option<u32>,
}

impl GroupFacets {
    fn remap(&mut self, to: &[Vec<u32>; 4]) {
        let map = |which: usize, id: &mut u32| *id = to[which][*id as usize];
        if let Some(s) = self.space.as_mut() {
            map(SPACE, s);
        }
        self.tags.iter_mut().for_each(|t| map(TAG, t));
        self.orgs.iter_mut().for_each(|o| map(ORG, o));
        if let Some(k) = self.kind.as_mut() {
            map(KIND, k);
        }
    }
}

#[derive(Debug, Clone)]
struct Group {
    best: Best,
    facets: GroupFacets,
}

#[derive(Debug, Default)]
pub struct Matches {
    threads: FxHashMap<u64, Group>,
    /// Per text facet, the names that ids stand for.
    names: [Vec<String>; 4],
}

impl Matches {
    pub fn total_threads(&self) -> usize {
        self.threads.len()
    }

    /// (thread id, best post) for every matching thread.
    pub fn best(&self) -> Vec<(u64, Best)> {
        self.threads.iter().map(|(t, g)| (*t, g.best)).collect()
    }

    pub fn facets(&self) -> FacetCounts {
        let mut counts: [Vec<u64>; 4] = std::array::from_fn(|i| vec![0; self.names[i].len()]);
        let mut years: HashMap<u64, u64> = HashMap::new();
        for g in self.threads.values() {
            let f = &g.facets;
            if let Some(s) = f.space {
                counts[SPACE][s as usize] += 1;
            }
            for &t in &f.tags {
                counts[TAG][t as usize] += 1;
            }
            for &o in &f.orgs {
                counts[ORG][o as usize] += 1;
            }
            if let Some(k) = f.kind {
                counts[KIND][k as usize] += 1;
            }
            if let Some(y) = f.year {
                *years.entry(y).or_default() += 1;
            }
        }
        let mut out: FacetCounts = HashMap::new();
        for (which, name) in TEXT_FACETS.iter().enumerate() {
            let values: HashMap<String, u64> = counts[which]
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(id, n)| (self.names[which][id].clone(), *n))
                .collect();
            if !values.is_empty() {
                out.insert(name, values);
            }
        }
        if !years.is_empty() {
            out.insert(
                "year",
                years.into_iter().map(|(y, n)| (y.to_string(), n)).collect(),
            );
        }
        out
    }
}

pub struct CountMatches {
    pub best_practice_boost: f32,
    pub superseded_factor: f32,
}

/// Per segment: facet values as term ordinals, turned into text once per ordinal at harvest.
pub struct SegmentMatches {
    segment: u32,
    boost: f32,
    superseded_factor: f32,
    group: Column<u64>,
    post_id: Column<u64>,
    created_at: Column<i64>,
    best_practice: Column<u64>,
    year: Column<u64>,
    columns: [Option<StrColumn>; 4],
    threads: FxHashMap<u64, Group>,
}

/// Ordinal as a u32 id (a segment's dictionary never holds 2³² terms).
fn id(ord: u64) -> u32 {
    u32::try_from(ord).unwrap_or(u32::MAX)
}

impl Collector for CountMatches {
    type Fruit = Matches;
    type Child = SegmentMatches;

    fn for_segment(&self, segment: u32, reader: &SegmentReader) -> tantivy::Result<SegmentMatches> {
        let ff = reader.fast_fields();
        Ok(SegmentMatches {
            segment,
            boost: self.best_practice_boost,
            superseded_factor: self.superseded_factor,
            group: ff.u64("group")?,
            post_id: ff.u64("post_id")?,
            created_at: ff.i64("created_at")?,
            best_practice: ff.u64("best_practice")?,
            year: ff.u64("year")?,
            columns: [
                ff.str("space_slug")?,
                ff.str("tag_facet")?,
                ff.str("org")?,
                ff.str("kind")?,
            ],
            threads: FxHashMap::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, mut fruits: Vec<Matches>) -> tantivy::Result<Matches> {
        // The segment with the most groups is taken whole; the others are merged into it.
        let Some(largest) = (0..fruits.len()).max_by_key(|&i| fruits[i].threads.len()) else {
            return Ok(Matches::default());
        };
        let mut out = fruits.swap_remove(largest);
        out.threads
            .reserve(fruits.iter().map(|f| f.threads.len()).sum::<usize>());
        let mut known: [HashMap<String, u32>; 4] = std::array::from_fn(|which| {
            out.names[which]
                .iter()
                .enumerate()
                .map(|(id, name)| (name.clone(), id as u32))
                .collect()
        });
        for mut fruit in fruits {
            // This segment's ids → ids in `out`'s name tables.
            let to: [Vec<u32>; 4] = std::array::from_fn(|which| {
                std::mem::take(&mut fruit.names[which])
                    .into_iter()
                    .map(|name| {
                        let next = id(out.names[which].len() as u64);
                        *known[which].entry(name.clone()).or_insert_with(|| {
                            out.names[which].push(name);
                            next
                        })
                    })
                    .collect()
            });
            for (thread, mut group) in fruit.threads {
                group.facets.remap(&to);
                match out.threads.entry(thread) {
                    Entry::Occupied(mut existing) => {
                        let existing = existing.get_mut();
                        merge_best(&mut existing.best, group.best);
                        for org in group.facets.orgs {
                            if !existing.facets.orgs.contains(&org) {
                                existing.facets.orgs.push(org);
                            }
                        }
                    }
                    Entry::Vacant(slot) => {
                        slot.insert(group);
                    }
                }
            }
        }
        Ok(out)
    }
}

impl SegmentMatches {
    fn first_ord(&self, which: usize, doc: u32) -> Option<u32> {
        self.columns[which]
            .as_ref()
            .and_then(|c| c.term_ords(doc).next())
            .map(id)
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Matches;

    fn collect(&mut self, doc: u32, score: Score) {
        let Some(thread) = self.group.first(doc) else {
            return;
        };
        let score = match self.best_practice.first(doc) {
            Some(1) => score * self.boost,
            Some(2) => score * self.superseded_factor,
            _ => score,
        };
        let best = Best {
            doc: DocAddress::new(self.segment, doc),
            score,
            latest: (
                self.created_at.first(doc).unwrap_or_default(),
                self.post_id.first(doc).unwrap_or_default(),
            ),
        };
        let org = self.first_ord(ORG, doc);
        match self.threads.entry(thread) {
            Entry::Occupied(mut entry) => {
                let entry = entry.get_mut();
                merge_best(&mut entry.best, best);
                if let Some(o) = org {
                    if !entry.facets.orgs.contains(&o) {
                        entry.facets.orgs.push(o);
                    }
                }
            }
            Entry::Vacant(slot) => {
                let columns = &self.columns;
                let first = |which: usize| {
                    columns[which]
                        .as_ref()
                        .and_then(|c| c.term_ords(doc).next())
                        .map(id)
                };
                let facets = GroupFacets {
                    space: first(SPACE),
                    tags: columns[TAG]
                        .as_ref()
                        .map(|c| c.term_ords(doc).map(id).collect())
                        .unwrap_or_default(),
                    orgs: org.into_iter().collect(),
                    year: self.year.first(doc),
                    kind: first(KIND),
                };
                slot.insert(Group { best, facets });
            }
        }
    }

    /// Turns the ordinals seen into text, each once, walking each dictionary in order; ids
    /// become indexes into the segment's name tables.
    fn harvest(mut self) -> Matches {
        let mut seen: [Vec<u32>; 4] = Default::default();
        for g in self.threads.values() {
            let f = &g.facets;
            seen[SPACE].extend(f.space);
            seen[TAG].extend(&f.tags);
            seen[ORG].extend(&f.orgs);
            seen[KIND].extend(f.kind);
        }
        let mut names: [Vec<String>; 4] = Default::default();
        let mut to: [Vec<u32>; 4] = Default::default();
        for which in 0..4 {
            let ords = &mut seen[which];
            ords.sort_unstable();
            ords.dedup();
            let Some(column) = self.columns[which].as_ref() else {
                continue;
            };
            let wide: Vec<u64> = ords.iter().map(|&o| u64::from(o)).collect();
            let mut found = Vec::with_capacity(wide.len());
            let complete = column
                .dictionary()
                .sorted_ords_to_term_cb(&wide, |bytes| {
                    found.push(String::from_utf8_lossy(bytes).into_owned())
                })
                .unwrap_or(false);
            if !complete || found.len() != ords.len() {
                // A dictionary that cannot be read leaves this facet out rather than wrong.
                continue;
            }
            let size = ords.last().map_or(0, |&m| m as usize + 1);
            let mut table = vec![u32::MAX; size];
            for (index, &ord) in ords.iter().enumerate() {
                table[ord as usize] = id(index as u64);
            }
            names[which] = found;
            to[which] = table;
        }
        for g in self.threads.values_mut() {
            let f = &mut g.facets;
            let keep = |which: usize, id: u32| to[which].get(id as usize).copied();
            f.space = f.space.and_then(|s| keep(SPACE, s));
            f.tags = f.tags.iter().filter_map(|&t| keep(TAG, t)).collect();
            f.orgs = f.orgs.iter().filter_map(|&o| keep(ORG, o)).collect();
            f.kind = f.kind.and_then(|k| keep(KIND, k));
        }
        Matches {
            threads: self.threads,
            names,
        }
    }
}
