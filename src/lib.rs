//! Folio: one binary, one SQLite file — a users-and-posts backend.
#![recursion_limit = "256"]
//!
//! [`app::build`] makes the server; `main.rs` only parses the command line
//! and calls into [`cli`].

pub mod admin;
pub mod app;
pub mod auth;
pub(crate) mod cache;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub mod ctx;
pub mod db;
pub(crate) mod error;
pub mod events;
pub(crate) mod fdlimit;
pub mod graphql;
pub(crate) mod health;
pub mod http;
pub mod ids;
pub(crate) mod metrics;
pub(crate) mod net;
pub mod openapi;
pub(crate) mod posts;
pub(crate) mod telemetry;
pub(crate) mod transfer;
pub(crate) mod users;
pub(crate) mod values;

pub use config::Config;
pub use error::{ApiError, ApiResult};
