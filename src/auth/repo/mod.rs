//! The auth repo: every SQL statement about refresh tokens (sessions) and
//! API keys, behind one trait that each storage backend implements
//! (`sqlite.rs`).

mod sqlite;

use crate::db::{Backend, StoreResult, Tx};
use crate::ids::UserId;

pub struct NewRefresh<'a> {
    pub token_hash: &'a str,
    pub family_id: &'a str,
    pub parent_hash: Option<&'a str>,
    pub user_id: &'a UserId,
    pub expires_at: &'a str,
    pub family_expires_at: &'a str,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct RefreshRow {
    pub family_id: String,
    pub user_id: UserId,
    pub expires_at: String,
    pub family_expires_at: String,
    pub used_at: Option<String>,
    pub revoked_at: Option<String>,
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

/// What authentication asks of storage.
pub trait AuthRepo {
    /// Stores a refresh token (by its hash), created now.
    fn insert_refresh(&mut self, t: &NewRefresh<'_>) -> StoreResult<()>;
    fn refresh_by_hash(&mut self, hash: &str) -> StoreResult<Option<RefreshRow>>;
    /// Marks a refresh token as rotated, now.
    fn mark_used(&mut self, hash: &str) -> StoreResult<()>;
    /// Revokes every live token of a session family.
    fn revoke_family(&mut self, family_id: &str) -> StoreResult<()>;
    /// Revokes every live token of a user.
    fn revoke_user_sessions(&mut self, user_id: &UserId) -> StoreResult<()>;
    /// Whether any token is past its idle or absolute expiry at `now`.
    fn any_expired_refresh(&mut self, now: &str) -> StoreResult<bool>;
    /// Deletes tokens past their expiry; returns how many.
    fn delete_expired_refresh(&mut self, now: &str) -> StoreResult<usize>;
    /// Inserts a key (its `created_at` and `last_used_at` are ignored) and
    /// reads it back.
    fn insert_api_key(&mut self, row: &ApiKeyRow) -> StoreResult<ApiKeyRow>;
    /// Keys not revoked, newest first.
    fn active_api_keys(&mut self) -> StoreResult<Vec<ApiKeyRow>>;
    /// The active key with this lookup prefix.
    fn api_key_by_prefix(&mut self, prefix: &str) -> StoreResult<Option<ApiKeyRow>>;
    /// Revokes a key; returns its prefix when it existed and was active.
    fn revoke_api_key(&mut self, id: &str) -> StoreResult<Option<String>>;
    /// Records that a key was used now.
    fn touch_api_key(&mut self, id: &str) -> StoreResult<()>;
}

impl Tx<'_> {
    /// The auth repo of this transaction's backend.
    pub fn auth(&mut self) -> &mut dyn AuthRepo {
        match self.backend() {
            Backend::Sqlite(s) => s,
        }
    }
}
