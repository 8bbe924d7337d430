//! Discussions: threads, the reply tree, edits, revisions and soft deletes. Each function
//! takes a connection or transaction from its caller, which commits once.
pub mod input;
pub mod people;
pub mod posts;
pub mod tags;
pub mod threads;
pub mod tree;
pub mod unread;
