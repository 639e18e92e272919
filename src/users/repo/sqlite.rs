//! The users repo on SQLite.

use rusqlite::{params, OptionalExtension, Row};

use super::{like_pattern, NewUser, UserSort, UsersRepo};
use crate::db::{Sqlite, StoreError, StoreResult};
use crate::ids::UserId;
use crate::users::model::{Role, User};

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

fn search_clause(with_email: bool) -> &'static str {
    if with_email {
        "(?1 IS NULL OR username LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\')"
    } else {
        "(?1 IS NULL OR username LIKE ?1 ESCAPE '\\')"
    }
}

impl UsersRepo for Sqlite<'_> {
    fn username_taken(&mut self, username: &str, except_id: Option<&UserId>) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE AND id <> ?2)",
        )?
        .query_row(params![username, except_id.map_or("", |i| i.as_str())], |r| r.get(0))?)
    }

    fn email_taken(&mut self, email: &str, except_id: Option<&UserId>) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE AND id <> ?2)",
            )?
            .query_row(params![email, except_id.map_or("", |i| i.as_str())], |r| {
                r.get(0)
            })?)
    }

    fn insert(&mut self, new: &NewUser<'_>) -> StoreResult<User> {
        let conn = self.conn();
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
        self.by_id(new.id)?
            .ok_or_else(|| StoreError::other("inserted user vanished"))
    }

    /// Inserts a user without `insert`'s uniqueness check or read-back (the
    /// table's constraints still apply), for `folio seed`'s bulk loads: the
    /// statement is cached, so call it in a loop inside one write.
    fn insert_seed(&mut self, new: &NewUser<'_>) -> StoreResult<()> {
        let conn = self.conn();
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

    fn by_id(&mut self, id: &UserId) -> StoreResult<Option<User>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?1");
        Ok(conn
            .prepare_cached(&sql)?
            .query_row([id], from_row)
            .optional()?)
    }

    /// A user's username, if the user exists.
    fn username_of(&mut self, id: &UserId) -> StoreResult<Option<String>> {
        let conn = self.conn();
        Ok(conn
            .prepare_cached("SELECT username FROM users WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Looks a user up by email or username (both case-insensitive), with the
    /// stored password hash.
    fn credentials(&mut self, identity: &str) -> StoreResult<Option<(User, String)>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS}, password_hash FROM users
             WHERE email = ?1 COLLATE NOCASE OR username = ?1 COLLATE NOCASE LIMIT 1"
        );
        Ok(conn
            .prepare_cached(&sql)?
            .query_row([identity], |r| Ok((from_row(r)?, r.get(8)?)))
            .optional()?)
    }

    fn password_hash(&mut self, id: &UserId) -> StoreResult<Option<String>> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_password_hash(&mut self, id: &UserId, hash: &str) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1",
            params![id, hash],
        )?;
        Ok(())
    }

    /// Invalidates every access token issued to the user so far.
    fn bump_token_version(&mut self, id: &UserId) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET token_version = token_version + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    fn set_role(&mut self, id: &UserId, role: Role) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET role = ?2 WHERE id = ?1",
            params![id, role.as_str()],
        )?;
        Ok(())
    }

    fn set_disabled(&mut self, id: &UserId, disabled: bool) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET disabled = ?2, token_version = token_version + ?3 WHERE id = ?1",
            params![id, disabled, i64::from(disabled)],
        )?;
        Ok(())
    }

    fn set_profile(
        &mut self,
        id: &UserId,
        username: Option<&str>,
        email: Option<&str>,
    ) -> StoreResult<()> {
        let conn = self.conn();
        conn.execute(
            "UPDATE users SET username = coalesce(?2, username), email = coalesce(?3, email) WHERE id = ?1",
            params![id, username, email],
        )?;
        Ok(())
    }

    fn delete(&mut self, id: &UserId) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
    }

    /// Every user, for the admin dashboard.
    fn total(&mut self) -> StoreResult<i64> {
        let conn = self.conn();
        Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
    }

    /// Enabled admins.
    fn count_active_admins(&mut self) -> StoreResult<i64> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0",
            [],
            |r| r.get(0),
        )?)
    }

    fn any_admin(&mut self) -> StoreResult<bool> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')",
            [],
            |r| r.get(0),
        )?)
    }

    /// Admins, for `folio admin list`.
    fn admins(&mut self) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM users WHERE role = 'admin' ORDER BY created_at");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Finds a user by id, username or email, for CLI commands.
    fn find(&mut self, key: &str) -> StoreResult<Option<User>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE id = ?1 OR username = ?1 COLLATE NOCASE OR email = ?1 COLLATE NOCASE LIMIT 1"
        );
        Ok(conn.query_row(&sql, [key], from_row).optional()?)
    }

    fn list(
        &mut self,
        search: Option<&str>,
        with_email: bool,
        sort: UserSort,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM users WHERE {} ORDER BY {} LIMIT ?2 OFFSET ?3",
            search_clause(with_email),
            order_by(sort)
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

    fn count(&mut self, search: Option<&str>, with_email: bool) -> StoreResult<u64> {
        let conn = self.conn();
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
    fn by_ids(&mut self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let conn = self.conn();
        let list = serde_json::to_string(ids).map_err(StoreError::other)?;
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
    fn export_all(
        &mut self,
        each: &mut dyn FnMut(User, String) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS}, password_hash FROM users ORDER BY created_at, id");
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            each(from_row(r)?, r.get(8)?)?;
        }
        Ok(())
    }

    /// Inserts an exported user as it was (for `folio import`).
    fn import(&mut self, u: &User, password_hash: &str) -> StoreResult<()> {
        let conn = self.conn();
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
}

/// The ORDER BY of a users list; ties go to the id, so pages never overlap.
fn order_by(sort: UserSort) -> &'static str {
    match sort {
        UserSort::UsernameAsc => "username COLLATE NOCASE ASC, id ASC",
        UserSort::UsernameDesc => "username COLLATE NOCASE DESC, id DESC",
        UserSort::CreatedAsc => "created_at ASC, id ASC",
        UserSort::CreatedDesc => "created_at DESC, id DESC",
    }
}
