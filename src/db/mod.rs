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
pub mod health;
pub mod lock;
pub mod migrate;
pub mod stats;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use crate::config::{Config, Synchronous};
use crate::error::{ApiError, ApiResult};

pub use checkpointer::CheckpointStats;
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

#[derive(Debug, Clone, Copy)]
pub struct DbOptions {
    pub synchronous: Synchronous,
    pub busy_timeout: Duration,
    pub read_pool_size: u32,
    /// Bytes of the file each read connection memory-maps (`mmap_size`).
    pub read_mmap_bytes: u64,
}

impl DbOptions {
    pub fn from_config(config: &Config) -> Self {
        DbOptions {
            synchronous: config.database.synchronous,
            busy_timeout: Duration::from_millis(config.database.busy_timeout_ms),
            read_pool_size: config.database.read_pool_size.max(1),
            read_mmap_bytes: u64::from(config.database.mmap_mib) << 20,
        }
    }
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

/// A read queued to the reader threads ([`Db::read`]).
type ReadJob = Box<dyn FnOnce(&r2d2::Pool<SqliteConnectionManager>) + Send>;

/// Starts `count` threads that run queued reads, each on a pooled connection.
///
/// One thread per connection: no read waits for a connection, a busy thread
/// takes the next queued read without sleeping, and the thread count stays
/// fixed. Reads beyond the threads wait in the queue.
fn start_readers(
    pool: &r2d2::Pool<SqliteConnectionManager>,
    count: u32,
) -> std::io::Result<crossbeam_channel::Sender<ReadJob>> {
    let (tx, rx) = crossbeam_channel::unbounded::<ReadJob>();
    for n in 0..count.max(1) {
        let (rx, pool) = (rx.clone(), pool.clone());
        std::thread::Builder::new()
            .name(format!("folio-read-{n}"))
            .spawn(move || {
                // Ends when the last `Db` handle (the sender) is gone.
                while let Ok(job) = rx.recv() {
                    let run = std::panic::AssertUnwindSafe(|| job(&pool));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("a database read panicked");
                    }
                }
            })?;
    }
    Ok(tx)
}

/// Creates `dir` (and parents) with mode 0700 when it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Creates an empty file with mode 0600 unless it already exists.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn apply_pragmas(conn: &Connection, opts: &DbOptions) -> rusqlite::Result<()> {
    conn.busy_timeout(opts.busy_timeout)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "could not switch the database to WAL mode");
    }
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA journal_size_limit = 67108864;",
        opts.synchronous.pragma()
    ))?;
    // The query planner stability guarantee: plans never depend on bound
    // values, so a cached statement with a bound `LIMIT` (or a value
    // `sqlite_stat4` could estimate) is not re-prepared on every bind.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    crate::posts::search::rank::register(conn)
}

/// How large a statement or savepoint undo journal may grow in memory before
/// SQLite moves it to a temporary file (its default is 64 KiB).
///
/// Each write job runs in a SAVEPOINT whose journal holds every page the job
/// changes (about 15 for a post), so at this size a create's stays in memory
/// rather than going to a temporary file. Not larger: from 192 KiB on,
/// indexing a 20,000-post seed batch fails with "database or disk is full"
/// (a test seeds such a batch).
pub const STATEMENT_JOURNAL_SPILL: i32 = 128 * 1024;

/// Process-wide SQLite settings, applied before SQLite initializes (the
/// first connection); later calls do nothing.
#[allow(unsafe_code)]
pub fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called with an option that takes one int,
        // once, before this process opens any connection through Folio. Had
        // SQLite initialized already (a connection opened elsewhere), it
        // returns SQLITE_MISUSE and changes nothing.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_STMTJRNL_SPILL,
                STATEMENT_JOURNAL_SPILL,
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite was initialized already: statement journal spill size unchanged"
            );
        }
    });
}

/// Opens a read-write connection with Folio's pragmas (used by the writer,
/// the CLI and tests).
pub fn open_connection(path: &Path, opts: &DbOptions) -> rusqlite::Result<Connection> {
    configure_sqlite();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    apply_pragmas(&conn, opts)?;
    Ok(conn)
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
        let writer = writer::Writer::start(conn, hook).map_err(DbError::Thread)?;
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

    pub fn migrations(&self) -> &[migrate::Migration] {
        &self.inner.migrations
    }

    /// Runs `f` with a read-only pooled connection on a reader thread.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.inner
            .reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: ReadJob = Box::new(move |pool| {
            // Its request is gone (the client hung up while the read was
            // queued): nobody to answer, so no work to do.
            if reply.is_closed() {
                return;
            }
            let result = match pool.get() {
                Ok(conn) => f(&conn),
                Err(e) => Err(ApiError::internal(e)),
            };
            // The caller may have gone meanwhile: nobody to answer.
            let _ = reply.send(result);
        });
        self.inner
            .readers
            .send(job)
            .map_err(|_| ApiError::internal("the database read threads have stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("a database read failed without an answer"))?
    }

    /// How many read jobs ran so far (tests count round trips with it).
    pub fn reads(&self) -> u64 {
        self.inner.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Like [`Db::read`] but blocking, for CLI commands and startup work.
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> ApiResult<T>) -> ApiResult<T> {
        let conn = self.inner.pool.get().map_err(ApiError::internal)?;
        f(&conn)
    }

    /// Queues `f` to the single writer. `f` runs inside its own SAVEPOINT of
    /// a `BEGIN IMMEDIATE` transaction: an `Err` rolls back exactly its own
    /// changes. The result arrives only after the transaction is durable.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
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
    pub async fn data_version(&self) -> ApiResult<i64> {
        self.inner.writer.data_version().await
    }

    /// Moves the WAL back into the database and truncates it (when no reader
    /// holds an old snapshot, else as far as it can).
    pub async fn checkpoint(&self) -> ApiResult<()> {
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
    pub async fn optimize(&self) -> ApiResult<()> {
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
    pub async fn on_writer(&self, task: Maintenance) -> ApiResult<()> {
        self.inner.writer.maintenance(task).await
    }

    /// Checks the database answers, every migration is applied and writes
    /// are not failing.
    pub async fn ready(&self) -> ApiResult<()> {
        if let Some(fault) = self.storage_fault() {
            return Err(ApiError::NotReady(format!(
                "database writes are failing ({})",
                fault.code()
            )));
        }
        let known = self.inner.migrations.len();
        self.read(move |c| {
            let count: i64 =
                c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?;
            if usize::try_from(count).is_ok_and(|n| n == known) {
                Ok(())
            } else {
                Err(ApiError::NotReady("migrations are not applied".into()))
            }
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
mod tests {
    use super::*;
    use rusqlite::StatementStatus;
    use std::sync::atomic::Ordering;

    /// The bundled SQLite is built with `.cargo/config.toml`'s flags: each
    /// connection's page cache is its own (no global mutex on every page
    /// fetch, which serialised parallel readers), and allocations keep no
    /// statistics behind a global mutex.
    #[test]
    fn sqlite_is_built_for_parallel_readers() {
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }

    /// SQLite 3.7.0 through 3.51.2 have the WAL-reset bug (a checkpoint
    /// racing a WAL reset can corrupt the file); Folio's writer, checkpointer,
    /// readers and CLI processes share one file in exactly that pattern.
    #[test]
    fn sqlite_is_past_the_wal_reset_bug() {
        assert!(
            rusqlite::version_number() >= 3_051_003,
            "linked SQLite {} is older than 3.51.3",
            rusqlite::version()
        );
    }

    /// `database.mmap_mib` maps that much of the file on every read
    /// connection, and only there; by default nothing is mapped.
    #[test]
    fn read_connections_map_what_the_config_says() {
        let dir = tempfile::tempdir().unwrap();
        let mmap = |c: &Connection| -> ApiResult<i64> {
            Ok(c.query_row("PRAGMA mmap_size", [], |r| r.get(0))?)
        };
        let mut config = Config::default();
        let db = Db::open(&dir.path().join("a.db"), DbOptions::from_config(&config)).unwrap();
        assert_eq!(db.read_blocking(mmap).unwrap(), 0);
        config.database.mmap_mib = 64;
        let db = Db::open(&dir.path().join("b.db"), DbOptions::from_config(&config)).unwrap();
        assert_eq!(db.read_blocking(mmap).unwrap(), 64 << 20);
        let writer = open_connection(&dir.path().join("b.db"), &DbOptions::from_config(&config));
        assert_eq!(mmap(&writer.unwrap()).unwrap(), 0);
    }

    /// Writes `batches` write jobs one after another, each adding `rows`
    /// rows of about a page each, and returns the WAL's largest size seen.
    async fn write_pages(db: &Db, batches: usize, rows: usize) -> u64 {
        db.write(|c| {
            c.execute_batch("CREATE TABLE IF NOT EXISTS pages (body BLOB NOT NULL)")?;
            Ok(())
        })
        .await
        .unwrap();
        let mut largest = 0;
        for _ in 0..batches {
            db.write(move |c| {
                let mut insert = c.prepare_cached("INSERT INTO pages VALUES (randomblob(3900))")?;
                for _ in 0..rows {
                    insert.execute([])?;
                }
                Ok(())
            })
            .await
            .unwrap();
            largest = largest.max(db.wal_size().await);
        }
        largest
    }

    /// A database in a new directory with `synchronous = NORMAL` (so with a
    /// checkpoint thread), its path and its options.
    fn open_normal() -> (tempfile::TempDir, std::path::PathBuf, DbOptions, Db) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.db");
        let mut config = Config::default();
        config.database.synchronous = Synchronous::Normal;
        let opts = DbOptions::from_config(&config);
        let db = Db::open(&path, opts).unwrap();
        (dir, path, opts, db)
    }

    /// With `synchronous = NORMAL` the checkpoint thread copies the WAL into
    /// the database while the writer goes on; the writer finishes each round
    /// so the WAL restarts instead of growing (8,000 pages would be ~33 MB
    /// of WAL), a TRUNCATE checkpoint still works beside the thread, and
    /// nothing is lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn normal_checkpoints_on_their_own_thread_and_the_wal_restarts() {
        let (_dir, path, opts, db) = open_normal();
        let largest = write_pages(&db, 80, 100).await;
        let stats = db.checkpoint_stats().expect("a checkpoint thread");
        assert!(stats.runs.load(Ordering::Relaxed) > 0);
        assert!(stats.frames.load(Ordering::Relaxed) > 0);
        assert!(stats.finishes.load(Ordering::Relaxed) > 0);
        assert!(largest < 24 << 20, "the WAL grew to {largest} bytes");
        db.checkpoint().await.unwrap();
        assert_eq!(db.wal_size().await, 0);
        let rows = db
            .read(|c| Ok(c.query_row("SELECT count(*) FROM pages", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(rows, 8000);
        db.close();
        let conn = open_connection(&path, &opts).unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 8000);
    }

    /// A reader that keeps an old snapshot open stops every checkpoint short
    /// of the WAL's end. Past ~16 MiB the writer tries to finish the round
    /// anyway, waiting 2 ms for readers; while they stay, it tries again
    /// after 5, 10, 20, 40, then every 80 ms, not after every batch.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reader_that_stays_does_not_make_every_batch_wait() {
        let (_dir, path, opts, db) = open_normal();
        write_pages(&db, 1, 10).await;
        let reader = open_connection(&path, &opts).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let seen: i64 = reader
            .query_row("SELECT count(*) FROM pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(seen, 10);
        let started = std::time::Instant::now();
        write_pages(&db, 70, 100).await;
        let elapsed = started.elapsed();
        let stats = db.checkpoint_stats().expect("a checkpoint thread");
        let waits = stats.finish_waits.load(Ordering::Relaxed);
        assert!(waits > 0, "the writer never tried to finish past 16 MiB");
        let bound = 6 + elapsed.as_millis() as u64 / 80;
        assert!(waits <= bound, "{waits} finishes waited in {elapsed:?}");
        reader.execute_batch("COMMIT").unwrap();
        db.close();
    }

    /// With `synchronous = FULL` (the default) the writer checkpoints as
    /// SQLite does by itself, and the WAL restarts every ~1,000 pages.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn full_checkpoints_on_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::default();
        assert_eq!(config.database.synchronous, Synchronous::Full);
        let db = Db::open(&dir.path().join("f.db"), DbOptions::from_config(&config)).unwrap();
        assert!(db.checkpoint_stats().is_none());
        let largest = write_pages(&db, 30, 100).await;
        assert!(largest < 8 << 20, "the WAL grew to {largest} bytes");
    }

    fn pool_of(size: u32) -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.database.read_pool_size = size;
        let db = Db::open(&dir.path().join("t.db"), DbOptions::from_config(&config)).unwrap();
        (dir, db)
    }

    /// As many reads run at once as the pool has connections: each of them
    /// waits at a barrier until all have arrived.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_run_on_every_connection_at_once() {
        let (_dir, db) = pool_of(3);
        let barrier = Arc::new(std::sync::Barrier::new(3));
        let reads = (0..3).map(|_| {
            let barrier = barrier.clone();
            db.read(move |c| {
                barrier.wait();
                Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)
            })
        });
        let all = futures::future::try_join_all(reads);
        let done = tokio::time::timeout(Duration::from_secs(10), all).await;
        assert_eq!(
            done.expect("reads ran one after another").unwrap(),
            [1, 1, 1]
        );
    }

    /// More reads than connections queue and all succeed; a read that
    /// panics fails alone, and its thread goes on to serve the next ones.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_queue_and_survive_a_panicking_read() {
        let (_dir, db) = pool_of(1);
        let panicked = db
            .read(|_| -> ApiResult<()> { panic!("a read that panics") })
            .await;
        assert!(
            matches!(panicked, Err(ApiError::Internal(_))),
            "{panicked:?}"
        );
        let reads = (0..20i64).map(|i| {
            db.read(move |c| {
                std::thread::sleep(Duration::from_millis(2));
                Ok(c.query_row("SELECT ?1", [i], |r| r.get::<_, i64>(0))?)
            })
        });
        let got = futures::future::try_join_all(reads).await.unwrap();
        assert_eq!(got, (0..20).collect::<Vec<_>>());
    }

    /// A read queued behind a busy reader and dropped by its caller (a
    /// client that hung up) never runs; the queue length is what
    /// `folio_db_reads_queued` exports.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_whose_caller_is_gone_does_not_run() {
        let (_dir, db) = pool_of(1);
        let (started_tx, started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let db = db.clone();
            async move {
                db.read(move |_| {
                    let _ = started_tx.send(());
                    let _ = released.recv_timeout(Duration::from_secs(10));
                    Ok(())
                })
                .await
            }
        });
        started.recv_timeout(Duration::from_secs(10)).unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let dropped = tokio::spawn({
            let db = db.clone();
            async move {
                db.read(move |_| {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                })
                .await
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while db.reads_queued() == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(db.reads_queued(), 1);
        dropped.abort();
        assert!(dropped.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        // The reader has taken the dropped read off the queue by the time a
        // later read is answered.
        db.read(|_| Ok(())).await.unwrap();
        assert_eq!(db.reads_queued(), 0);
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    }

    /// A cached statement with a bound `LIMIT` and `OFFSET`, over a table
    /// with `sqlite_stat4` samples, runs again without being re-prepared.
    #[test]
    fn bound_values_do_not_reprepare_statements() {
        let dir = tempfile::tempdir().unwrap();
        let opts = DbOptions::from_config(&Config::default());
        let conn = open_connection(&dir.path().join("t.db"), &opts).unwrap();
        conn.execute_batch(
            "CREATE TABLE t (k INTEGER, v TEXT);
             CREATE INDEX t_k ON t (k);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
             INSERT INTO t SELECT i % 7, 'x' || i FROM n;
             ANALYZE;",
        )
        .unwrap();
        let sql = "SELECT v FROM t WHERE k = ?1 ORDER BY v LIMIT ?2 OFFSET ?3";
        for (k, limit, offset) in [(1, 5, 0), (2, 7, 3), (3, 2, 10)] {
            let mut stmt = conn.prepare_cached(sql).unwrap();
            let rows: Vec<String> = stmt
                .query_map((k, limit, offset), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows.len(), limit as usize);
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
        }
    }
}
