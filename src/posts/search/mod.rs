//! `GET /api/search`: full-text search over published posts.
//!
//! The interface every engine answers is backend-neutral: a query parsed
//! into terms ([`query`]: words, phrases, prefixes, `OR`, exclusions) in, an
//! [`Outcome`] (ranked hits with marked snippets, a capped count) out. Each
//! storage backend brings its engine; SQLite's is FTS5 with our own ranking
//! ([`sqlite`]).
//!
//! This file parses and dispatches; `response.rs` writes the REST body.

pub mod outcome;
pub mod query;
mod response;
pub mod sqlite;

use query::{Parsed, QueryError};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};

pub use outcome::Outcome;
pub use response::{body, render_snippet, rounded};

/// The search text `q` as terms, or why it cannot be searched (REST and
/// GraphQL parse it before running the search).
pub fn parse(q: &str) -> ApiResult<Parsed> {
    query::parse_terms(q).map_err(|e| match e {
        QueryError::Empty => ApiError::validation("q", "has nothing searchable in it"),
        QueryError::TooLong => ApiError::validation("q", e.to_string()),
    })
}

/// Runs a parsed search for one page (REST and GraphQL).
pub async fn run(ctx: &Ctx, terms: Parsed, limit: u32, offset: u64) -> ApiResult<Outcome> {
    searched(sqlite::run(ctx, terms, limit, offset).await)
}

/// A search's storage error as the answer to the query.
fn searched<T>(result: ApiResult<T>) -> ApiResult<T> {
    match result {
        Err(ApiError::Internal(cause)) => {
            // The parser makes this unreachable; never answer a query with 5xx.
            tracing::warn!(error = %cause, "search query failed");
            Err(ApiError::validation("q", "could not be searched"))
        }
        other => other,
    }
}
