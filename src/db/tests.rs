use super::*;
use rusqlite::StatementStatus;
use std::sync::atomic::Ordering;

/// The bundled SQLite's `PRAGMA compile_options`.
fn compile_options() -> Vec<String> {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
    let options = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    options
}

/// The bundled SQLite is built with `.cargo/config.toml`'s flags: each
/// connection's page cache is its own (no global mutex on every page
/// fetch, which serialised parallel readers), and allocations keep no
/// statistics behind a global mutex.
#[test]
fn sqlite_is_built_for_parallel_readers() {
    let options = compile_options();
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

/// `.cargo/config.toml` builds SQLite with Folio's statement journal
/// spill size, so every connection (the CLI's and tests' too) has it.
#[test]
fn sqlite_spills_statement_journals_at_folio_s_size() {
    let options = compile_options();
    let wanted = format!("STMTJRNL_SPILL={STATEMENT_JOURNAL_SPILL}");
    assert!(options.contains(&wanted), "{wanted} not in {options:?}");
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
    let mmap = |c: &mut Tx<'_>| -> StoreResult<i64> {
        Ok(c.sqlite_conn()
            .query_row("PRAGMA mmap_size", [], |r| r.get(0))?)
    };
    let mut config = Config::default();
    let db = Db::open(
        &dir.path().join("a.db"),
        DbOptions::from_config(&config, crate::db::Hooks::NONE),
    )
    .unwrap();
    assert_eq!(db.read_blocking(mmap).unwrap(), 0);
    config.database.mmap_mib = 64;
    let db = Db::open(
        &dir.path().join("b.db"),
        DbOptions::from_config(&config, crate::db::Hooks::NONE),
    )
    .unwrap();
    assert_eq!(db.read_blocking(mmap).unwrap(), 64 << 20);
    let writer = open_connection(
        &dir.path().join("b.db"),
        &DbOptions::from_config(&config, crate::db::Hooks::NONE),
    );
    assert_eq!(mmap(&mut Tx::sqlite(&writer.unwrap())).unwrap(), 0);
}

/// Writes `batches` write jobs one after another, each adding `rows`
/// rows of about a page each, and returns the WAL's largest size seen.
async fn write_pages(db: &Db, batches: usize, rows: usize) -> u64 {
    db.write(|c| -> StoreResult<_> {
        c.sqlite_conn()
            .execute_batch("CREATE TABLE IF NOT EXISTS pages (body BLOB NOT NULL)")?;
        Ok(())
    })
    .await
    .unwrap();
    let mut largest = 0;
    for _ in 0..batches {
        db.write(move |c| -> StoreResult<_> {
            let mut insert = c
                .sqlite_conn()
                .prepare_cached("INSERT INTO pages VALUES (randomblob(3900))")?;
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
    let opts = DbOptions::from_config(&config, crate::db::Hooks::NONE);
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
        .read(|c| -> StoreResult<_> {
            Ok(c.sqlite_conn()
                .query_row("SELECT count(*) FROM pages", [], |r| r.get::<_, i64>(0))?)
        })
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
    let db = Db::open(
        &dir.path().join("f.db"),
        DbOptions::from_config(&config, crate::db::Hooks::NONE),
    )
    .unwrap();
    assert!(db.checkpoint_stats().is_none());
    let largest = write_pages(&db, 30, 100).await;
    assert!(largest < 8 << 20, "the WAL grew to {largest} bytes");
}

fn pool_of(size: u32) -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database.read_pool_size = size;
    let db = Db::open(
        &dir.path().join("t.db"),
        DbOptions::from_config(&config, crate::db::Hooks::NONE),
    )
    .unwrap();
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
        db.read(move |c| -> StoreResult<_> {
            barrier.wait();
            Ok(c.sqlite_conn()
                .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)
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
        .read(|_| -> StoreResult<()> { panic!("a read that panics") })
        .await;
    assert!(
        matches!(panicked, Err(StoreError::Other(_))),
        "{panicked:?}"
    );
    let reads = (0..20i64).map(|i| {
        db.read(move |c| -> StoreResult<_> {
            std::thread::sleep(Duration::from_millis(2));
            Ok(c.sqlite_conn()
                .query_row("SELECT ?1", [i], |r| r.get::<_, i64>(0))?)
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
            db.read(move |_| -> StoreResult<_> {
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
            db.read(move |_| -> StoreResult<_> {
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
    db.read(|_| Ok::<_, StoreError>(())).await.unwrap();
    assert_eq!(db.reads_queued(), 0);
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}

/// A cached statement with a bound `LIMIT` and `OFFSET`, over a table
/// with `sqlite_stat4` samples, runs again without being re-prepared.
#[test]
fn bound_values_do_not_reprepare_statements() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DbOptions::from_config(&Config::default(), crate::db::Hooks::NONE);
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
