//! What one search may cost: how many read connections all searches hold at
//! once, and how long one of a search's reads may run.
//!
//! Without a cap, a few costly searches took every reader thread and every
//! other read (post pages, lists) queued behind them; without a time budget,
//! one hostile query held a connection for seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::config::DatabaseConfig;
use crate::db::{Db, StoreError};
use crate::error::{ApiError, ApiResult};

/// SQLite virtual-machine steps between two looks at the clock.
const CHECK_EVERY_OPS: i32 = 1_000;

pub struct SearchLimits {
    reads: Arc<Semaphore>,
    total: usize,
    timeout: Duration,
}

/// `database.search_reads` with 0 resolved: half the read pool, at least
/// one, never more than the pool.
pub fn search_reads(db: &DatabaseConfig) -> usize {
    let pool = db.read_pool_size.max(1) as usize;
    match db.search_reads {
        0 => (pool / 2).max(1),
        n => (n as usize).min(pool),
    }
}

impl SearchLimits {
    pub fn new(db: &DatabaseConfig) -> Self {
        Self::with(
            search_reads(db),
            Duration::from_millis(db.search_timeout_ms.max(1)),
        )
    }

    pub fn with(reads: usize, timeout: Duration) -> Self {
        SearchLimits {
            reads: Arc::new(Semaphore::new(reads.max(1))),
            total: reads.max(1),
            timeout,
        }
    }

    /// The error a search past its budget answers with.
    pub fn too_costly(&self) -> ApiError {
        ApiError::validation(
            "q",
            format!(
                "took longer than {} ms to search; use fewer or more specific terms",
                self.timeout.as_millis()
            ),
        )
    }

    /// Runs one read of a search: once a search connection is free (waiting
    /// takes no reader thread), and stopped by SQLite once it has run longer
    /// than the timeout.
    pub async fn read<T, F>(&self, db: &Db, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = Arc::clone(&self.reads)
            .acquire_owned()
            .await
            .map_err(ApiError::internal)?;
        let timeout = self.timeout;
        let stopped = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopped);
        let result = db
            .read(move |tx| {
                let c = tx.sqlite_conn();
                let deadline = Instant::now() + timeout;
                c.progress_handler(
                    CHECK_EVERY_OPS,
                    Some(move || {
                        let late = Instant::now() >= deadline;
                        if late {
                            flag.store(true, Ordering::Relaxed);
                        }
                        late
                    }),
                )
                .map_err(StoreError::from)?;
                let _unset = Unset(c);
                f(c)
            })
            .await;
        if stopped.load(Ordering::Relaxed) {
            return Err(self.too_costly());
        }
        result
    }

    /// Search connections free right now (for tests and metrics).
    pub fn available(&self) -> usize {
        self.reads.available_permits()
    }

    /// Whether no other search read is in flight (asked from within one).
    pub fn alone(&self) -> bool {
        self.available() + 1 >= self.total
    }

    /// Takes every search connection until the permits are dropped (tests:
    /// a search must then wait while other reads go on).
    pub async fn hold_all(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        let n = u32::try_from(self.available()).map_err(ApiError::internal)?;
        Arc::clone(&self.reads)
            .acquire_many_owned(n)
            .await
            .map_err(ApiError::internal)
    }
}

/// Removes the progress handler when the read ends, also by a panic (the
/// connection goes back to the pool either way).
struct Unset<'a>(&'a Connection);

impl Drop for Unset<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.progress_handler(0, None::<fn() -> bool>) {
            tracing::warn!(error = %e, "removing a search's progress handler failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Db) {
        db_of(4)
    }

    fn db_of(pool: u32) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.database.read_pool_size = pool;
        let db = Db::open(
            &dir.path().join("t.db"),
            crate::db::DbOptions::from_config(&config, super::super::index::STORAGE_HOOKS),
        )
        .unwrap();
        (dir, db)
    }

    const LONG: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
                        WHERE i < 1000000) SELECT count(*) FROM n";

    #[tokio::test]
    async fn a_read_past_its_budget_is_stopped_with_a_400() {
        let (_dir, db) = db();
        let limits = SearchLimits::with(2, Duration::ZERO);
        let err = limits
            .read(&db, |c| {
                Ok(c.query_row(LONG, [], |r| r.get::<_, i64>(0))
                    .map_err(crate::db::StoreError::from)?)
            })
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), "validation_failed");
        let details = err.details().unwrap();
        assert_eq!(details[0].field, "q");
        assert!(details[0].message.contains("took longer than 0 ms"));
        // The connection is usable again, with no handler left behind.
        let n: i64 = db
            .read(|c| -> ApiResult<i64> {
                Ok(c.sqlite_conn()
                    .query_row(LONG, [], |r| r.get(0))
                    .map_err(crate::db::StoreError::from)?)
            })
            .await
            .unwrap();
        assert_eq!(n, 1_000_000);
        // Within its budget, a read answers.
        let limits = SearchLimits::with(2, Duration::from_secs(3600));
        let n: i64 = limits
            .read(&db, |c| {
                Ok(c.query_row(LONG, [], |r| r.get(0))
                    .map_err(crate::db::StoreError::from)?)
            })
            .await
            .unwrap();
        assert_eq!(n, 1_000_000);
    }

    /// A read that panics leaves no handler on its pooled connection.
    #[tokio::test]
    async fn a_panicking_read_leaves_the_connection_unlimited() {
        let (_dir, db) = db_of(1);
        let limits = SearchLimits::with(1, Duration::ZERO);
        let failed = limits
            .read(&db, |_| -> ApiResult<()> { panic!("a bug in a search") })
            .await;
        assert!(failed.is_err());
        let n: i64 = db
            .read(|c| -> ApiResult<i64> {
                Ok(c.sqlite_conn()
                    .query_row(LONG, [], |r| r.get(0))
                    .map_err(crate::db::StoreError::from)?)
            })
            .await
            .unwrap();
        assert_eq!(n, 1_000_000);
    }

    #[tokio::test]
    async fn searches_wait_for_a_free_search_connection() {
        let (_dir, db) = db();
        let limits = Arc::new(SearchLimits::with(1, Duration::from_secs(3600)));
        let held = limits.hold_all().await.unwrap();
        let waiting = {
            let (limits, db) = (Arc::clone(&limits), db.clone());
            tokio::spawn(async move { limits.read(&db, |_| Ok(7)).await })
        };
        // Other reads go on meanwhile; the search cannot have run.
        for _ in 0..20 {
            assert_eq!(db.read(|_| Ok::<_, ApiError>(1)).await.unwrap(), 1);
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished());
        drop(held);
        assert_eq!(waiting.await.unwrap().unwrap(), 7);
        assert_eq!(limits.available(), 1);
    }

    #[test]
    fn search_reads_default_to_half_the_pool() {
        let db = |read_pool_size, search_reads| DatabaseConfig {
            read_pool_size,
            search_reads,
            ..DatabaseConfig::default()
        };
        assert_eq!(search_reads(&db(8, 0)), 4);
        assert_eq!(search_reads(&db(1, 0)), 1);
        assert_eq!(search_reads(&db(8, 3)), 3);
        assert_eq!(search_reads(&db(4, 9)), 4);
    }
}
