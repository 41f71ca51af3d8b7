//! Integration tests over real HTTP against servers started on 127.0.0.1:0.

mod attachments;
mod auth;
mod backups;
mod collab;
mod common;
mod concurrency;
mod documents;
mod durability;
mod errors;
mod export;
mod hardening;
mod import;
mod limits;
mod metrics;
mod onboarding;
mod openapi;
mod permissions;
mod records;
mod render;
mod reviews;
mod search;
mod stats;
mod visibility;
mod webhooks;
