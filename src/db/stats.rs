//! The query planner's statistics (`sqlite_stat1`, `sqlite_stat4`).
//!
//! `PRAGMA optimize` analyzes a table once it has changed enough, so a
//! database that was small when it last ran keeps statistics that describe
//! tables of a few rows. Folio's tables grow fast (the event log by one row
//! per write), and every connection fixes its plans when it prepares a
//! statement (the planner stability guarantee, see `apply_pragmas`), so a
//! plan chosen for a one-row `events` table would stay in use as it grows: a
//! full scan and a sort on every commit where a rowid seek would do.
//!
//! So statistics are kept only for tables of at least [`MIN_ROWS`] rows;
//! smaller tables are planned as SQLite plans a table it knows nothing about
//! (as if large), which is also how a fresh database is planned.

use rusqlite::Connection;

/// Tables with fewer rows than this get no statistics.
pub const MIN_ROWS: i64 = 1_000;

/// How many index entries `ANALYZE` looks at per index (SQLite suggests
/// 100–1000): a bounded cost even at millions of rows.
const ANALYSIS_LIMIT: u32 = 1_000;

/// Runs `PRAGMA optimize` over every table (re-analyzing those that grew or
/// shrank a lot), then drops the statistics of small tables. Run on the
/// writer's connection, outside a transaction: at start-up, periodically and
/// at shutdown. Other connections load statistics when they open; the read
/// pool retires its connections hourly (see `Db::open_with`).
pub fn refresh(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA analysis_limit = {ANALYSIS_LIMIT}; PRAGMA optimize = 0x10002;"
    ))?;
    forget_small_tables(conn)?;
    Ok(())
}

/// Deletes the statistics of tables under [`MIN_ROWS`] rows and makes this
/// connection reload them; returns how many tables lost theirs.
pub fn forget_small_tables(conn: &Connection) -> rusqlite::Result<usize> {
    if !table_exists(conn, "sqlite_stat1")? {
        return Ok(0);
    }
    // The first number of `stat` is the table's row count when analyzed.
    let small: Vec<String> = conn
        .prepare(
            "SELECT DISTINCT tbl FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < ?1 ORDER BY tbl",
        )?
        .query_map([MIN_ROWS], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if small.is_empty() {
        return Ok(0);
    }
    let list = serde_json::to_string(&small)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "DELETE FROM sqlite_stat1 WHERE tbl IN (SELECT value FROM json_each(?1))",
        [&list],
    )?;
    if table_exists(&tx, "sqlite_stat4")? {
        tx.execute(
            "DELETE FROM sqlite_stat4 WHERE tbl IN (SELECT value FROM json_each(?1))",
            [&list],
        )?;
    }
    tx.commit()?;
    // Statistics are read with the schema: this reloads them here.
    conn.execute_batch("ANALYZE sqlite_schema;")?;
    tracing::debug!(tables = ?small, "dropped planner statistics of small tables");
    Ok(small.len())
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)",
        [name],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::db::{open_connection, DbOptions};

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.join("; ")
    }

    /// Statistics taken while the event log had one row made the "events
    /// after" query a full scan and sort; without them it is a rowid seek,
    /// for this connection and for every connection opened later. A large
    /// table keeps its statistics.
    #[test]
    fn small_tables_lose_their_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let opts = DbOptions::from_config(&Config::default(), crate::db::Hooks::NONE);
        let conn = open_connection(&path, &opts).unwrap();
        conn.execute_batch(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                                  occurred_at TEXT NOT NULL, data TEXT NOT NULL);
             CREATE INDEX events_occurred_at ON events (occurred_at);
             INSERT INTO events (id, occurred_at, data) VALUES ('e', '2026', '{}');
             CREATE TABLE big (k INTEGER);
             CREATE INDEX big_k ON big (k);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO big SELECT i % 10 FROM n;
             ANALYZE;",
        )
        .unwrap();
        let after = "SELECT seq, data FROM events WHERE seq > 5 ORDER BY seq LIMIT 500";
        assert!(
            plan(&conn, after).contains("SCAN events"),
            "{}",
            plan(&conn, after)
        );
        assert_eq!(forget_small_tables(&conn).unwrap(), 1);
        for c in [&conn, &open_connection(&path, &opts).unwrap()] {
            let p = plan(c, after);
            assert!(p.contains("SEARCH events USING INTEGER PRIMARY KEY"), "{p}");
        }
        let kept: Vec<String> = conn
            .prepare("SELECT DISTINCT tbl FROM sqlite_stat1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, ["big"]);
        // Nothing left to drop; a database never analyzed has nothing at all.
        assert_eq!(forget_small_tables(&conn).unwrap(), 0);
        let fresh = open_connection(&dir.path().join("fresh.db"), &opts).unwrap();
        refresh(&fresh).unwrap();
    }
}
