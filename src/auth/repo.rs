//! All SQL for refresh tokens and API keys.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::ApiResult;

pub struct NewRefresh<'a> {
    pub token_hash: &'a str,
    pub family_id: &'a str,
    pub parent_hash: Option<&'a str>,
    pub user_id: &'a str,
    pub expires_at: &'a str,
    pub family_expires_at: &'a str,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub fn insert_refresh(conn: &Connection, t: &NewRefresh<'_>) -> ApiResult<()> {
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

#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub family_id: String,
    pub user_id: String,
    pub expires_at: String,
    pub family_expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub fn refresh_by_hash(conn: &Connection, hash: &str) -> ApiResult<Option<RefreshRow>> {
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

pub fn mark_used(conn: &Connection, hash: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
        params![hash, crate::clock::now_string()],
    )?;
    Ok(())
}

pub fn revoke_family(conn: &Connection, family_id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
        params![family_id, crate::clock::now_string()],
    )?;
    Ok(())
}

pub fn revoke_user_sessions(conn: &Connection, user_id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, crate::clock::now_string()],
    )?;
    Ok(())
}

/// Deletes tokens past their expiry; returns how many.
pub fn any_expired_refresh(conn: &Connection, now: &str) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens
                         WHERE family_expires_at < ?1 OR expires_at < ?1)",
        [now],
        |r| r.get(0),
    )?)
}

pub fn delete_expired_refresh(conn: &Connection, now: &str) -> ApiResult<usize> {
    Ok(conn.execute(
        "DELETE FROM refresh_tokens WHERE family_expires_at < ?1 OR expires_at < ?1",
        [now],
    )?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub scopes: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

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

pub fn insert_api_key(conn: &Connection, row: &ApiKeyRow) -> ApiResult<ApiKeyRow> {
    conn.execute(
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.id, row.name, row.prefix, row.key_hash, row.scopes],
    )?;
    let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1");
    Ok(conn.query_row(&sql, [&row.id], key_from_row)?)
}

pub fn active_api_keys(conn: &Connection) -> ApiResult<Vec<ApiKeyRow>> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], key_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn api_key_by_prefix(conn: &Connection, prefix: &str) -> ApiResult<Option<ApiKeyRow>> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE prefix = ?1 AND revoked_at IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([prefix], key_from_row)
        .optional()?)
}

/// Revokes a key; returns its prefix when it existed and was active.
pub fn revoke_api_key(conn: &Connection, id: &str) -> ApiResult<Option<String>> {
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

pub fn touch_api_key(conn: &Connection, id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
        params![id, crate::clock::now_string()],
    )?;
    Ok(())
}
