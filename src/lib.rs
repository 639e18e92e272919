//! Folio: one binary, one SQLite file — a users-and-posts backend.
//!
//! [`app::build`] makes the server; `main.rs` only parses the command line
//! and calls into [`cli`].

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod http;
pub mod telemetry;

pub use config::Config;
pub use error::{ApiError, ApiResult};
