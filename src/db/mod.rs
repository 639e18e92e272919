//! Storage: one SQLite file, a pool of read connections and a single writer.
//!
//! Every database call runs off the async workers. Reads are queued to as
//! many reader threads as the read pool has connections, each running one
//! read at a time on a pooled connection ([`Db::read`]); writes are queued to one
//! writer thread ([`Db::write`]) that runs queued jobs together in one
//! `BEGIN IMMEDIATE` transaction, each job inside its own SAVEPOINT, and
//! answers every caller only after the batch committed (group commit).

pub mod backup;
mod checkpointer;
mod connection;
pub mod health;
mod ids;
pub mod lock;
pub mod migrate;
mod read;
pub mod stats;
pub mod store;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use crate::config::{Config, Synchronous};

pub use checkpointer::CheckpointStats;
use connection::apply_pragmas;
pub use connection::{
    create_private_dir, create_private_file, open_connection, STATEMENT_JOURNAL_SPILL,
};
use read::{start_readers, ReadJob};
pub use store::{Backend, JobError, Sqlite, StoreError, StoreResult, Tx};
pub use writer::{Maintenance, WriterStats};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create database file {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Migration(#[from] migrate::MigrationError),
    #[error("cannot build the read pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot start the writer thread: {0}")]
    Thread(std::io::Error),
}

/// Work a feature runs on a connection, handed to storage when the database
/// is built so that storage never imports a feature.
pub type Hook = fn(&Connection) -> rusqlite::Result<()>;

/// What features add to every connection and every write batch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hooks {
    /// Run on every connection as it opens (SQL functions).
    pub on_connect: &'static [Hook],
    /// Run inside every write batch's transaction, just before COMMIT.
    pub before_commit: &'static [Hook],
}

impl Hooks {
    /// None: for tests of storage alone.
    pub const NONE: Hooks = Hooks {
        on_connect: &[],
        before_commit: &[],
    };
}

#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
    pub read_pool_size: u32,
    /// Bytes of the file each read connection memory-maps (`mmap_size`).
    pub read_mmap_bytes: u64,
    pub hooks: Hooks,
}

impl DbOptions {
    /// The options `config` sets, with the features' `hooks`.
    pub fn from_config(config: &Config, hooks: Hooks) -> Self {
        DbOptions {
            hooks,
            synchronous: config.database.synchronous,
            busy_timeout: Duration::from_millis(config.database.busy_timeout_ms),
            read_pool_size: config.database.read_pool_size.max(1),
            read_mmap_bytes: u64::from(config.database.mmap_mib) << 20,
        }
    }
}

/// The linked SQLite's version, for the startup log.
pub fn sqlite_version() -> &'static str {
    rusqlite::version()
}

/// A cheap-to-clone handle on the database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    reads: std::sync::atomic::AtomicU64,
    path: PathBuf,
    pool: r2d2::Pool<SqliteConnectionManager>,
    readers: crossbeam_channel::Sender<ReadJob>,
    writer: writer::Writer,
    /// The checkpoint thread (`synchronous = NORMAL` only).
    checkpointer: Option<checkpointer::Checkpointer>,
    migrations: Vec<migrate::Migration>,
}

impl Db {
    /// Opens (creating when needed) the database at `path`, applies the
    /// embedded migrations and starts the writer. Blocking: call at startup.
    pub fn open(path: &Path, opts: DbOptions) -> Result<Db, DbError> {
        Self::open_with(path, opts, migrate::embedded()?)
    }

    pub fn open_with(
        path: &Path,
        opts: DbOptions,
        migrations: Vec<migrate::Migration>,
    ) -> Result<Db, DbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|source| DbError::DataDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        create_private_file(path).map_err(|source| DbError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let open_err = |source| DbError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = open_connection(path, &opts).map_err(open_err)?;
        migrate::run(&mut conn, &migrations)?;
        // Before the read pool opens, so its connections load the result.
        if let Err(e) = stats::refresh(&conn) {
            tracing::warn!(error = %e, "refreshing planner statistics failed");
        }

        let init_opts = opts;
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(move |c| {
                apply_pragmas(c, &init_opts)?;
                // A mapped page comes straight from the OS page cache, not
                // through a `pread` copy; the writer keeps using `pwrite`.
                c.execute_batch(&format!(
                    "PRAGMA mmap_size = {}; PRAGMA query_only = ON;",
                    init_opts.read_mmap_bytes
                ))
            });
        let pool = r2d2::Pool::builder()
            .max_size(opts.read_pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            // Connections load planner statistics when they open: replaced
            // after half an hour, they follow `Db::optimize`.
            .max_lifetime(Some(Duration::from_secs(30 * 60)))
            .build(manager)?;
        // The journals stay in memory through `STATEMENT_JOURNAL_SPILL`, not
        // `temp_store = MEMORY`: with that, SQLite truncates a journal at every
        // statement's end by walking it, and jobs of many statements (seeding,
        // an import, deleting a user) take quadratic time.
        // With `synchronous = NORMAL` checkpoints run on a thread of their
        // own (see `checkpointer`); with FULL the writer checkpoints itself,
        // since each commit waits for an `fsync` anyway and a second thread's
        // `fsync`s would compete with them.
        let (checkpointer, hook) = match opts.synchronous {
            Synchronous::Normal => {
                let checkpoint_conn = open_connection(path, &opts).map_err(open_err)?;
                let (c, h) = checkpointer::Checkpointer::start(checkpoint_conn, opts.busy_timeout)
                    .map_err(DbError::Thread)?;
                (Some(c), Some(h))
            }
            Synchronous::Full => (None, None),
        };
        let writer =
            writer::Writer::start(conn, hook, opts.hooks.before_commit).map_err(DbError::Thread)?;
        let readers = start_readers(&pool, opts.read_pool_size).map_err(DbError::Thread)?;
        Ok(Db {
            inner: Arc::new(Inner {
                reads: std::sync::atomic::AtomicU64::new(0),
                path: path.to_path_buf(),
                pool,
                readers,
                writer,
                checkpointer,
                migrations,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The bytes the database takes on disk: its file and its WAL.
    pub async fn size_bytes(&self) -> StoreResult<u64> {
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || {
            let wal = path.with_extension(format!(
                "{}-wal",
                path.extension().and_then(|e| e.to_str()).unwrap_or("db")
            ));
            [path, wal]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum()
        })
        .await
        .map_err(StoreError::other)
    }

    pub fn migrations(&self) -> &[migrate::Migration] {
        &self.inner.migrations
    }

    /// Queues `f` to the single writer. `f` runs inside its own SAVEPOINT of
    /// a `BEGIN IMMEDIATE` transaction: an `Err` rolls back exactly its own
    /// changes. The result arrives only after the transaction is durable.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: JobError,
    {
        self.inner.writer.submit(f).await
    }

    /// Write batches committed so far by this server's writer. A reader
    /// that notes it before reading knows its result is current while the
    /// count has not moved: a write's caller is answered only after the
    /// count includes it.
    pub fn commits_done(&self) -> u64 {
        self.inner
            .writer
            .stats()
            .committed
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Ticks after every committed write batch.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.writer.commits()
    }

    /// Changes whenever another process commits to the database.
    pub async fn data_version(&self) -> StoreResult<i64> {
        self.inner.writer.data_version().await
    }

    /// Moves the WAL back into the database and truncates it (when no reader
    /// holds an old snapshot, else as far as it can).
    pub async fn checkpoint(&self) -> StoreResult<()> {
        let gate = self.inner.checkpointer.as_ref().map(|c| c.gate());
        self.inner
            .writer
            .maintenance(Box::new(move |c| {
                // Not while the checkpoint thread runs one: SQLite would
                // answer "busy" at once instead of waiting.
                let _alone = gate.as_ref().map(|g| g.lock());
                c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            }))
            .await
    }

    /// The size of the WAL file in bytes (0 when there is none).
    pub async fn wal_size(&self) -> u64 {
        let mut wal = self.inner.path.clone().into_os_string();
        wal.push("-wal");
        tokio::task::spawn_blocking(move || std::fs::metadata(wal).map_or(0, |m| m.len()))
            .await
            .unwrap_or(0)
    }

    /// Refreshes the query planner's statistics ([`stats::refresh`]).
    pub async fn optimize(&self) -> StoreResult<()> {
        self.inner
            .writer
            .maintenance(Box::new(stats::refresh))
            .await
    }

    /// Reads waiting for a reader thread.
    pub fn reads_queued(&self) -> usize {
        self.inner.readers.len()
    }

    /// Read-pool connections (in use, idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.inner.pool.state();
        (s.connections - s.idle_connections, s.idle_connections)
    }

    /// Counters of the writer (batches, jobs), for metrics.
    pub fn writer_stats(&self) -> &WriterStats {
        self.inner.writer.stats()
    }

    /// The fault the last writes failed with, until a write succeeds again.
    pub fn storage_fault(&self) -> Option<health::StorageFault> {
        self.inner.writer.health().fault()
    }

    /// Runs `task` on the writer's connection between write batches, outside
    /// any transaction (connection settings, upkeep).
    pub async fn on_writer(&self, task: Maintenance) -> StoreResult<()> {
        self.inner.writer.maintenance(task).await
    }

    /// Checks the database answers, every migration is applied and writes
    /// are not failing; else says what is wrong.
    pub async fn ready(&self) -> StoreResult<Result<(), String>> {
        if let Some(fault) = self.storage_fault() {
            return Ok(Err(format!(
                "database writes are failing ({})",
                fault.code()
            )));
        }
        let known = self.inner.migrations.len();
        self.read(move |tx| {
            let count: i64 =
                tx.sqlite_conn()
                    .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?;
            Ok(if usize::try_from(count).is_ok_and(|n| n == known) {
                Ok(())
            } else {
                Err("migrations are not applied".to_string())
            })
        })
        .await
    }

    /// Counters of the checkpoint thread (none with `synchronous = FULL`,
    /// where the writer checkpoints), for metrics.
    pub fn checkpoint_stats(&self) -> Option<&CheckpointStats> {
        self.inner.checkpointer.as_ref().map(|c| c.stats())
    }

    /// Stops the checkpoint thread, then the writer after the queued jobs;
    /// the writer refreshes the planner's statistics and checkpoints the
    /// WAL into the database file.
    pub fn close(&self) {
        if let Some(c) = &self.inner.checkpointer {
            c.shutdown();
        }
        self.inner.writer.shutdown();
    }
}

#[cfg(test)]
mod tests;
