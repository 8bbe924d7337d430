//! Full-text search over Roundtable's discussions.
//!
//! **Not built yet**: this crate holds the public types the search issue will implement with
//! tantivy (schema, the single writer, readers, query parsing, the permission filter, snippets).
//! Nothing here searches anything today.
//!
//! Invariants, to keep when it is built:
//! - It knows nothing of HTTP, the database or sea-orm; the server feeds it [`SearchDocument`]s
//!   read from the outbox and asks it [`SearchRequest`]s.
//! - The viewer's readable spaces are part of every query ([`SearchRequest::readable_spaces`]),
//!   so totals, facets, snippets and pages never reveal a space the viewer may not read.
//! - Its public API uses these types, never tantivy's.

/// One post as the index sees it (denormalised: thread and space facts are copied in).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    pub post_id: i32,
    pub thread_id: i32,
    pub space_id: i32,
    pub space_slug: String,
    pub thread_title: String,
    /// Plain text of the post body (Markdown removed).
    pub body_text: String,
    pub tags: Vec<String>,
    pub author: String,
    pub organisation: String,
    /// `OFFICIAL` or `OFFICIAL-SENSITIVE`.
    pub marking: String,
    pub best_practice: bool,
    /// Seconds since the Unix epoch, UTC.
    pub created_at: i64,
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
    pub page: usize,
    pub per_page: usize,
    pub sort: SortOrder,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub thread_id: i32,
    pub post_id: i32,
    pub title: String,
    pub space_slug: String,
    /// HTML-escaped text with `<mark>` around matches; nothing else unescaped.
    pub snippet_html: String,
    pub score: f32,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Facet name (`space`, `tag`, `force`, `year`) to value counts.
    pub facets: Vec<(String, Vec<(String, u64)>)>,
}

/// What can go wrong in search.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text is malformed; `position` is a character offset into it.
    #[error("query error at character {position}: {message}")]
    Query { message: String, position: usize },
    /// The index on disk could not be opened, read or written.
    #[error("search index: {0}")]
    Index(String),
}
