//! `[graphql]`: the GraphQL endpoint's tools and its query limits.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlConfig {
    /// Serve GraphiQL at `GET /graphql` (embedded; no CDN).
    pub playground: bool,
    /// Answer introspection queries (`__schema`, `__type`).
    pub introspection: bool,
    pub max_depth: usize,
    /// List fields cost their `limit` times their children.
    pub max_complexity: usize,
    /// Operations per batched request.
    pub max_batch: usize,
    /// Largest response body; a larger answer is replaced by one error.
    pub max_response_bytes: usize,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            playground: false,
            introspection: true,
            max_depth: 10,
            max_complexity: 1000,
            max_batch: 10,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}
