//! Authentication and sessions (see the helper-written tests).
