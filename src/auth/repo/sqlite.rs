//! The auth repo on SQLite.

use rusqlite::{params, OptionalExtension};

use super::{ApiKeyRow, AuthRepo, NewRefresh, RefreshRow};
use crate::db::{Sqlite, StoreError, StoreResult};
use crate::ids::UserId;

const KEY_COLUMNS: &str = "id, name, prefix, key_hash, scopes, created_at, last_used_at";

fn key_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.get(0)?,
        name: r.get(1)?,
        prefix: r.get(2)?,
        key_hash: r.get(3)?,
        scopes: r.get(4)?,
        created_at: r.get(5)?,
        last_used_at: r.get(6)?,
    })
}

impl AuthRepo for Sqlite<'_> {
    fn insert_refresh(&mut self, t: &NewRefresh<'_>) -> StoreResult<()> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO refresh_tokens (token_hash, family_id, parent_hash, user_id, created_at,
            expires_at, family_expires_at, user_agent, ip)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            t.token_hash,
            t.family_id,
            t.parent_hash,
            t.user_id,
            crate::clock::now_string(),
            t.expires_at,
            t.family_expires_at,
            t.user_agent,
            t.ip
        ])?;
        Ok(())
    }

    fn refresh_by_hash(&mut self, hash: &str) -> StoreResult<Option<RefreshRow>> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached(
                "SELECT family_id, user_id, expires_at, family_expires_at, used_at, revoked_at
             FROM refresh_tokens WHERE token_hash = ?1",
            )?
            .query_row([hash], |r| {
                Ok(RefreshRow {
                    family_id: r.get(0)?,
                    user_id: r.get(1)?,
                    expires_at: r.get(2)?,
                    family_expires_at: r.get(3)?,
                    used_at: r.get(4)?,
                    revoked_at: r.get(5)?,
                })
            })
            .optional()?)
    }

    fn mark_used(&mut self, hash: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
            params![hash, crate::clock::now_string()],
        )?;
        Ok(())
    }

    fn revoke_family(&mut self, family_id: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
            params![family_id, crate::clock::now_string()],
        )?;
        Ok(())
    }

    fn revoke_user_sessions(&mut self, user_id: &UserId) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
            params![user_id, crate::clock::now_string()],
        )?;
        Ok(())
    }

    fn any_expired_refresh(&mut self, now: &str) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens
                         WHERE family_expires_at < ?1 OR expires_at < ?1)",
            [now],
            |r| r.get(0),
        )?)
    }

    fn delete_expired_refresh(&mut self, now: &str) -> StoreResult<usize> {
        let conn = self.conn();
        Ok(conn.execute(
            "DELETE FROM refresh_tokens WHERE family_expires_at < ?1 OR expires_at < ?1",
            [now],
        )?)
    }

    fn insert_api_key(&mut self, row: &ApiKeyRow) -> StoreResult<ApiKeyRow> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![row.id, row.name, row.prefix, row.key_hash, row.scopes],
        )?;
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1");
        conn.query_row(&sql, [&row.id], key_from_row)
            .optional()?
            .ok_or_else(|| StoreError::other("inserted API key vanished"))
    }

    fn active_api_keys(&mut self) -> StoreResult<Vec<ApiKeyRow>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], key_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn api_key_by_prefix(&mut self, prefix: &str) -> StoreResult<Option<ApiKeyRow>> {
        let conn = self.conn();
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE prefix = ?1 AND revoked_at IS NULL");
        Ok(conn
            .prepare_cached(&sql)?
            .query_row([prefix], key_from_row)
            .optional()?)
    }

    fn revoke_api_key(&mut self, id: &str) -> StoreResult<Option<String>> {
        let conn = self.conn();
        let prefix: Option<String> = conn
            .query_row(
                "SELECT prefix FROM api_keys WHERE id = ?1 AND revoked_at IS NULL",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if prefix.is_some() {
            conn.execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1",
                params![id, crate::clock::now_string()],
            )?;
        }
        Ok(prefix)
    }

    fn touch_api_key(&mut self, id: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
            params![id, crate::clock::now_string()],
        )?;
        Ok(())
    }
}
