//! Pure rules, no I/O: versions and their storage, diffs, permission decisions, the review state
//! machine.

pub mod diff;
pub mod permission;
pub mod review;
pub mod stats;
pub mod versions;
