//! Folio: one binary, one SQLite file — a users-and-posts backend.
#![recursion_limit = "256"]
//!
//! [`app::build`] makes the server; `main.rs` only parses the command line
//! and calls into [`cli`].

pub mod admin;
pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod ctx;
pub mod db;
pub mod error;
pub mod events;
pub mod fdlimit;
pub mod graphql;
pub mod health;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod net;
pub mod openapi;
pub mod posts;
pub mod telemetry;
pub mod transfer;
pub mod users;
pub mod values;

pub use config::Config;
pub use error::{ApiError, ApiResult};
