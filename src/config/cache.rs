//! `[cache]`: the in-memory caches in front of the database.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// `false` disables the post, user, list, prefix and GraphQL response
    /// caches (for benchmarks); the auth caches stay on.
    pub enabled: bool,
    /// Most posts (and slugs) kept.
    pub posts_capacity: u64,
    /// Most users kept.
    pub users_capacity: u64,
    /// Seconds an entry lives at most (writes invalidate at once anyway).
    pub ttl_seconds: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            posts_capacity: 10_000,
            users_capacity: 10_000,
            ttl_seconds: 300,
        }
    }
}
