//! Importing discussions and documents from elsewhere.
pub mod library;
pub mod stackexchange;
