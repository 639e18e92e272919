//! The events repo on SQLite.

use rusqlite::{params, OptionalExtension};

use super::{EventRow, EventsRepo};
use crate::db::{Sqlite, StoreResult};
use crate::ids::EventId;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        occurred_at: r.get(3)?,
        data: r.get(4)?,
    })
}

impl EventsRepo for Sqlite<'_> {
    fn insert(
        &mut self,
        id: &EventId,
        kind: &str,
        occurred_at: &str,
        data: &str,
    ) -> StoreResult<()> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO events (id, type, occurred_at, data) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, kind, occurred_at, data])?;
        Ok(())
    }

    fn after(&mut self, seq: i64, limit: u32) -> StoreResult<Vec<EventRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, type, occurred_at, data FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, i64::from(limit)], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn seq_of(&mut self, id: &EventId) -> StoreResult<Option<i64>> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT seq FROM events WHERE id = ?1", [id], |r| r.get(0))
            .optional()?)
    }

    fn max_seq(&mut self) -> StoreResult<i64> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM events")?
            .query_row([], |r| r.get(0))?)
    }

    fn by_id(&mut self, id: &EventId) -> StoreResult<Option<EventRow>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT seq, id, type, occurred_at, data FROM events WHERE id = ?1",
                [id],
                row,
            )
            .optional()?)
    }

    fn any_before(&mut self, cutoff: &str) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE occurred_at < ?1)
             OR EXISTS (SELECT 1 FROM webhook_deliveries
                         WHERE created_at < ?1 AND status <> 'pending')",
            [cutoff],
            |r| r.get(0),
        )?)
    }

    fn delete_before(&mut self, cutoff: &str) -> StoreResult<(usize, usize)> {
        let conn = self.conn();
        let events = conn.execute("DELETE FROM events WHERE occurred_at < ?1", [cutoff])?;
        let deliveries = conn.execute(
            "DELETE FROM webhook_deliveries WHERE created_at < ?1 AND status <> 'pending'",
            [cutoff],
        )?;
        Ok((events, deliveries))
    }

    fn pending_count(&mut self) -> StoreResult<i64> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }
}
