//! Search in the server: the evaluation harness (and, next, the indexer and the API).
pub mod eval;
