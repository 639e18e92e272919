//! The users repo: every SQL statement about users, behind one trait that
//! each storage backend implements (`sqlite.rs`).

mod sqlite;

use super::model::{Role, User};
use crate::db::{Backend, StoreResult, Tx};
use crate::ids::UserId;

pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub username: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
}

/// `sort` values of the users list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    UsernameAsc,
    UsernameDesc,
    CreatedAsc,
    CreatedDesc,
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

/// What the users feature asks of storage.
pub trait UsersRepo {
    /// Whether another user (not `except_id`) has this username, ignoring case.
    fn username_taken(&mut self, username: &str, except_id: Option<&UserId>) -> StoreResult<bool>;
    /// Whether another user (not `except_id`) has this email, ignoring case.
    fn email_taken(&mut self, email: &str, except_id: Option<&UserId>) -> StoreResult<bool>;
    /// Inserts a user and reads it back.
    fn insert(&mut self, new: &NewUser<'_>) -> StoreResult<User>;
    /// Inserts a user without the read-back, for `folio seed`'s bulk loads.
    fn insert_seed(&mut self, new: &NewUser<'_>) -> StoreResult<()>;
    fn by_id(&mut self, id: &UserId) -> StoreResult<Option<User>>;
    fn username_of(&mut self, id: &UserId) -> StoreResult<Option<String>>;
    /// A user by email or username (both ignoring case), with the stored
    /// password hash.
    fn credentials(&mut self, identity: &str) -> StoreResult<Option<(User, String)>>;
    fn password_hash(&mut self, id: &UserId) -> StoreResult<Option<String>>;
    fn set_password_hash(&mut self, id: &UserId, hash: &str) -> StoreResult<()>;
    /// Invalidates every access token issued to the user so far.
    fn bump_token_version(&mut self, id: &UserId) -> StoreResult<()>;
    fn set_role(&mut self, id: &UserId, role: Role) -> StoreResult<()>;
    /// Disabling also invalidates the user's access tokens.
    fn set_disabled(&mut self, id: &UserId, disabled: bool) -> StoreResult<()>;
    fn set_profile(
        &mut self,
        id: &UserId,
        username: Option<&str>,
        email: Option<&str>,
    ) -> StoreResult<()>;
    /// True when the user existed.
    fn delete(&mut self, id: &UserId) -> StoreResult<bool>;
    fn total(&mut self) -> StoreResult<i64>;
    /// Enabled admins.
    fn count_active_admins(&mut self) -> StoreResult<i64>;
    fn any_admin(&mut self) -> StoreResult<bool>;
    /// Admins, oldest first.
    fn admins(&mut self) -> StoreResult<Vec<User>>;
    /// A user by id, username or email, for CLI commands.
    fn find(&mut self, key: &str) -> StoreResult<Option<User>>;
    /// A page of users, optionally matching `search` in the username (and
    /// the email, `with_email`).
    fn list(
        &mut self,
        search: Option<&str>,
        with_email: bool,
        sort: UserSort,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<User>>;
    fn count(&mut self, search: Option<&str>, with_email: bool) -> StoreResult<u64>;
    /// Users by a list of ids, in one query (GraphQL's DataLoader).
    fn by_ids(&mut self, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Every user with its password hash, in creation order (`folio export`).
    fn export_all(
        &mut self,
        each: &mut dyn FnMut(User, String) -> StoreResult<()>,
    ) -> StoreResult<()>;
    /// Inserts an exported user as it was (`folio import`).
    fn import(&mut self, user: &User, password_hash: &str) -> StoreResult<()>;
}

impl Tx<'_> {
    /// The users repo of this transaction's backend.
    pub fn users(&mut self) -> &mut dyn UsersRepo {
        match self.backend() {
            Backend::Sqlite(s) => s,
        }
    }
}
