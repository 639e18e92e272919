//! Opening a connection: private files and directories, and the pragmas
//! every connection gets.

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};

use super::DbOptions;

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

pub(super) fn apply_pragmas(conn: &Connection, opts: &DbOptions) -> rusqlite::Result<()> {
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
    for hook in opts.hooks.on_connect {
        hook(conn)?;
    }
    Ok(())
}

/// How large a statement or savepoint undo journal may grow in memory before
/// SQLite moves it to a temporary file (its default is 64 KiB).
///
/// Each write job runs in a SAVEPOINT whose journal holds every page the job
/// changes (about 15 for a post), so at this size a create's stays in memory
/// rather than going to a temporary file. Not larger: from 192 KiB on,
/// indexing a 20,000-post seed batch fails with "database or disk is full"
/// (a test seeds such a batch). The bundled SQLite is built with it
/// (`SQLITE_STMTJRNL_SPILL` in `.cargo/config.toml`); a test checks the two
/// agree.
pub const STATEMENT_JOURNAL_SPILL: i32 = 128 * 1024;

/// Opens a read-write connection with Folio's pragmas (used by the writer,
/// the CLI and tests).
pub fn open_connection(path: &Path, opts: &DbOptions) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    apply_pragmas(&conn, opts)?;
    Ok(conn)
}
