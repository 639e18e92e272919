//! All SQL for the outbox (events are recorded through `outbox::record`).

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::ApiResult;

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub occurred_at: String,
    pub data: String,
}

impl EventRow {
    /// The envelope `{id, type, occurred_at, data}` as JSON text.
    pub fn envelope(&self) -> String {
        let data: serde_json::Value =
            serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "id": self.id,
            "type": self.kind,
            "occurred_at": self.occurred_at,
            "data": data,
        })
        .to_string()
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        kind: r.get(2)?,
        occurred_at: r.get(3)?,
        data: r.get(4)?,
    })
}

/// Stores one event; `outbox::record` picks its id and time.
pub fn insert(
    conn: &Connection,
    id: &str,
    kind: &str,
    occurred_at: &str,
    data: &str,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO events (id, type, occurred_at, data) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, kind, occurred_at, data])?;
    Ok(())
}

pub fn after(conn: &Connection, seq: i64, limit: u32) -> ApiResult<Vec<EventRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, type, occurred_at, data FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![seq, i64::from(limit)], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn seq_of(conn: &Connection, id: &str) -> ApiResult<Option<i64>> {
    Ok(conn
        .query_row("SELECT seq FROM events WHERE id = ?1", [id], |r| r.get(0))
        .optional()?)
}

pub fn max_seq(conn: &Connection) -> ApiResult<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(seq), 0) FROM events")?
        .query_row([], |r| r.get(0))?)
}

pub fn by_id(conn: &Connection, id: &str) -> ApiResult<Option<EventRow>> {
    Ok(conn
        .query_row(
            "SELECT seq, id, type, occurred_at, data FROM events WHERE id = ?1",
            [id],
            row,
        )
        .optional()?)
}

/// Deletes events and delivery records older than `cutoff`; returns counts.
/// Is anything older than `cutoff` left for [`delete_before`]?
pub fn any_before(conn: &Connection, cutoff: &str) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM events WHERE occurred_at < ?1)
             OR EXISTS (SELECT 1 FROM webhook_deliveries
                         WHERE created_at < ?1 AND status <> 'pending')",
        [cutoff],
        |r| r.get(0),
    )?)
}

pub fn delete_before(conn: &Connection, cutoff: &str) -> ApiResult<(usize, usize)> {
    let events = conn.execute("DELETE FROM events WHERE occurred_at < ?1", [cutoff])?;
    let deliveries = conn.execute(
        "DELETE FROM webhook_deliveries WHERE created_at < ?1 AND status <> 'pending'",
        [cutoff],
    )?;
    Ok((events, deliveries))
}

pub fn pending_count(conn: &Connection) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'",
        [],
        |r| r.get(0),
    )?)
}
