//! Test support shared by the black-box tests and the benchmarks.
pub mod fixtures;
pub mod smtp_sink;
pub mod xss;
