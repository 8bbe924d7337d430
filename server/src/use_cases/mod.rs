//! What people do, one function each: start a thread, reply, edit, delete, change a thread,
//! invite, disable an account. Each takes the viewer and input already parsed from the
//! request, asks the permission module, owns the transaction (the row, the outbox, the
//! notifications, the audit) and returns what happened. The JSON handlers and the web pages
//! call these; neither decides, validates or writes anything itself.
pub mod accounts;
pub mod admin;
pub mod best_practice;
pub mod case_studies;
pub mod directory;
pub mod documents;
pub mod feeds;
pub mod home;
pub mod identity_providers;
pub mod passkeys;
pub mod password_reset;
pub mod posts;
pub mod preferences;
pub mod registrations;
pub mod search;
pub mod second_factor;
pub mod sign_in;
pub mod single_sign_on;
pub mod spaces;
pub mod threads;
pub mod unread;
pub mod your_data;
