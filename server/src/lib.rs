//! Roundtable: a closed discussion forum for UK police leaders.
//!
//! The binary is glue (`cli`); the server is built by [`startup::Application`]. Requests go
//! `routes` (parse and shape) → one function of [`use_cases`], which asks [`permissions`] and
//! runs the domain steps (`forum`, `accounts`, `spaces`) inside one sea-orm transaction that
//! also writes the `outbox` row for the search indexer.
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod best_practice;
pub mod cache;
pub mod case_studies;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod db;
pub mod delivery;
pub mod digest;
pub mod domain;
pub mod error;
pub mod forum;
pub mod gzip;
pub mod import;
pub mod library;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod nodes;
pub mod notifications;
pub mod oidc;
pub mod outbox;
pub mod pages;
pub mod permissions;
pub mod private_files;
pub mod reads;
pub mod request_log;
pub mod routes;
pub mod search;
pub mod security_headers;
pub mod seed;
pub mod settings;
pub mod spaces;
pub mod startup;
pub mod state;
pub mod tail;
pub mod telemetry;
pub mod tls;
pub mod use_cases;
