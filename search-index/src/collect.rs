//! One pass over what matched: each group's (a thread's, or a document's) best match (by
//! score, best practice boosted) and newest match, and per-group facets, all from fast
//! fields. Group-level facets (space, tags, year, type) are read once per group; `force`
//! counts each organisation whose posts matched.
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

#[derive(Debug, Clone)]
struct ThreadFacets {
    best: Best,
    space: Option<String>,
    tags: Vec<String>,
    orgs: Vec<String>,
    year: Option<u64>,
    kind: Option<String>,
}

#[derive(Debug, Default)]
pub struct Matches {
    threads: HashMap<u64, ThreadFacets>,
}

impl Matches {
    pub fn total_threads(&self) -> usize {
        self.threads.len()
    }

    /// (thread id, best post) for every matching thread.
    pub fn best(&self) -> Vec<(u64, Best)> {
        self.threads.iter().map(|(t, f)| (*t, f.best)).collect()
    }

    pub fn facets(&self) -> FacetCounts {
        let mut out: FacetCounts = HashMap::new();
        for t in self.threads.values() {
            let mut bump = |name: &'static str, value: &str| {
                *out.entry(name)
                    .or_default()
                    .entry(value.to_string())
                    .or_default() += 1
            };
            if let Some(s) = &t.space {
                bump("space", s);
            }
            for tag in &t.tags {
                bump("tag", tag);
            }
            for org in &t.orgs {
                bump("force", org);
            }
            if let Some(y) = t.year {
                bump("year", &y.to_string());
            }
            if let Some(k) = &t.kind {
                bump("type", k);
            }
        }
        out
    }
}

pub struct CountMatches {
    pub best_practice_boost: f32,
    pub superseded_factor: f32,
}

struct SegmentThread {
    best: Best,
    space: Option<u64>,
    tags: Vec<u64>,
    orgs: Vec<u64>,
    year: Option<u64>,
    kind: Option<u64>,
}

/// Per segment: facet values as term ordinals, resolved to text once per ordinal at harvest.
pub struct SegmentMatches {
    segment: u32,
    boost: f32,
    superseded_factor: f32,
    group: Column<u64>,
    post_id: Column<u64>,
    created_at: Column<i64>,
    best_practice: Column<u64>,
    year: Column<u64>,
    space: Option<StrColumn>,
    tag: Option<StrColumn>,
    org: Option<StrColumn>,
    kind: Option<StrColumn>,
    threads: HashMap<u64, SegmentThread>,
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
            space: ff.str("space_slug")?,
            tag: ff.str("tag_facet")?,
            org: ff.str("org")?,
            kind: ff.str("kind")?,
            threads: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Matches>) -> tantivy::Result<Matches> {
        let mut out = Matches::default();
        for fruit in fruits {
            for (thread, facets) in fruit.threads {
                match out.threads.get_mut(&thread) {
                    Some(existing) => {
                        merge_best(&mut existing.best, facets.best);
                        for org in facets.orgs {
                            if !existing.orgs.contains(&org) {
                                existing.orgs.push(org);
                            }
                        }
                    }
                    None => {
                        out.threads.insert(thread, facets);
                    }
                }
            }
        }
        Ok(out)
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
        let org = self.org.as_ref().and_then(|c| c.term_ords(doc).next());
        match self.threads.get_mut(&thread) {
            Some(entry) => {
                merge_best(&mut entry.best, best);
                if let Some(o) = org {
                    if !entry.orgs.contains(&o) {
                        entry.orgs.push(o);
                    }
                }
            }
            None => {
                let space = self.space.as_ref().and_then(|c| c.term_ords(doc).next());
                let tags = self
                    .tag
                    .as_ref()
                    .map(|c| c.term_ords(doc).collect())
                    .unwrap_or_default();
                let year = self.year.first(doc);
                let kind = self.kind.as_ref().and_then(|c| c.term_ords(doc).next());
                self.threads.insert(
                    thread,
                    SegmentThread {
                        best,
                        space,
                        tags,
                        orgs: org.into_iter().collect(),
                        year,
                        kind,
                    },
                );
            }
        }
    }

    fn harvest(self) -> Matches {
        let mut cache: [HashMap<u64, String>; 4] = Default::default();
        let mut resolve = |which: usize, column: &Option<StrColumn>, ord: u64| -> Option<String> {
            if let Some(v) = cache[which].get(&ord) {
                return Some(v.clone());
            }
            let mut value = String::new();
            column
                .as_ref()?
                .ord_to_str(ord, &mut value)
                .ok()?
                .then_some(())?;
            cache[which].insert(ord, value.clone());
            Some(value)
        };
        let mut threads = HashMap::with_capacity(self.threads.len());
        for (thread, t) in self.threads {
            let facets = ThreadFacets {
                best: t.best,
                space: t.space.and_then(|o| resolve(0, &self.space, o)),
                tags: t
                    .tags
                    .into_iter()
                    .filter_map(|o| resolve(1, &self.tag, o))
                    .collect(),
                orgs: t
                    .orgs
                    .into_iter()
                    .filter_map(|o| resolve(2, &self.org, o))
                    .collect(),
                year: t.year,
                kind: t.kind.and_then(|o| resolve(3, &self.kind, o)),
            };
            threads.insert(thread, facets);
        }
        Matches { threads }
    }
}
