//! Integration tests: one binary, each test with its own temporary database,
//! driving the real Rocket from `folio::app::build` (or the real binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;
mod support;

mod admin;
mod auth;
mod cache;
mod cli;
mod connections;
mod durability;
mod event_types;
mod events;
mod foundation;
mod graphiql;
mod graphql;
mod graphql_cache;
mod graphql_errors;
mod graphql_limits;
mod headers;
mod hostile;
mod limits;
mod logs;
mod metrics;
mod migrations;
mod openapi;
mod ops;
mod post_access;
mod post_lists;
mod posts;
mod process;
mod search;
mod search_common;
mod search_index;
mod sessions;
mod shutdown;
mod sse;
mod storage;
mod tokens;
mod user_updates;
mod users;
mod webhooks;
