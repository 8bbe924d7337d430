//! The index: one writer (add/delete under a read lock, commit under the write lock), a reader
//! reloaded after each commit, and the search itself.
use crate::build::build;
use crate::collect::{Best, CountMatches, SpareGroups};
use crate::schema::{self, Fields, GROUP_DOCUMENT, SCHEMA_VERSION};
use crate::snippet;
use crate::{
    query, Ranking, SearchDocument, SearchError, SearchHit, SearchRequest, SearchResults, SortOrder,
};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// The most of a hit's text searched for its snippet.
const SNIPPET_SOURCE_MAX: usize = 100_000;

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0)
}

enum Writer {
    None,
    /// Indexing threads; `None` lets tantivy choose.
    Threads(Option<usize>),
}

/// Why an index on disk cannot be used as it is; each means "rebuild it".
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no index at {0}")]
    Missing(String),
    #[error(
        "the index was written with another schema (version {found:?}, expected {SCHEMA_VERSION})"
    )]
    SchemaMismatch { found: Option<u32> },
    #[error("the index cannot be read: {0}")]
    Corrupt(String),
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    /// `None` when opened read-only (another process owns the writer).
    writer: Option<RwLock<IndexWriter>>,
    fields: Fields,
    ranking: Ranking,
    spare: Arc<SpareGroups>,
}

fn index_err(e: impl std::fmt::Display) -> SearchError {
    SearchError::Index(e.to_string())
}

/// What a commit records beside the documents.
fn payload(position: i64) -> String {
    format!("{{\"schema_version\":{SCHEMA_VERSION},\"position\":{position}}}")
}

fn parse_payload(raw: &str) -> (Option<u32>, Option<i64>) {
    let number = |key: &str| -> Option<i64> {
        let at = raw.find(&format!("\"{key}\":"))? + key.len() + 3;
        let digits: String = raw[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    };
    (
        number("schema_version").and_then(|v| u32::try_from(v).ok()),
        number("position"),
    )
}

impl SearchIndex {
    fn from_index(index: Index, writer: Writer) -> Result<Self, SearchError> {
        schema::register_tokenizers(&index);
        let (_, fields) = schema::build();
        let writer = match writer {
            Writer::None => None,
            Writer::Threads(Some(n)) => Some(index.writer_with_num_threads(n, WRITER_MEMORY)),
            Writer::Threads(None) => Some(index.writer(WRITER_MEMORY)),
        }
        .transpose()
        .map_err(index_err)?
        .map(RwLock::new);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_err)?;
        Ok(SearchIndex {
            index,
            reader,
            writer,
            fields,
            ranking: Ranking::default(),
            spare: Arc::default(),
        })
    }

    /// A new, empty index in `dir` (which must be empty), committed at position 0.
    pub fn create(dir: &Path, threads: Option<usize>) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(index_err)?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(dir, schema).map_err(index_err)?;
        let created = Self::from_index(index, Writer::Threads(threads))?;
        created.commit(0)?;
        Ok(created)
    }

    /// A new index held in memory (evaluation, tests).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, _) = schema::build();
        let created = Self::from_index(Index::create_in_ram(schema), Writer::Threads(None))?;
        created.commit(0)?;
        Ok(created)
    }

    /// Opens the index in `dir`, refusing one that is missing, unreadable or of another schema.
    pub fn open(dir: &Path, threads: Option<usize>) -> Result<Self, OpenError> {
        Self::open_with(dir, Writer::Threads(threads))
    }

    /// Opens the index for searching only, beside a process that owns its writer.
    pub fn open_read_only(dir: &Path) -> Result<Self, OpenError> {
        Self::open_with(dir, Writer::None)
    }

    fn open_with(dir: &Path, writer: Writer) -> Result<Self, OpenError> {
        if !dir.join("meta.json").is_file() {
            return Err(OpenError::Missing(dir.display().to_string()));
        }
        let index = Index::open_in_dir(dir).map_err(|e| OpenError::Corrupt(e.to_string()))?;
        let metas = index
            .load_metas()
            .map_err(|e| OpenError::Corrupt(e.to_string()))?;
        let (version, _) = metas
            .payload
            .as_deref()
            .map(parse_payload)
            .unwrap_or((None, None));
        let (expected, _) = schema::build();
        if version != Some(SCHEMA_VERSION) || index.schema() != expected {
            return Err(OpenError::SchemaMismatch { found: version });
        }
        let opened =
            Self::from_index(index, writer).map_err(|e| OpenError::Corrupt(e.to_string()))?;
        // Read every segment's metadata once now, so corruption shows at start-up.
        opened
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .try_for_each(|s| s.fast_fields().u64("post_id").map(|_| ()))
            .map_err(|e| OpenError::Corrupt(e.to_string()))?;
        Ok(opened)
    }

    pub fn with_ranking(mut self, ranking: Ranking) -> Self {
        self.ranking = ranking;
        self
    }

    /// The outbox position included in the last commit.
    pub fn position(&self) -> Result<i64, SearchError> {
        let metas = self.index.load_metas().map_err(index_err)?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| parse_payload(p).1)
            .unwrap_or(0))
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn writer(&self) -> Result<std::sync::RwLockReadGuard<'_, IndexWriter>, SearchError> {
        self.writer
            .as_ref()
            .ok_or_else(|| SearchError::Index("the index was opened read-only".into()))?
            .read()
            .map_err(index_err)
    }

    /// Adds or replaces posts (by post id) and documents (by document id).
    pub fn upsert(&self, docs: &[SearchDocument]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        for d in docs {
            let key = if d.document_id != 0 {
                Term::from_field_u64(self.fields.document_id, d.document_id as u64)
            } else {
                Term::from_field_u64(self.fields.post_id, d.post_id as u64)
            };
            writer.delete_term(key);
            writer.add_document(self.document(d)).map_err(index_err)?;
        }
        Ok(())
    }

    pub fn delete_document(&self, document_id: i32) -> Result<(), SearchError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_u64(
            self.fields.document_id,
            document_id as u64,
        ));
        Ok(())
    }

    /// Adds posts known to be new (a fresh index being built): no delete first.
    pub fn add_new(&self, docs: &[SearchDocument]) -> Result<(), SearchError> {
        let writer = self.writer()?;
        for d in docs {
            writer.add_document(self.document(d)).map_err(index_err)?;
        }
        Ok(())
    }

    pub fn delete_post(&self, post_id: i32) -> Result<(), SearchError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_u64(self.fields.post_id, post_id as u64));
        Ok(())
    }

    pub fn delete_thread(&self, thread_id: i32) -> Result<(), SearchError> {
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_u64(
            self.fields.thread_id,
            thread_id as u64,
        ));
        Ok(())
    }

    /// Makes everything added so far durable and visible, recording `position` with it in the
    /// same commit: after a crash the index holds exactly the changes up to its position.
    pub fn commit(&self, position: i64) -> Result<(), SearchError> {
        {
            let lock = self
                .writer
                .as_ref()
                .ok_or_else(|| SearchError::Index("the index was opened read-only".into()))?;
            let mut writer = lock.write().map_err(index_err)?;
            let mut prepared = writer.prepare_commit().map_err(index_err)?;
            prepared.set_payload(&payload(position));
            prepared.commit().map_err(index_err)?;
        }
        self.reader.reload().map_err(index_err)
    }

    /// Waits for background merges, then releases the writer's lock on the folder.
    pub fn close(self) -> Result<(), SearchError> {
        match self.writer {
            Some(lock) => lock
                .into_inner()
                .map_err(index_err)?
                .wait_merging_threads()
                .map_err(index_err),
            None => Ok(()),
        }
    }

    /// Picks up commits made by another process (read-only indexes).
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(index_err)
    }

    fn document(&self, d: &SearchDocument) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        if d.document_id != 0 {
            doc.add_u64(f.document_id, d.document_id as u64);
            doc.add_u64(f.group, GROUP_DOCUMENT + d.document_id as u64);
            doc.add_text(f.kind, "document");
            doc.add_text(f.file_type, &d.file_type);
        } else {
            doc.add_u64(f.post_id, d.post_id as u64);
            doc.add_u64(f.thread_id, d.thread_id as u64);
            doc.add_u64(f.group, d.thread_id as u64);
            doc.add_text(f.kind, "discussion");
        }
        doc.add_u64(f.space_id, d.space_id as u64);
        doc.add_text(f.space_slug, &d.space_slug);
        doc.add_text(f.title, &d.thread_title);
        doc.add_text(f.body, &d.body_text);
        for tag in &d.tags {
            doc.add_text(f.tags_text, tag);
            doc.add_text(f.tag, tag.to_lowercase());
            doc.add_text(f.tag_facet, tag);
        }
        doc.add_text(f.author_email, d.author_email.to_lowercase());
        doc.add_text(f.author_name, &d.author);
        doc.add_text(f.org, &d.organisation);
        doc.add_text(f.org_name, &d.organisation);
        doc.add_text(f.marking, d.marking.to_lowercase());
        let standing = match (d.best_practice, d.superseded) {
            (_, true) => 2,
            (true, false) => 1,
            (false, false) => 0,
        };
        doc.add_u64(f.best_practice, standing);
        if let Some(c) = &d.case_study {
            doc.add_text(f.area, c.area.to_lowercase());
            for s in &c.suppliers {
                doc.add_text(f.supplier, s);
            }
            doc.add_f64(f.saving, c.saving_percent);
            doc.add_i64(f.value, c.contract_value);
        }
        doc.add_i64(f.created_at, d.created_at);
        let year = chrono::DateTime::from_timestamp(d.created_at, 0)
            .map(|t| chrono::Datelike::year(&t))
            .unwrap_or(1970);
        doc.add_u64(f.year, year.max(0) as u64);
        doc
    }

    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let parsed = query::parse(&req.query)?;
        if req.readable_spaces.is_empty() {
            return Ok(SearchResults::default());
        }
        let built = build(&parsed, &req.readable_spaces, &self.fields, &self.ranking);
        let searcher = self.reader.searcher();
        let matches = searcher
            .search(&*built.query, &self.collector())
            .map_err(index_err)?;
        let per_page = req.per_page.clamp(1, 100);
        let skip = req.page.saturating_sub(1) * per_page;
        let page: Vec<_> = ordered(matches.best(), req.sort, skip.saturating_add(per_page))
            .into_iter()
            .skip(skip)
            .collect();
        let snippets = match &built.text {
            Some(text) => Some(
                SnippetGenerator::create(&searcher, &**text, self.fields.body)
                    .map_err(index_err)?,
            ),
            None => None,
        };
        let mut out = Vec::with_capacity(page.len());
        for (_, best) in page {
            let doc: TantivyDocument = searcher.doc(best.doc).map_err(index_err)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let body = text(self.fields.body);
            // A shared document's text can run to millions of characters: the snippet is
            // looked for in its opening part only, so a page of hits costs what posts cost.
            let head = &body[..floor_char_boundary(&body, SNIPPET_SOURCE_MAX)];
            let snippet_html = match snippets.as_ref().map(|g| g.snippet(head)) {
                Some(s) if !s.is_empty() => snippet::to_html(&s),
                _ => snippet::opening(&body, 180),
            };
            let id = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_u64())
                    .unwrap_or_default() as i32
            };
            out.push(SearchHit {
                thread_id: id(self.fields.thread_id),
                post_id: id(self.fields.post_id),
                document_id: id(self.fields.document_id),
                file_type: text(self.fields.file_type),
                title: text(self.fields.title),
                space_slug: text(self.fields.space_slug),
                snippet_html,
                score: best.score,
                created_at: doc
                    .get_first(self.fields.created_at)
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default(),
            });
        }
        let mut facets: Vec<(String, Vec<(String, u64)>)> = matches
            .facets()
            .into_iter()
            .map(|(name, values)| {
                let mut counts: Vec<(String, u64)> = values.into_iter().collect();
                counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                (name.to_string(), counts)
            })
            .collect();
        facets.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SearchResults {
            total: matches.total_threads(),
            hits: out,
            facets,
        })
    }

    fn collector(&self) -> CountMatches {
        CountMatches::new(
            self.ranking.best_practice_boost,
            self.ranking.superseded_factor,
            &self.spare,
        )
    }

    /// Ranked thread ids only (evaluation): no snippets, no stored fields.
    pub fn ranked_threads(
        &self,
        text: &str,
        readable_spaces: &[i32],
        limit: usize,
    ) -> Result<Vec<i32>, SearchError> {
        let parsed = query::parse(text)?;
        let built = build(&parsed, readable_spaces, &self.fields, &self.ranking);
        let matches = self
            .reader
            .searcher()
            .search(&*built.query, &self.collector())
            .map_err(index_err)?;
        let threads = matches.best().filter(|(group, _)| *group < GROUP_DOCUMENT);
        Ok(ordered(threads, SortOrder::Relevance, limit)
            .into_iter()
            .map(|(t, _)| t as i32)
            .collect())
    }
}

/// Where a hit stands in `sort`, greater first: for relevance its score (as bits that order
/// as `f32::total_cmp` does), then its newest match, then the lower thread id; for date the
/// newest match, then the lower thread id.
type Standing = (u32, (i64, u64), Reverse<u64>);

fn standing(hit: &(u64, Best), sort: SortOrder) -> Standing {
    let score = match sort {
        SortOrder::Relevance => {
            let bits = hit.1.score.to_bits();
            if bits >> 31 == 1 {
                !bits
            } else {
                bits | 1 << 31
            }
        }
        SortOrder::Date => 0,
    };
    (score, hit.1.latest, Reverse(hit.0))
}

/// A hit in the heap of the best so far, ordered by its standing alone (which holds its
/// thread id, so no two are equal).
struct Ranked(Standing, (u64, Best));

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// The first `wanted` of `hits` (each matching thread with its best post) in the requested
/// order, kept in a heap of `wanted` as they come: the rest are neither copied nor sorted.
fn ordered(
    hits: impl Iterator<Item = (u64, Best)>,
    sort: SortOrder,
    wanted: usize,
) -> Vec<(u64, Best)> {
    if wanted == 0 {
        return Vec::new();
    }
    let mut best: BinaryHeap<Reverse<Ranked>> = BinaryHeap::new();
    for hit in hits {
        let ranked = Ranked(standing(&hit, sort), hit);
        if best.len() < wanted {
            best.push(Reverse(ranked));
        } else if best.peek().is_some_and(|worst| ranked > worst.0) {
            best.pop();
            best.push(Reverse(ranked));
        }
    }
    // Ascending `Reverse` is descending standing: the best first.
    best.into_sorted_vec().into_iter().map(|r| r.0 .1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::CaseStudyFacts;

    fn post(id: i32, title: &str, case: Option<CaseStudyFacts>) -> SearchDocument {
        SearchDocument {
            post_id: id,
            thread_id: id,
            space_id: 1,
            space_slug: "commercial".into(),
            thread_title: title.into(),
            body_text: "custody contract renewal".into(),
            marking: "OFFICIAL".into(),
            created_at: 1_700_000_000 + i64::from(id),
            case_study: case,
            ..SearchDocument::default()
        }
    }

    fn titles(index: &SearchIndex, q: &str) -> Vec<String> {
        index
            .search(&SearchRequest::new(q, vec![1]))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.title)
            .collect()
    }

    #[test]
    fn case_study_filters_compare_numbers_and_match_names() {
        let index = SearchIndex::in_memory().unwrap();
        let facts = |area: &str, supplier: &str, saving: f64, value: i64| CaseStudyFacts {
            area: area.into(),
            suppliers: vec![supplier.into()],
            saving_percent: saving,
            contract_value: value,
        };
        index
            .upsert(&[
                post(
                    1,
                    "Kent custody",
                    Some(facts("custody", "Custodia Services Ltd", 15.0, 400_000)),
                ),
                post(
                    2,
                    "Essex custody",
                    Some(facts("custody", "Other Co", 9.9, 2_000_000)),
                ),
                post(
                    3,
                    "Fleet",
                    Some(facts("fleet", "Custodia Services Ltd", 30.0, 100_000)),
                ),
                post(4, "Plain thread", None),
            ])
            .unwrap();
        index.commit(1).unwrap();
        let mut got = titles(&index, "saving>=10");
        got.sort();
        assert_eq!(got, vec!["Fleet", "Kent custody"]);
        assert_eq!(
            titles(&index, "area:custody saving>10"),
            vec!["Kent custody"]
        );
        assert_eq!(
            titles(&index, "value<500k area:custody"),
            vec!["Kent custody"]
        );
        assert_eq!(
            titles(&index, "supplier:custodia area:fleet"),
            vec!["Fleet"]
        );
        assert_eq!(titles(&index, "saving=9.9"), vec!["Essex custody"]);
        assert_eq!(
            titles(&index, "value<=£2m saving<10"),
            vec!["Essex custody"]
        );
        let mut not_custody = titles(&index, "custody -area:custody");
        not_custody.sort();
        assert_eq!(not_custody, vec!["Fleet", "Plain thread"]);
        assert!(
            titles(&index, "saving<0").is_empty(),
            "posts without figures never match"
        );
    }

    #[test]
    fn facets_count_each_thread_once_across_segments() {
        let index = SearchIndex::in_memory().unwrap();
        let reply =
            |id: i32, thread: i32, org: &str, space: (i32, &str), tags: &[&str]| SearchDocument {
                thread_id: thread,
                space_id: space.0,
                space_slug: space.1.into(),
                organisation: org.into(),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..post(id, "Custody suites", None)
            };
        let commercial = (1, "commercial");
        let resilience = (2, "resilience");
        let both = ["custody", "estates"];
        index
            .upsert(&[
                reply(1, 1, "Kent Police", commercial, &both),
                reply(2, 3, "Essex Police", resilience, &["custody"]),
            ])
            .unwrap();
        index.commit(1).unwrap();
        index
            .upsert(&[
                reply(3, 1, "Essex Police", commercial, &both),
                reply(4, 1, "Kent Police", commercial, &both),
                reply(5, 2, "Kent Police", commercial, &["custody"]),
            ])
            .unwrap();
        index.commit(2).unwrap();
        let segments = index.reader.searcher().segment_readers().len();
        assert!(segments >= 2, "the posts lie in {segments} segment(s)");
        let found = index
            .search(&SearchRequest::new("custody", vec![1, 2]))
            .unwrap();
        assert_eq!(found.total, 3);
        let facet = |name: &str| {
            let mut counts = found
                .facets
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            counts.sort();
            counts
        };
        let pairs = |p: &[(&str, u64)]| -> Vec<(String, u64)> {
            p.iter().map(|(v, n)| (v.to_string(), *n)).collect()
        };
        assert_eq!(
            facet("force"),
            pairs(&[("Essex Police", 2), ("Kent Police", 2)])
        );
        assert_eq!(facet("tag"), pairs(&[("custody", 3), ("estates", 1)]));
        assert_eq!(
            facet("space"),
            pairs(&[("commercial", 2), ("resilience", 1)])
        );
        // A search reuses the room an earlier one made for its groups: nothing of the earlier
        // search may remain in it.
        let narrower = index
            .search(&SearchRequest::new("custody", vec![2]))
            .unwrap();
        assert_eq!(narrower.total, 1);
        let again = index
            .search(&SearchRequest::new("custody", vec![1, 2]))
            .unwrap();
        assert_eq!(again, found);
    }

    #[test]
    fn current_best_practice_ranks_above_superseded() {
        let index = SearchIndex::in_memory().unwrap();
        let mut old = post(1, "Custody guidance", None);
        old.best_practice = true;
        old.superseded = true;
        let mut new = post(2, "Custody guidance", None);
        new.best_practice = true;
        let plain = post(3, "Custody guidance", None);
        index.upsert(&[old, new, plain]).unwrap();
        index.commit(1).unwrap();
        let order: Vec<i32> = index
            .search(&SearchRequest::new("custody", vec![1]))
            .unwrap()
            .hits
            .iter()
            .map(|h| h.thread_id)
            .collect();
        assert_eq!(order, vec![2, 3, 1]);
        assert_eq!(titles(&index, "is:superseded").len(), 1);
        assert_eq!(
            index
                .search(&SearchRequest::new("is:best-practice", vec![1]))
                .unwrap()
                .hits[0]
                .thread_id,
            2
        );
    }

    #[test]
    fn payload_round_trips() {
        assert_eq!(
            parse_payload(&payload(42)),
            (Some(SCHEMA_VERSION), Some(42))
        );
        assert_eq!(parse_payload("{}"), (None, None));
    }

    proptest::proptest! {
        #[test]
        fn the_first_hits_are_those_a_full_sort_puts_first(
            raw in proptest::collection::vec((0u64..50, -8i8..8, 0i64..5, 0u64..1000), 0..60),
            wanted in 0usize..70,
            by_date in proptest::bool::ANY,
        ) {
            let hits: Vec<(u64, Best)> = raw
                .iter()
                .enumerate()
                .map(|(i, &(thread, score, created, post))| {
                    (
                        thread * 100 + i as u64,
                        Best {
                            doc: tantivy::DocAddress::new(0, i as u32),
                            score: f32::from(score) / 2.0,
                            latest: (created, post),
                        },
                    )
                })
                .collect();
            let sort = if by_date { SortOrder::Date } else { SortOrder::Relevance };
            // The order spelled out: score (or not), newest match, lower thread id.
            let mut everything = hits.clone();
            everything.sort_by(|a, b| {
                let by_score = if by_date { std::cmp::Ordering::Equal } else { b.1.score.total_cmp(&a.1.score) };
                by_score.then(b.1.latest.cmp(&a.1.latest)).then(a.0.cmp(&b.0))
            });
            everything.truncate(wanted);
            let first = ordered(hits.into_iter(), sort, wanted);
            let ids = |v: &[(u64, Best)]| v.iter().map(|h| h.0).collect::<Vec<_>>();
            proptest::prop_assert_eq!(ids(&first), ids(&everything));
        }
    }
}
