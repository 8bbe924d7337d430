//! One pass over what matched: each group's (a thread's, or a document's) best match (by
//! score, best practice boosted) and newest match, and per-group facets, all from fast
//! fields. Group-level facets (space, tags, year, type) are read once per group; `force`
//! counts each organisation whose posts matched.
//!
//! Every segment adds to one map of groups, so a thread whose posts lie in several segments
//! is found in it rather than merged from per-segment maps afterwards. Matches are gathered
//! in blocks and their fast fields read a column at a time. Facet values stay term ordinals
//! of the segment they were read in until they are counted: each segment then turns the
//! ordinals it holds into text once, in one ordered walk of its dictionary.
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
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

/// A few ordinals kept inline (five: a thread has a handful of tags), as a search makes one group
/// per matching thread, so a heap allocation each would dominate.
type Ords = SmallVec<[u32; 5]>;

/// An organisation as (segment, ordinal in that segment's dictionary): a thread's posts can
/// lie in several segments. Three kept inline, to keep `Seen` small.
type Orgs = SmallVec<[(u32, u32); 3]>;

/// What each further match of a group changes, kept apart from the rest so that it stays small.
#[derive(Debug, Clone)]
struct Seen {
    best: Best,
    orgs: Orgs,
}

/// A group's own facets (the thread's space, tags, type and year), read from its first match,
/// as ordinals of that match's segment (`segment`).
#[derive(Debug, Clone, Default)]
struct GroupFacets {
    segment: u32,
    space: Option<u32>,
    tags: Ords,
    kind: Option<u32>,
    year: Option<u64>,
}

/// Groups in the order they were first matched: a small map from group key to place, and
/// what is kept of each group in separate lists, so the map and the part every match touches
/// stay small enough for the processor's caches.
#[derive(Default)]
struct Groups {
    place: FxHashMap<u64, u32>,
    keys: Vec<u64>,
    seen: Vec<Seen>,
    facets: Vec<GroupFacets>,
}

impl Groups {
    /// Empty, keeping the room already made.
    fn clear(&mut self) {
        self.place.clear();
        self.keys.clear();
        self.seen.clear();
        self.facets.clear();
    }
}

/// Most groups a search keeps room for after it ends (about 150 bytes each).
const SPARE_GROUPS_MAX: usize = 1 << 16;

/// Room for groups, handed from one search to the next: a search would otherwise grow its map
/// and lists from nothing, copying them at each doubling and touching fresh pages each time.
/// Holds at most two (one per search at once on a small server) of at most
/// `SPARE_GROUPS_MAX` groups each.
#[derive(Default)]
pub struct SpareGroups(Mutex<Vec<Groups>>);

impl SpareGroups {
    fn take(&self) -> Groups {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, mut groups: Groups) {
        if groups.keys.capacity() > SPARE_GROUPS_MAX {
            return;
        }
        groups.clear();
        let mut spare = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < 2 {
            spare.push(groups);
        }
    }
}

/// What every segment adds to, and the search's result. Its room for groups goes back to
/// `spare` when it is dropped.
#[derive(Default)]
pub struct Matches {
    groups: Groups,
    /// Each segment's text facet columns, to turn ordinals into names at the end.
    segments: Vec<[Option<StrColumn>; 4]>,
    spare: Option<Arc<SpareGroups>>,
}

impl Drop for Matches {
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            spare.give(std::mem::take(&mut self.groups));
        }
    }
}

impl Matches {
    pub fn total_threads(&self) -> usize {
        self.groups.keys.len()
    }

    /// (thread id, best post) for every matching thread.
    pub fn best(&self) -> impl Iterator<Item = (u64, Best)> + '_ {
        let g = &self.groups;
        g.keys.iter().zip(&g.seen).map(|(k, s)| (*k, s.best))
    }

    /// Threads per facet value. The thread's own facets are counted per ordinal of its
    /// segment, then each segment names the ordinals it counted, in one ordered walk of its
    /// dictionary; organisations are named first and then counted, as a thread's posts may
    /// name the same organisation in several segments.
    pub fn facets(&self) -> FacetCounts {
        let mut counted: Vec<[Vec<u32>; 4]> = self
            .segments
            .iter()
            .map(|columns| {
                std::array::from_fn(|which| {
                    vec![0; columns[which].as_ref().map_or(0, |c| c.num_terms())]
                })
            })
            .collect();
        let bump = |counts: &mut Vec<u32>, ord: u32| {
            if let Some(n) = counts.get_mut(ord as usize) {
                *n += 1;
            }
        };
        let mut years: FxHashMap<u64, u64> = FxHashMap::default();
        for (f, seen) in self.groups.facets.iter().zip(&self.groups.seen) {
            let own = &mut counted[f.segment as usize];
            f.space.into_iter().for_each(|o| bump(&mut own[SPACE], o));
            f.tags.iter().for_each(|&o| bump(&mut own[TAG], o));
            f.kind.into_iter().for_each(|o| bump(&mut own[KIND], o));
            if let Some(y) = f.year {
                *years.entry(y).or_default() += 1;
            }
            for &(segment, ord) in &seen.orgs {
                bump(&mut counted[segment as usize][ORG], ord);
            }
        }
        let mut out: [HashMap<String, u64>; 4] = Default::default();
        // Per segment, organisation ordinal → index into `org_names`.
        let mut org_ids: Vec<Vec<u32>> = vec![Vec::new(); self.segments.len()];
        let mut org_names: Vec<String> = Vec::new();
        let mut org_known: HashMap<String, u32> = HashMap::new();
        for (segment, columns) in self.segments.iter().enumerate() {
            for (which, column) in columns.iter().enumerate() {
                let counts = &counted[segment][which];
                let ords: Vec<u32> = (0..counts.len())
                    .filter(|&o| counts[o] > 0)
                    .map(|o| id(o as u64))
                    .collect();
                // A dictionary that cannot be read leaves its facet out rather than wrong.
                let Some(names) = column.as_ref().and_then(|c| ordered_names(c, &ords)) else {
                    continue;
                };
                if which != ORG {
                    for (&ord, name) in ords.iter().zip(names) {
                        *out[which].entry(name).or_default() += u64::from(counts[ord as usize]);
                    }
                    continue;
                }
                let table = &mut org_ids[segment];
                table.resize(counts.len(), u32::MAX);
                for (&ord, name) in ords.iter().zip(names) {
                    let next = id(org_names.len() as u64);
                    table[ord as usize] = *org_known.entry(name).or_insert_with_key(|name| {
                        org_names.push(name.clone());
                        next
                    });
                }
            }
        }
        let mut org_counts = vec![0u64; org_names.len()];
        // The last group each organisation was counted for: a group counts it once however
        // many segments name it.
        let mut counted_for = vec![u32::MAX; org_names.len()];
        for (group, seen) in self.groups.seen.iter().enumerate() {
            let group = id(group as u64);
            for &(segment, ord) in &seen.orgs {
                let Some(&o) = org_ids[segment as usize].get(ord as usize) else {
                    continue;
                };
                if o != u32::MAX && counted_for[o as usize] != group {
                    counted_for[o as usize] = group;
                    org_counts[o as usize] += 1;
                }
            }
        }
        // A post indexed without an organisation (a former member's) counts under none.
        out[ORG] = org_names
            .into_iter()
            .zip(org_counts)
            .filter(|(name, _)| !name.is_empty())
            .collect();
        let mut facets: FacetCounts = HashMap::new();
        for (which, values) in out.into_iter().enumerate() {
            if !values.is_empty() {
                facets.insert(TEXT_FACETS[which], values);
            }
        }
        if !years.is_empty() {
            facets.insert(
                "year",
                years.into_iter().map(|(y, n)| (y.to_string(), n)).collect(),
            );
        }
        facets
    }
}

/// The text of each of `ords` (sorted, distinct), or None if the dictionary cannot say.
fn ordered_names(column: &StrColumn, ords: &[u32]) -> Option<Vec<String>> {
    let wide: Vec<u64> = ords.iter().map(|&o| u64::from(o)).collect();
    let mut found = Vec::with_capacity(wide.len());
    let complete = column
        .dictionary()
        .sorted_ords_to_term_cb(&wide, |bytes| {
            found.push(String::from_utf8_lossy(bytes).into_owned())
        })
        .unwrap_or(false);
    (complete && found.len() == ords.len()).then_some(found)
}

pub struct CountMatches {
    best_practice_boost: f32,
    superseded_factor: f32,
    gathered: Arc<Mutex<Matches>>,
}

impl CountMatches {
    /// A collector for one search, its room for groups taken from `spare`.
    pub fn new(best_practice_boost: f32, superseded_factor: f32, spare: &Arc<SpareGroups>) -> Self {
        let matches = Matches {
            groups: spare.take(),
            segments: Vec::new(),
            spare: Some(spare.clone()),
        };
        CountMatches {
            best_practice_boost,
            superseded_factor,
            gathered: Arc::new(Mutex::new(matches)),
        }
    }
}

fn lock(gathered: &Mutex<Matches>) -> MutexGuard<'_, Matches> {
    gathered.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many matches are gathered before their fast fields are read together.
const BLOCK: usize = 64;

/// A block of matches and room for what their fast fields hold.
struct Block {
    docs: Vec<u32>,
    scores: Vec<f32>,
    group: [Option<u64>; BLOCK],
    best_practice: [Option<u64>; BLOCK],
    created_at: [Option<i64>; BLOCK],
    post_id: [Option<u64>; BLOCK],
    org: [Option<u64>; BLOCK],
    /// The matches that began a group, in the order their groups were made: their own
    /// facets are read together once the block is placed.
    fresh_docs: Vec<u32>,
    space: [Option<u64>; BLOCK],
    kind: [Option<u64>; BLOCK],
    year: [Option<u64>; BLOCK],
}

impl Block {
    fn new() -> Self {
        Block {
            docs: Vec::with_capacity(BLOCK),
            scores: Vec::with_capacity(BLOCK),
            group: [None; BLOCK],
            best_practice: [None; BLOCK],
            created_at: [None; BLOCK],
            post_id: [None; BLOCK],
            org: [None; BLOCK],
            fresh_docs: Vec::with_capacity(BLOCK),
            space: [None; BLOCK],
            kind: [None; BLOCK],
            year: [None; BLOCK],
        }
    }
}

/// `column`'s first value for each of `docs` (None where it has none).
fn first_values<T>(column: &Column<T>, docs: &[u32], out: &mut [Option<T>; BLOCK])
where
    T: PartialOrd + Copy + std::fmt::Debug + Send + Sync + 'static,
{
    let out = &mut out[..docs.len()];
    out.fill(None);
    column.first_vals(docs, out);
}

/// The first term ordinal of a text facet for each of `docs` (None throughout when the segment
/// has no such column).
fn first_ords(column: &Option<StrColumn>, docs: &[u32], out: &mut [Option<u64>; BLOCK]) {
    match column {
        Some(column) => first_values(column.ords(), docs, out),
        None => out[..docs.len()].fill(None),
    }
}

pub struct SegmentMatches {
    /// The segment's place in the searcher (for document addresses).
    segment: u32,
    /// The segment's place in `Matches::segments` (for facet ordinals).
    columns_at: u32,
    boost: f32,
    superseded_factor: f32,
    group: Column<u64>,
    post_id: Column<u64>,
    created_at: Column<i64>,
    best_practice: Column<u64>,
    year: Column<u64>,
    columns: [Option<StrColumn>; 4],
    gathered: Arc<Mutex<Matches>>,
    /// Matches not yet looked at.
    pending: Block,
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
        let columns = [
            ff.str("space_slug")?,
            ff.str("tag_facet")?,
            ff.str("org")?,
            ff.str("kind")?,
        ];
        let columns_at = {
            let mut gathered = lock(&self.gathered);
            gathered.segments.push(columns.clone());
            id(gathered.segments.len() as u64 - 1)
        };
        Ok(SegmentMatches {
            segment,
            columns_at,
            boost: self.best_practice_boost,
            superseded_factor: self.superseded_factor,
            group: ff.u64("group")?,
            post_id: ff.u64("post_id")?,
            created_at: ff.i64("created_at")?,
            best_practice: ff.u64("best_practice")?,
            year: ff.u64("year")?,
            columns,
            gathered: self.gathered.clone(),
            pending: Block::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, _: Vec<()>) -> tantivy::Result<Matches> {
        Ok(std::mem::take(&mut *lock(&self.gathered)))
    }
}

impl SegmentMatches {
    /// Reads the pending block's fast fields, a column at a time, and adds its matches to
    /// their groups.
    fn flush(&mut self) {
        let block = &mut self.pending;
        if block.docs.is_empty() {
            return;
        }
        let docs = &block.docs;
        first_values(&self.group, docs, &mut block.group);
        first_values(&self.best_practice, docs, &mut block.best_practice);
        first_values(&self.created_at, docs, &mut block.created_at);
        first_values(&self.post_id, docs, &mut block.post_id);
        first_ords(&self.columns[ORG], docs, &mut block.org);
        let mut gathered = lock(&self.gathered);
        for (i, (&doc, &score)) in docs.iter().zip(&block.scores).enumerate() {
            let Some(thread) = block.group[i] else {
                continue;
            };
            let score = match block.best_practice[i] {
                Some(1) => score * self.boost,
                Some(2) => score * self.superseded_factor,
                _ => score,
            };
            let best = Best {
                doc: DocAddress::new(self.segment, doc),
                score,
                latest: (
                    block.created_at[i].unwrap_or_default(),
                    block.post_id[i].unwrap_or_default(),
                ),
            };
            let org = block.org[i].map(|o| (self.columns_at, id(o)));
            let groups = &mut gathered.groups;
            match groups.place.entry(thread) {
                Entry::Occupied(place) => {
                    let seen = &mut groups.seen[*place.get() as usize];
                    merge_best(&mut seen.best, best);
                    if let Some(o) = org {
                        if !seen.orgs.contains(&o) {
                            seen.orgs.push(o);
                        }
                    }
                }
                Entry::Vacant(place) => {
                    place.insert(id(groups.keys.len() as u64));
                    groups.keys.push(thread);
                    groups.seen.push(Seen {
                        best,
                        orgs: org.into_iter().collect(),
                    });
                    block.fresh_docs.push(doc);
                }
            }
        }
        read_group_facets(
            &mut self.pending,
            &self.columns,
            &self.year,
            self.columns_at,
            &mut gathered.groups,
        );
        drop(gathered);
        let block = &mut self.pending;
        block.docs.clear();
        block.scores.clear();
        block.fresh_docs.clear();
    }
}

/// Adds the own facets (space, tags, type, year) of the groups `block` began, in the order
/// they were made, from their first matches in the segment whose columns these are
/// (`segment`): the single-valued ones a column at a time.
fn read_group_facets(
    block: &mut Block,
    columns: &[Option<StrColumn>; 4],
    year: &Column<u64>,
    segment: u32,
    groups: &mut Groups,
) {
    let docs = &block.fresh_docs;
    if docs.is_empty() {
        return;
    }
    first_ords(&columns[SPACE], docs, &mut block.space);
    first_ords(&columns[KIND], docs, &mut block.kind);
    first_values(year, docs, &mut block.year);
    for (i, &doc) in docs.iter().enumerate() {
        groups.facets.push(GroupFacets {
            segment,
            space: block.space[i].map(id),
            tags: columns[TAG]
                .as_ref()
                .map(|c| c.term_ords(doc).map(id).collect())
                .unwrap_or_default(),
            kind: block.kind[i].map(id),
            year: block.year[i],
        });
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = ();

    fn collect(&mut self, doc: u32, score: Score) {
        self.pending.docs.push(doc);
        self.pending.scores.push(score);
        if self.pending.docs.len() == BLOCK {
            self.flush();
        }
    }

    fn harvest(mut self) {
        self.flush();
    }
}
