//! The webhooks repo on SQLite.

use rusqlite::{params, OptionalExtension, Row};

use super::{Attempt, Delivery, Webhook, WebhooksRepo};
use crate::db::{Sqlite, StoreResult};

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

impl WebhooksRepo for Sqlite<'_> {
    fn insert(&mut self, id: &str, url: &str, events: &[String], secret: &str) -> StoreResult<()> {
        let conn = self.conn();
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

    fn get(&mut self, id: &str) -> StoreResult<Option<Webhook>> {
        let conn = self.conn();
        let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks WHERE id = ?1");
        Ok(conn.query_row(&sql, [id], hook).optional()?)
    }

    fn list(&mut self) -> StoreResult<Vec<Webhook>> {
        let conn = self.conn();
        let sql = format!("SELECT {HOOK_COLUMNS} FROM webhooks ORDER BY created_at DESC");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], hook)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn update(
        &mut self,
        id: &str,
        url: Option<&str>,
        events: Option<&[String]>,
        enabled: Option<bool>,
    ) -> StoreResult<()> {
        let conn = self.conn();
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

    fn delete(&mut self, id: &str) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.execute("DELETE FROM webhooks WHERE id = ?1", [id])? > 0)
    }

    fn enqueue(
        &mut self,
        webhook_id: &str,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> StoreResult<()> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT OR IGNORE INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            crate::ids::new_uuid(),
            webhook_id,
            event_id,
            event_type,
            payload,
            crate::clock::now_string()
        ])?;
        Ok(())
    }

    fn due(&mut self, limit: u32) -> StoreResult<Vec<Delivery>> {
        let conn = self.conn();
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

    fn list_deliveries(
        &mut self,
        webhook_id: &str,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<Delivery>, u64)> {
        let conn = self.conn();
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

    fn get_delivery(&mut self, webhook_id: &str, id: &str) -> StoreResult<Option<Delivery>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = ?1 AND id = ?2"
        );
        Ok(conn
            .query_row(&sql, [webhook_id, id], delivery)
            .optional()?)
    }

    fn record_attempt(&mut self, a: &Attempt<'_>) -> StoreResult<bool> {
        let conn = self.conn();
        let now = crate::clock::now_string();
        let (code, error) = (a.code, a.error);
        conn.execute(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, response_code, error, duration_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.delivery_id, now, code, error, a.duration_ms as i64],
        )?;
        conn.execute(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?2,
            last_response_code = ?3, last_error = ?4, next_attempt_at = ?5,
            delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
         WHERE id = ?1",
            params![
                a.delivery_id,
                a.status(),
                code,
                error,
                a.next_attempt_at,
                now
            ],
        )?;
        let mut disabled = false;
        if a.delivered() {
            conn.execute(
                "UPDATE webhooks SET consecutive_failures = 0 WHERE id = ?1",
                [a.webhook_id],
            )?;
        } else {
            conn.execute(
                "UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1",
                [a.webhook_id],
            )?;
            disabled = conn.execute(
                "UPDATE webhooks SET enabled = 0, updated_at = ?3
             WHERE id = ?1 AND enabled = 1 AND consecutive_failures >= ?2",
                params![a.webhook_id, i64::from(a.disable_after), now],
            )? > 0;
        }
        Ok(disabled)
    }

    fn requeue(&mut self, id: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?2 WHERE id = ?1",
            params![id, crate::clock::now_string()],
        )?;
        Ok(())
    }

    fn dispatcher_seq(&mut self) -> StoreResult<Option<i64>> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached("SELECT last_seq FROM dispatcher_state WHERE id = 1")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    fn set_dispatcher_seq(&mut self, seq: i64) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO dispatcher_state (id, last_seq) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq",
            [seq],
        )?;
        Ok(())
    }

    fn any_enabled(&mut self) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled = 1)")?
            .query_row([], |r| r.get(0))?)
    }

    fn outcome_counts(&mut self) -> StoreResult<Vec<(String, i64)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
