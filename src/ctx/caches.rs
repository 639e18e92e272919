//! Every cache of the server, by what it holds, and what each write
//! forgets.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::repo::ApiKeyRow;
use crate::auth::AuthState;
use crate::cache::{CacheStats, Coherent};
use crate::config::CacheConfig;
use crate::graphql::cached::{CachedResponse, GRAPHQL_RESPONSE_BUDGET};
use crate::ids::{PostId, UserId};
use crate::posts::cached::{CachedPost, FeedEntry};
use crate::posts::search::query::Expansion;
use crate::posts::search::sqlite::postings::Postings;
use crate::users::model::User;

/// Bytes of decoded posting lists the `postings` cache holds: a common
/// phrase's list of [`LOAD_MAX`](crate::posts::search::sqlite::postings::LOAD_MAX)
/// posts takes about 1 MiB.
pub const POSTINGS_BUDGET: u64 = 64 << 20;

/// Every cache of the server, for invalidation and statistics.
pub struct Caches {
    /// User id → token version, role, disabled (checked on every request).
    pub auth: Coherent<UserId, AuthState>,
    /// API key prefix → stored key row.
    pub api_keys: Coherent<String, ApiKeyRow>,
    /// User id → user row.
    pub users: Coherent<UserId, User>,
    /// Post id → served post.
    pub posts: Coherent<PostId, Arc<CachedPost>>,
    /// Slug → post id.
    pub slugs: Coherent<String, PostId>,
    /// First pages of the anonymous post list → REST's response body, or
    /// the posts for GraphQL's `posts` field.
    pub feed: Coherent<String, Arc<FeedEntry>>,
    /// An anonymous GraphQL query (text, operation, variables) → its
    /// response body. Forgotten whenever any other cache is, and an entry
    /// counts only while no write batch that changed rows has committed
    /// since it was made
    /// ([`CachedResponse::commit`]), so writes no cache tracks (a new user)
    /// are seen too.
    pub graphql: Coherent<String, Arc<CachedResponse>>,
    /// Search prefix → the indexed tokens it matches, with their post
    /// counts (`None`: too many to expand). Forgotten on every change to
    /// posts, since any of them can add tokens or change counts.
    pub terms: Coherent<String, Option<Arc<Expansion>>>,
    /// Search phrase (as a MATCH expression) → how many posts contain it
    /// (BM25's document frequency, see `repo::document_frequency`). Forgotten
    /// with `terms`.
    pub dfs: Coherent<String, i64>,
    /// Decoded posting lists of common search phrases, by phrase; kept with
    /// `terms`.
    pub postings: Coherent<String, Arc<Postings>>,
}

impl Caches {
    pub fn new(cfg: &CacheConfig) -> Caches {
        let ttl = Duration::from_secs(cfg.ttl_seconds.max(1));
        Caches {
            auth: Coherent::new("auth", cfg.users_capacity, ttl),
            api_keys: Coherent::new("api_keys", 10_000, ttl),
            users: Coherent::new("users", cfg.users_capacity, ttl).enabled(cfg.enabled),
            posts: Coherent::new("posts", cfg.posts_capacity, ttl).enabled(cfg.enabled),
            slugs: Coherent::new("slugs", cfg.posts_capacity, ttl).enabled(cfg.enabled),
            feed: Coherent::new("feed", 256, ttl).enabled(cfg.enabled),
            terms: Coherent::new("terms", 10_000, ttl).enabled(cfg.enabled),
            dfs: Coherent::new("dfs", 10_000, ttl).enabled(cfg.enabled),
            postings: Coherent::weighted(
                "postings",
                POSTINGS_BUDGET,
                ttl,
                |k: &String, v: &Arc<Postings>| {
                    u32::try_from(k.len() + v.weight()).unwrap_or(u32::MAX)
                },
            )
            .enabled(cfg.enabled),
            graphql: Coherent::weighted(
                "graphql",
                GRAPHQL_RESPONSE_BUDGET,
                ttl,
                |k: &String, v: &Arc<CachedResponse>| {
                    u32::try_from(k.len() + v.body.len()).unwrap_or(u32::MAX)
                },
            )
            .enabled(cfg.enabled),
        }
    }

    /// A post was created: forget every cached list page and prefix
    /// expansion.
    pub fn post_added(&self) {
        self.feed.invalidate_all();
        self.terms.invalidate_all();
        self.dfs.invalidate_all();
        self.postings.invalidate_all();
        self.graphql.invalidate_all();
    }

    /// A user changed: forget them, and every GraphQL response (any could
    /// show them).
    pub fn forget_user(&self, id: &UserId) {
        self.users.invalidate(id);
        self.auth.invalidate(id);
        self.graphql.invalidate_all();
    }

    /// A post changed: forget it, its slug, every cached list page and
    /// prefix expansion.
    pub fn forget_post(&self, id: &PostId, slug: &str) {
        self.posts.invalidate(id);
        self.slugs.invalidate(&slug.to_string());
        self.post_added();
    }

    /// Something every post shows changed (an author's name), or many posts
    /// went (a user's deletion).
    pub fn invalidate_posts_all(&self) {
        self.posts.invalidate_all();
        self.post_added();
    }

    /// Forgets everything (another process wrote to the database).
    pub fn flush(&self) {
        self.auth.invalidate_all();
        self.api_keys.invalidate_all();
        self.users.invalidate_all();
        self.posts.invalidate_all();
        self.slugs.invalidate_all();
        self.feed.invalidate_all();
        self.terms.invalidate_all();
        self.dfs.invalidate_all();
        self.postings.invalidate_all();
        self.graphql.invalidate_all();
    }

    /// Per-cache statistics, for `/api/admin/stats` and `/metrics`.
    pub fn stats(&self) -> Vec<(&'static str, CacheStats)> {
        vec![
            (self.auth.name(), self.auth.stats()),
            (self.api_keys.name(), self.api_keys.stats()),
            (self.users.name(), self.users.stats()),
            (self.posts.name(), self.posts.stats()),
            (self.slugs.name(), self.slugs.stats()),
            (self.feed.name(), self.feed.stats()),
            (self.terms.name(), self.terms.stats()),
            (self.dfs.name(), self.dfs.stats()),
            (self.postings.name(), self.postings.stats()),
            (self.graphql.name(), self.graphql.stats()),
        ]
    }

    /// All caches added up.
    pub fn totals(&self) -> CacheStats {
        self.stats().into_iter().fold(
            CacheStats {
                hits: 0,
                misses: 0,
                entries: 0,
            },
            |a, (_, s)| CacheStats {
                hits: a.hits + s.hits,
                misses: a.misses + s.misses,
                entries: a.entries + s.entries,
            },
        )
    }
}
