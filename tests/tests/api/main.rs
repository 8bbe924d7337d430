//! Black-box tests: each starts the real `roundtable` server as a process on a random port
//! with a fresh database and talks HTTP to it (and runs the CLI against the same database).
mod helpers;
mod mail;

mod atomicity;
mod auth;
mod bad_input;
mod best_practice;
mod case_studies;
mod cli;
mod csrf;
mod digest_delivery;
mod digests;
mod directory;
mod discussions;
mod documents;
mod headers;
mod import;
mod invitations;
mod login_throttle;
mod markdown;
mod oidc_provider;
mod openapi;
mod operations;
mod pages;
mod permission_matrix;
mod posting_limits;
mod preferences;
mod probing;
mod registrations;
mod scale_out;
mod scanning;
mod search;
mod second_factor;
mod single_sign_on;
mod tokens;
mod your_data;
