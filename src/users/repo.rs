//! All SQL for users.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::model::{Role, User};
use crate::error::{ApiError, ApiResult};

const COLUMNS: &str = "id, username, email, role, disabled, token_version, created_at, updated_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        role: if role == "admin" {
            Role::Admin
        } else {
            Role::User
        },
        disabled: r.get(4)?,
        token_version: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

/// Refuses a taken username or email with a `409` that says which.
pub fn ensure_unique(
    conn: &Connection,
    username: Option<&str>,
    email: Option<&str>,
    except_id: Option<&str>,
) -> ApiResult<()> {
    let except = except_id.unwrap_or("");
    if let Some(name) = username {
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE AND id <> ?2)",
            params![name, except],
            |r| r.get(0),
        )?;
        if taken {
            return Err(ApiError::Conflict("That username is already taken".into()));
        }
    }
    if let Some(email) = email {
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE AND id <> ?2)",
            params![email, except],
            |r| r.get(0),
        )?;
        if taken {
            return Err(ApiError::Conflict(
                "That email is already registered".into(),
            ));
        }
    }
    Ok(())
}

pub fn insert(conn: &Connection, new: &NewUser<'_>) -> ApiResult<User> {
    ensure_unique(conn, Some(new.username), Some(new.email), None)?;
    conn.execute(
        "INSERT INTO users (id, username, email, password_hash, role) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            new.id,
            new.username,
            new.email,
            new.password_hash,
            new.role.as_str()
        ],
    )?;
    by_id(conn, new.id)?.ok_or_else(|| ApiError::internal("inserted user vanished"))
}

/// Inserts a user without `insert`'s uniqueness check or read-back (the
/// table's constraints still apply), for `folio seed`'s bulk loads: the
/// statement is cached, so call it in a loop inside one write.
pub fn insert_seed(conn: &Connection, new: &NewUser<'_>) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO users (id, username, email, password_hash, role) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        new.id,
        new.username,
        new.email,
        new.password_hash,
        new.role.as_str()
    ])?;
    Ok(())
}

pub fn by_id(conn: &Connection, id: &str) -> ApiResult<Option<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// A user's username, if the user exists.
pub fn username_of(conn: &Connection, id: &str) -> ApiResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT username FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Looks a user up by email or username (both case-insensitive), with the
/// stored password hash.
pub fn credentials(conn: &Connection, identity: &str) -> ApiResult<Option<(User, String)>> {
    let sql = format!(
        "SELECT {COLUMNS}, password_hash FROM users
         WHERE email = ?1 COLLATE NOCASE OR username = ?1 COLLATE NOCASE LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([identity], |r| Ok((from_row(r)?, r.get(8)?)))
        .optional()?)
}

pub fn password_hash(conn: &Connection, id: &str) -> ApiResult<Option<String>> {
    Ok(conn
        .query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn set_password_hash(conn: &Connection, id: &str, hash: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(())
}

/// Invalidates every access token issued to the user so far.
pub fn bump_token_version(conn: &Connection, id: &str) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET token_version = token_version + 1 WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

pub fn set_role(conn: &Connection, id: &str, role: Role) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![id, role.as_str()],
    )?;
    Ok(())
}

pub fn set_disabled(conn: &Connection, id: &str, disabled: bool) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET disabled = ?2, token_version = token_version + ?3 WHERE id = ?1",
        params![id, disabled, i64::from(disabled)],
    )?;
    Ok(())
}

pub fn set_profile(
    conn: &Connection,
    id: &str,
    username: Option<&str>,
    email: Option<&str>,
) -> ApiResult<()> {
    conn.execute(
        "UPDATE users SET username = coalesce(?2, username), email = coalesce(?3, email) WHERE id = ?1",
        params![id, username, email],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

/// Every user, for the admin dashboard.
pub fn total(conn: &Connection) -> ApiResult<i64> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// Enabled admins.
pub fn count_active_admins(conn: &Connection) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0",
        [],
        |r| r.get(0),
    )?)
}

pub fn any_admin(conn: &Connection) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')",
        [],
        |r| r.get(0),
    )?)
}

/// Admins, for `folio admin list`.
pub fn admins(conn: &Connection) -> ApiResult<Vec<User>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE role = 'admin' ORDER BY created_at");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Finds a user by id, username or email, for CLI commands.
pub fn find(conn: &Connection, key: &str) -> ApiResult<Option<User>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE id = ?1 OR username = ?1 COLLATE NOCASE OR email = ?1 COLLATE NOCASE LIMIT 1"
    );
    Ok(conn.query_row(&sql, [key], from_row).optional()?)
}

/// `sort` values of the users list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    UsernameAsc,
    UsernameDesc,
    CreatedAsc,
    CreatedDesc,
}

impl UserSort {
    fn sql(self) -> &'static str {
        match self {
            UserSort::UsernameAsc => "username COLLATE NOCASE ASC, id ASC",
            UserSort::UsernameDesc => "username COLLATE NOCASE DESC, id DESC",
            UserSort::CreatedAsc => "created_at ASC, id ASC",
            UserSort::CreatedDesc => "created_at DESC, id DESC",
        }
    }
}

/// Escapes `%`, `_` and the escape character for a LIKE pattern.
pub fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

fn search_clause(with_email: bool) -> &'static str {
    if with_email {
        "(?1 IS NULL OR username LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\')"
    } else {
        "(?1 IS NULL OR username LIKE ?1 ESCAPE '\\')"
    }
}

pub fn list(
    conn: &Connection,
    search: Option<&str>,
    with_email: bool,
    sort: UserSort,
    limit: u32,
    offset: u64,
) -> ApiResult<Vec<User>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE {} ORDER BY {} LIMIT ?2 OFFSET ?3",
        search_clause(with_email),
        sort.sql()
    );
    let pattern = search.map(like_pattern);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            pattern,
            i64::from(limit),
            offset.min(i64::MAX as u64) as i64
        ],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn count(conn: &Connection, search: Option<&str>, with_email: bool) -> ApiResult<u64> {
    let sql = format!(
        "SELECT count(*) FROM users WHERE {}",
        search_clause(with_email)
    );
    let pattern = search.map(like_pattern);
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![pattern], |r| r.get::<_, i64>(0))? as u64)
}

/// Users by a list of ids (one query, for GraphQL's DataLoader).
pub fn by_ids(conn: &Connection, ids: &[String]) -> ApiResult<Vec<User>> {
    let list = serde_json::to_string(ids).map_err(crate::error::ApiError::internal)?;
    // The ids drive the join: with `id IN (SELECT ...)` the planner may scan
    // every user and test each against the list when the table is small.
    let sql = "SELECT u.id, u.username, u.email, u.role, u.disabled, u.token_version,
            u.created_at, u.updated_at
         FROM json_each(?1) j CROSS JOIN users u ON u.id = j.value";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([list], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every user with its password hash, in creation order (for `folio export`).
pub fn export_all(
    conn: &Connection,
    mut each: impl FnMut(User, String) -> ApiResult<()>,
) -> ApiResult<()> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM users ORDER BY created_at, id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(from_row(r)?, r.get(8)?)?;
    }
    Ok(())
}

/// Inserts an exported user as it was (for `folio import`).
pub fn import(conn: &Connection, u: &User, password_hash: &str) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO users (id, username, email, password_hash, role, disabled, token_version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        u.id,
        u.username,
        u.email,
        password_hash,
        u.role.as_str(),
        u.disabled,
        u.token_version,
        u.created_at,
        u.updated_at
    ])?;
    Ok(())
}
