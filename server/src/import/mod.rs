//! Importing discussions from elsewhere.
pub mod stackexchange;
