//! In-process caches (moka) that never serve data older than a committed write.
//!
//! The race: a reader loads a row, a writer commits and invalidates the key,
//! then the reader inserts the row it loaded — now stale. [`Coherent`] closes
//! it with a generation counter: a reader notes the generation before it
//! loads, and its insert is refused when any invalidation happened since.
//! Writers invalidate *after* their transaction committed. Hits and misses are
//! counted here (moka keeps no counts).

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moka::sync::Cache;

pub struct Coherent<K, V> {
    name: &'static str,
    inner: Cache<K, V>,
    generation: AtomicU64,
    /// Serialises "check generation, insert" against "bump, invalidate".
    gate: Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
    enabled: bool,
}

/// Taken before loading; proves no invalidation happened since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub entries: u64,
}

impl<K, V> Coherent<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub fn new(name: &'static str, capacity: u64, ttl: Duration) -> Self {
        Self::from_moka(
            name,
            Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build(),
        )
    }

    /// A cache holding at most `budget` of what `weigh` counts (bytes).
    pub fn weighted(
        name: &'static str,
        budget: u64,
        ttl: Duration,
        weigh: fn(&K, &V) -> u32,
    ) -> Self {
        Self::from_moka(
            name,
            Cache::builder()
                .weigher(weigh)
                .max_capacity(budget)
                .time_to_live(ttl)
                .build(),
        )
    }

    fn from_moka(name: &'static str, inner: Cache<K, V>) -> Self {
        Coherent {
            name,
            inner,
            generation: AtomicU64::new(0),
            gate: Mutex::new(()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            enabled: true,
        }
    }

    /// A cache that stores nothing when `enabled` is false (`cache.enabled`).
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether anything is ever stored (`cache.enabled`).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// A cached value, or a ticket to insert one after loading it.
    pub fn get(&self, key: &K) -> Result<V, Ticket> {
        self.get_valid(key, |_| true)
    }

    /// A ticket for a load that did not start with [`get`](Self::get)
    /// (the caller already looked and missed).
    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Like [`get`](Self::get), but an entry `valid` rejects is a miss.
    pub fn get_valid(&self, key: &K, valid: impl FnOnce(&V) -> bool) -> Result<V, Ticket> {
        let ticket = Ticket(self.generation.load(Ordering::Acquire));
        if !self.enabled {
            // Nothing is ever stored: skip moka, whose lookups record even
            // a miss (a read-buffer entry, and its housekeeping).
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Err(ticket);
        }
        match self.inner.get(key).filter(|v| valid(v)) {
            Some(v) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Ok(v)
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                Err(ticket)
            }
        }
    }

    /// Inserts unless an invalidation happened after `ticket` was taken.
    pub fn insert(&self, ticket: Ticket, key: K, value: V) {
        if !self.enabled {
            return;
        }
        let Ok(_guard) = self.gate.lock() else { return };
        if self.generation.load(Ordering::Acquire) == ticket.0 {
            self.inner.insert(key, value);
        }
    }

    pub fn invalidate(&self, key: &K) {
        let Ok(_guard) = self.gate.lock() else {
            self.inner.invalidate_all();
            return;
        };
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.invalidate(key);
    }

    pub fn invalidate_all(&self) {
        let _guard = self.gate.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.inner.invalidate_all();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.inner.entry_count(),
        }
    }
}

/// A post as served: the row, the `{"post": ...}` body bytes and their ETag
/// (the same for every caller allowed to see it).
#[derive(Debug)]
pub struct CachedPost {
    pub post: crate::posts::model::Post,
    pub body: String,
    pub etag: String,
}

/// A cached first page of the anonymous feed.
#[derive(Debug)]
pub enum FeedEntry {
    /// `GET /api/posts`: the rendered body.
    Body(String),
    /// GraphQL `posts`: the page's posts.
    Posts(Vec<crate::posts::model::Post>),
}

/// A GraphQL response body, and the database's commit count
/// ([`crate::db::Db::commits_done`]) read before it was computed.
#[derive(Debug)]
pub struct CachedResponse {
    pub commit: u64,
    pub body: String,
}

/// Bytes of GraphQL responses (and their keys) kept at most.
pub const GRAPHQL_RESPONSE_BUDGET: u64 = 8 << 20;

/// Bytes of decoded posting lists the `postings` cache holds: a common
/// phrase's list of [`LOAD_MAX`](crate::posts::search::postings::LOAD_MAX)
/// posts takes about 1 MiB.
pub const POSTINGS_BUDGET: u64 = 64 << 20;

/// Every cache of the server, for invalidation and statistics.
pub struct Caches {
    /// User id → token version, role, disabled (checked on every request).
    pub auth: Coherent<String, crate::auth::AuthState>,
    /// API key prefix → stored key row.
    pub api_keys: Coherent<String, crate::auth::repo::ApiKeyRow>,
    /// User id → user row.
    pub users: Coherent<String, crate::users::model::User>,
    /// Post id → served post.
    pub posts: Coherent<String, Arc<CachedPost>>,
    /// Slug → post id.
    pub slugs: Coherent<String, String>,
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
    pub terms: Coherent<String, Option<Arc<crate::posts::search::query::Expansion>>>,
    /// Search phrase (as a MATCH expression) → how many posts contain it
    /// (BM25's document frequency, see `repo::document_frequency`). Forgotten
    /// with `terms`.
    pub dfs: Coherent<String, i64>,
    /// Decoded posting lists of common search phrases, by phrase; kept with
    /// `terms`.
    pub postings: Coherent<String, Arc<crate::posts::search::postings::Postings>>,
}

impl Caches {
    pub fn new(cfg: &crate::config::CacheConfig) -> Caches {
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
                |k: &String, v: &Arc<crate::posts::search::postings::Postings>| {
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
    pub fn forget_user(&self, id: &str) {
        let id = id.to_string();
        self.users.invalidate(&id);
        self.auth.invalidate(&id);
        self.graphql.invalidate_all();
    }

    /// A post changed: forget it, its slug, every cached list page and
    /// prefix expansion.
    pub fn forget_post(&self, id: &str, slug: &str) {
        self.posts.invalidate(&id.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_after_invalidation_is_refused() {
        let c: Coherent<u32, &str> = Coherent::new("t", 10, Duration::from_secs(60));
        let ticket = c.get(&1).unwrap_err();
        // A writer commits and invalidates while the reader is loading.
        c.invalidate(&1);
        c.insert(ticket, 1, "stale");
        assert!(c.get(&1).is_err(), "stale value must not be cached");
        let ticket = c.get(&1).unwrap_err();
        c.insert(ticket, 1, "fresh");
        assert_eq!(c.get(&1).unwrap(), "fresh");
        let s = c.stats();
        assert_eq!((s.hits, s.misses), (1, 3));
    }

    #[test]
    fn a_disabled_cache_stores_nothing_and_counts_misses() {
        let c: Coherent<u32, &str> = Coherent::new("t", 10, Duration::from_secs(60)).enabled(false);
        let ticket = c.get(&1).unwrap_err();
        c.insert(ticket, 1, "value");
        assert!(c.get(&1).is_err());
        assert!(c.get_valid(&1, |_| true).is_err());
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.entries), (0, 3, 0));
    }
}
