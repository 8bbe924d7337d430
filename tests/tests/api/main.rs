//! Black-box tests: each starts the real `roundtable` server as a process on a random port
//! with a fresh database and talks HTTP to it (and runs the CLI against the same database).
mod helpers;
mod mail;

mod atomicity;
mod auth;
mod bad_input;
mod cli;
mod digest_delivery;
mod digests;
mod discussions;
mod import;
mod invitations;
mod markdown;
mod operations;
mod permission_matrix;
mod preferences;
mod search;
