//! Full-text search over Roundtable's discussions, with tantivy.
//!
//! [`SearchIndex`] owns one index: the schema ([`schema`]), the single writer, a reader reloaded
//! after each commit, query parsing ([`query`]), the permission filter, grouping by thread,
//! facets and snippets. [`IndexStore`] keeps index generations on disk so a rebuild can be
//! swapped in atomically.
//!
//! Invariants:
//! - It knows nothing of HTTP, the database or sea-orm; the server feeds it
//!   [`SearchDocument`]s and asks it [`SearchRequest`]s.
//! - The viewer's readable spaces are a required clause of every query, so totals, facets,
//!   snippets and pages never reveal a space the viewer may not read.
//! - Its public API uses these types, never tantivy's.
//!
//! ```
//! use search_index::{SearchDocument, SearchIndex, SearchRequest};
//! let index = SearchIndex::in_memory().unwrap();
//! let doc = SearchDocument { post_id: 1, thread_id: 1, space_id: 7, thread_title: "Mutual aid".into(),
//!     body_text: "Flooding in the north".into(), ..SearchDocument::default() };
//! index.upsert(&[doc]).unwrap();
//! index.commit(1).unwrap();
//! let found = index.search(&SearchRequest::new("flood", vec![7])).unwrap();
//! assert_eq!(found.total, 1);
//! let hidden = index.search(&SearchRequest::new("flood", vec![8])).unwrap();
//! assert_eq!(hidden.total, 0);
//! ```
mod all_groups;
mod build;
mod collect;
mod index;
pub mod query;
mod readable;
pub mod schema;
mod snippet;
mod store;

pub use index::{OpenError, SearchIndex};
pub use store::IndexStore;

/// One post, or one shared document, as the index sees it (denormalised: thread and space
/// facts are copied in). A document has `document_id` set, its title in `thread_title`, its
/// summary and extracted text in `body_text`, and no post or thread id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchDocument {
    pub post_id: i32,
    pub thread_id: i32,
    /// Non-zero for a shared document.
    pub document_id: i32,
    /// A document's file type (`pdf`, `docx`, …).
    pub file_type: String,
    pub space_id: i32,
    pub space_slug: String,
    pub thread_title: String,
    /// Plain text of the post body (Markdown removed).
    pub body_text: String,
    pub tags: Vec<String>,
    pub author: String,
    pub author_email: String,
    pub organisation: String,
    /// `OFFICIAL` or `OFFICIAL-SENSITIVE`.
    pub marking: String,
    pub best_practice: bool,
    /// Endorsed once, now superseded by something newer (ranks below current material).
    pub superseded: bool,
    /// Set for a case study's posts.
    pub case_study: Option<CaseStudyFacts>,
    /// Seconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// What search can filter a case study by (`area:`, `supplier:`, `saving>=`, `value<`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseStudyFacts {
    /// The service area's slug.
    pub area: String,
    pub suppliers: Vec<String>,
    /// Percent of the annual cost before.
    pub saving_percent: f64,
    /// Pounds.
    pub contract_value: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Relevance,
    Date,
}

/// A query as typed by a person, with the spaces the viewer may read.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: String,
    pub readable_spaces: Vec<i32>,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    pub sort: SortOrder,
}

impl SearchRequest {
    pub fn new(query: &str, readable_spaces: Vec<i32>) -> Self {
        SearchRequest {
            query: query.to_string(),
            readable_spaces,
            page: 1,
            per_page: 20,
            sort: SortOrder::Relevance,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The thread of a discussion hit; 0 for a document.
    pub thread_id: i32,
    /// The best matching post of a discussion hit; 0 for a document.
    pub post_id: i32,
    /// The document of a document hit; 0 for a discussion.
    pub document_id: i32,
    /// A document's file type; empty for a discussion.
    pub file_type: String,
    pub title: String,
    pub space_slug: String,
    /// HTML-escaped text with `<mark>` around matches; nothing else unescaped.
    pub snippet_html: String,
    pub score: f32,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    /// Matching threads and documents (each thread counts once, whatever number of its posts
    /// matched).
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Facet name (`space`, `tag`, `force`, `year`, `type`) to value counts, in threads and
    /// documents.
    pub facets: Vec<(String, Vec<(String, u64)>)>,
}

/// How matches are scored. The defaults were chosen by measurement (docs/search-quality.md).
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Weight of a match in the thread title, relative to the post body.
    pub title_weight: f32,
    pub tags_weight: f32,
    /// Score a word by its best field (with `tie_breaker` of the others) instead of the sum.
    pub dismax: bool,
    pub tie_breaker: f32,
    /// Extra weight for posts matching every word group.
    pub all_terms_bonus: f32,
    /// Score multiplier for endorsed best practice.
    pub best_practice_boost: f32,
    /// Score multiplier for superseded best practice (below 1: it ranks under what replaced it).
    pub superseded_factor: f32,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_weight: 1.25,
            tags_weight: 1.0,
            dismax: true,
            tie_breaker: 0.1,
            all_terms_bonus: 0.5,
            best_practice_boost: 1.5,
            superseded_factor: 0.5,
        }
    }
}

/// What can go wrong in search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text is malformed; `position` is the 1-based character where the problem is.
    #[error("{message} (at character {position})")]
    Query { message: String, position: usize },
    /// The index on disk could not be opened, read or written.
    #[error("search index: {0}")]
    Index(String),
}
