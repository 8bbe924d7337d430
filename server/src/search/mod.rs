//! Search in the server: documents from the database, the indexer that tails the outbox,
//! and the evaluation harness.
pub mod cli;
pub mod documents;
pub mod eval;
pub mod in_flight;
pub mod indexer;
pub mod shared_documents;

pub use indexer::SearchService;
