//! All SQL for webhooks, their deliveries and attempts.

use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::ApiResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i64,
    pub created_at: String,
    pub updated_at: String,
}

const HOOK_COLUMNS: &str =
    "id, url, events, secret, enabled, consecutive_failures, created_at, updated_at";

fn hook(r: &Row<'_>) -> rusqlite::Result<Webhook> {
    let events: String = r.get(2)?;
    Ok(Webhook {
        id: r.get(0)?,
        url: r.get(1)?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        secret: r.get(3)?,
        enabled: r.get(4)?,
        consecutive_failures: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

pub fn insert(
    conn: &Connection,
    id: &str,
    url: &str,
    events: &[String],
    secret: &str,
) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO webhooks (id, url, events, secret) VALUES (?1, ?2, ?3, ?4)",
        params![
            id,
            url,
            serde_json::to_string(events).unwrap_or_default(),
            secret
        ],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> ApiResult<Option<Webhook>> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], hook).optional()?)
}

pub fn list(conn: &Connection) -> ApiResult<Vec<Webhook>> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY created_at DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], hook)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn update(
    conn: &Connection,
    id: &str,
    url: Option<&str>,
    events: Option<&[String]>,
    enabled: Option<bool>,
) -> ApiResult<()> {
    let events = events.map(|e| serde_json::to_string(e).unwrap_or_default());
    conn.execute(
        "UPDATE webhooks SET url = coalesce(?2, url), events = coalesce(?3, events),
            enabled = coalesce(?4, enabled),
            consecutive_failures = CASE WHEN ?4 = 1 THEN 0 ELSE consecutive_failures END,
            updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?1",
        params![id, url, events, enabled],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM webhooks WHERE id = ?1", [id])? > 0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, event_type, payload, status, attempts,
    last_response_code, last_error, next_attempt_at, created_at, delivered_at";

fn delivery(r: &Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        id: r.get(0)?,
        webhook_id: r.get(1)?,
        event_id: r.get(2)?,
        event_type: r.get(3)?,
        payload: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        last_response_code: r.get(7)?,
        last_error: r.get(8)?,
        next_attempt_at: r.get(9)?,
        created_at: r.get(10)?,
        delivered_at: r.get(11)?,
    })
}

/// Queues a delivery unless one exists for (webhook, event).
pub fn enqueue(
    conn: &Connection,
    webhook_id: &str,
    event_id: &str,
    event_type: &str,
    payload: &str,
) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        crate::users::model::new_id(),
        webhook_id,
        event_id,
        event_type,
        payload,
        crate::clock::now_string()
    ])?;
    Ok(())
}

/// Deliveries due now, oldest first, of enabled webhooks only: a disabled
/// webhook's stay `pending` until it is enabled again, and never take the
/// slots of the webhooks that are enabled.
pub fn due(conn: &Connection, limit: u32) -> ApiResult<Vec<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ?1
           AND webhook_id IN (SELECT id FROM webhooks WHERE enabled = 1)
         ORDER BY next_attempt_at LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![crate::clock::now_string(), i64::from(limit)],
        delivery,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn list_deliveries(
    conn: &Connection,
    webhook_id: &str,
    limit: u32,
    offset: u64,
) -> ApiResult<(Vec<Delivery>, u64)> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?1
         ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt
        .query_map(
            params![webhook_id, i64::from(limit), offset as i64],
            delivery,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?1",
        [webhook_id],
        |r| r.get(0),
    )?;
    Ok((rows, total as u64))
}

pub fn get_delivery(conn: &Connection, webhook_id: &str, id: &str) -> ApiResult<Option<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?1 AND id = ?2"
    );
    Ok(conn
        .query_row(&sql, [webhook_id, id], delivery)
        .optional()?)
}

/// Records one attempt and the delivery's new state.
#[allow(clippy::too_many_arguments)]
pub fn record_attempt(
    conn: &Connection,
    delivery_id: &str,
    webhook_id: &str,
    code: Option<u16>,
    error: Option<&str>,
    duration_ms: u64,
    next_attempt_at: Option<&str>,
    final_failure: bool,
    disable_after: u32,
) -> ApiResult<bool> {
    let now = crate::clock::now_string();
    let ok = error.is_none() && code.is_some_and(|c| (200..300).contains(&c));
    conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_code, error, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![delivery_id, now, code, error, duration_ms as i64],
    )?;
    let status = if ok {
        "delivered"
    } else if final_failure {
        "failed"
    } else {
        "pending"
    };
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?2,
            last_response_code = ?3, last_error = ?4, next_attempt_at = ?5,
            delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
         WHERE id = ?1",
        params![delivery_id, status, code, error, next_attempt_at, now],
    )?;
    let mut disabled = false;
    if ok {
        conn.execute(
            "UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?1",
            [webhook_id],
        )?;
    } else {
        conn.execute(
            "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1",
            [webhook_id],
        )?;
        disabled = conn.execute(
            "UPDATE webhooks SET enabled = 0, updated_at = ?3
             WHERE id = ?1 AND enabled = 1 AND consecutive_failures >= ?2",
            params![webhook_id, i64::from(disable_after), now],
        )? > 0;
    }
    Ok(disabled)
}

/// Queues a delivery again from now.
pub fn requeue(conn: &Connection, id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1",
        params![id, crate::clock::now_string()],
    )?;
    Ok(())
}

pub fn dispatcher_seq(conn: &Connection) -> ApiResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT last_seq FROM dispatcher_state WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// Is any webhook enabled?
pub fn any_enabled(conn: &Connection) -> ApiResult<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1)")?
        .query_row([], |r| r.get(0))?)
}

/// Before a webhook is created or enabled: when none is enabled, the events
/// so far are nobody's, so the dispatcher starts from the newest one. (With
/// no enabled webhook the dispatcher does not advance its position: that
/// would be a write transaction after every change, for nobody.)
pub fn skip_to_head_if_idle(conn: &Connection) -> ApiResult<()> {
    if !any_enabled(conn)? {
        let head = crate::db::Tx::sqlite(conn).events().max_seq()?;
        set_dispatcher_seq(conn, head)?;
    }
    Ok(())
}

pub fn set_dispatcher_seq(conn: &Connection, seq: i64) -> ApiResult<()> {
    conn.execute(
        "INSERT INTO dispatcher_state (id, last_seq) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq",
        [seq],
    )?;
    Ok(())
}

/// Deliveries by outcome, for metrics.
pub fn outcome_counts(conn: &Connection) -> ApiResult<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
