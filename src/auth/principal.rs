//! Who is calling: the `Principal` (a user with a role, or an API key with
//! scopes), checked from an access token or an API key (the request guards
//! in `guards.rs` find which one a request sent).
//!
//! Authorisation itself is not here: services ask the principal plain
//! questions (`is_admin`, `can_read_all`, ...) that unit tests can pin down.

use sha2::{Digest, Sha256};

use super::apikeys::Scopes;
use super::AuthState;
use crate::ctx::Ctx;
use crate::error::{ApiError, AuthFailure};
use crate::ids::UserId;
use crate::users::model::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        id: UserId,
        role: Role,
    },
    ApiKey {
        id: String,
        scopes: Scopes,
    },
    /// The operator at the command line.
    System,
}

impl Principal {
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Principal::User { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn is_user(&self, id: &str) -> bool {
        self.user_id().is_some_and(|me| me == id)
    }

    /// Admin users, `admin` keys and the CLI.
    pub fn is_admin(&self) -> bool {
        match self {
            Principal::User { role, .. } => *role == Role::Admin,
            Principal::ApiKey { scopes, .. } => scopes.admin,
            Principal::System => true,
        }
    }

    /// May see private user fields and drafts of everyone.
    pub fn can_read_all(&self) -> bool {
        match self {
            Principal::ApiKey { scopes, .. } => scopes.read,
            other => other.is_admin(),
        }
    }

    /// May create and change any user or post (not roles).
    pub fn can_write_all(&self) -> bool {
        match self {
            Principal::ApiKey { scopes, .. } => scopes.write,
            other => other.is_admin(),
        }
    }

    /// The key of the `default` rate-limit policy.
    pub fn rate_key(&self) -> String {
        match self {
            Principal::User { id, .. } => ["user:", id.as_str()].concat(),
            Principal::ApiKey { id, .. } => ["key:", id.as_str()].concat(),
            Principal::System => "system".into(),
        }
    }
}

/// Verifies an access token and the user's current state (cached).
pub async fn user_from_token(ctx: &Ctx, token: &str) -> Result<Principal, AuthFailure> {
    let claims = ctx.jwt.verify(token)?;
    let id = UserId::parse(&claims.sub).ok_or(AuthFailure::InvalidToken)?;
    let state = auth_state(ctx, &id)
        .await
        .map_err(|_| AuthFailure::InvalidToken)?
        .ok_or(AuthFailure::InvalidToken)?;
    if state.disabled || state.token_version != claims.ver {
        return Err(AuthFailure::InvalidToken);
    }
    Ok(Principal::User {
        id,
        role: state.role,
    })
}

/// The user's token version, role and disabled flag, through the cache.
pub async fn auth_state(ctx: &Ctx, user_id: &UserId) -> Result<Option<AuthState>, ApiError> {
    let ticket = match ctx.caches.auth.get(user_id) {
        Ok(state) => return Ok(Some(state)),
        Err(ticket) => ticket,
    };
    let id = user_id.clone();
    let user = ctx.db.read(move |c| c.users().by_id(&id)).await?;
    Ok(user.map(|u| {
        let state = AuthState {
            token_version: u.token_version,
            disabled: u.disabled,
            role: u.role,
        };
        ctx.caches.auth.insert(ticket, u.id, state.clone());
        state
    }))
}

/// Verifies an API key by its prefix and hash (cached by prefix).
pub async fn key_principal(ctx: &Ctx, key: &str) -> Result<Principal, AuthFailure> {
    let prefix = super::apikeys::prefix_of(key).ok_or(AuthFailure::InvalidApiKey)?;
    let row = match ctx.caches.api_keys.get(&prefix) {
        Ok(row) => row,
        Err(ticket) => {
            let p = prefix.clone();
            let row = ctx
                .db
                .read(move |c| c.auth().api_key_by_prefix(&p))
                .await
                .map_err(|_| AuthFailure::InvalidApiKey)?
                .ok_or(AuthFailure::InvalidApiKey)?;
            ctx.caches.api_keys.insert(ticket, prefix, row.clone());
            row
        }
    };
    let presented = hex::encode(Sha256::digest(key.as_bytes()));
    if !constant_time_eq(presented.as_bytes(), row.key_hash.as_bytes()) {
        return Err(AuthFailure::InvalidApiKey);
    }
    ctx.api_key_used(&row.id);
    Ok(Principal::ApiKey {
        id: row.id,
        scopes: Scopes::parse_stored(&row.scopes),
    })
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::super::apikeys::KEY_PREFIX;
    use super::*;

    fn key(read: bool, write: bool, admin: bool) -> Principal {
        Principal::ApiKey {
            id: "k".into(),
            scopes: Scopes::new(read, write, admin),
        }
    }

    #[test]
    fn permissions() {
        let u = UserId::new();
        let user = Principal::User {
            id: u.clone(),
            role: Role::User,
        };
        let admin = Principal::User {
            id: UserId::new(),
            role: Role::Admin,
        };
        assert!(!user.is_admin() && !user.can_read_all() && !user.can_write_all());
        assert!(admin.is_admin() && admin.can_read_all() && admin.can_write_all());
        assert!(key(true, false, false).can_read_all());
        assert!(!key(true, false, false).can_write_all());
        assert!(key(false, true, false).can_read_all(), "write implies read");
        assert!(!key(false, true, false).is_admin());
        let k = key(false, false, true);
        assert!(k.is_admin() && k.can_write_all() && k.can_read_all());
        assert!(Principal::System.is_admin());
        assert!(user.is_user(&u) && !admin.is_user(&u));
    }

    #[test]
    fn constant_time() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn prefix_is_required() {
        assert!(super::super::apikeys::prefix_of("nope").is_none());
        assert!(KEY_PREFIX.starts_with("folio_"));
    }
}
