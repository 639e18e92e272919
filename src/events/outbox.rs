//! Recording events inside the writer's transaction: if the change commits,
//! its event exists; if it rolls back, so does the event.

use rusqlite::Connection;
use serde_json::Value;

use crate::error::ApiResult;

/// Records one event; call it inside the same `Db::write` job as the change.
pub fn record(conn: &Connection, kind: &str, data: &Value) -> ApiResult<String> {
    let id = uuid::Uuid::now_v7().hyphenated().to_string();
    super::repo::insert(
        conn,
        &id,
        kind,
        &crate::clock::now_string(),
        &data.to_string(),
    )?;
    Ok(id)
}
