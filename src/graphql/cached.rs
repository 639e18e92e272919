//! What the GraphQL response cache holds, and its budget.

/// A GraphQL response body, and the database's commit count
/// ([`crate::db::Db::commits_done`]) read before it was computed.
#[derive(Debug)]
pub struct CachedResponse {
    pub commit: u64,
    pub body: String,
}

/// Bytes of GraphQL responses (and their keys) kept at most.
pub const GRAPHQL_RESPONSE_BUDGET: u64 = 8 << 20;
