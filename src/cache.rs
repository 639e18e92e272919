//! In-process caches (moka) that never serve data older than a committed write.
//!
//! The race: a reader loads a row, a writer commits and invalidates the key,
//! then the reader inserts the row it loaded — now stale. [`Coherent`] closes
//! it with a generation counter: a reader notes the generation before it
//! loads, and its insert is refused when any invalidation happened since.
//! Writers invalidate *after* their transaction committed. Hits and misses are
//! counted here (moka keeps no counts). The caches themselves, one per
//! kind of value, are listed in `ctx::caches`.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
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
