//! Pure rules, no I/O: versions and their storage, diffs, three-way merges, permission decisions, the review state
//! machine.

pub mod actions;
pub mod diff;
pub mod links;
pub mod merge;
pub mod permission;
pub mod review;
pub mod stats;
pub mod versions;
