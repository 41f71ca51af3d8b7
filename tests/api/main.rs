//! Integration tests over real HTTP against servers started on 127.0.0.1:0.

mod auth;
mod common;
mod documents;
mod durability;
mod import;
mod limits;
mod permissions;
mod reviews;
mod search;
