//! The permission matrix.
