//! Case studies: threads that carry structured costing data (service area, forces, suppliers,
//! contract, costs before and after, terms used, outcomes, lessons), so one force's figures
//! can be found, compared side by side and exported by another.
pub mod csv;
pub mod fields;
pub mod store;

pub use fields::{CaseStudyFields, CaseStudyInput, FieldError, Saving, TERMS};
