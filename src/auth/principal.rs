//! Who is calling: the `Principal` (a user with a role, or an API key with
//! scopes), resolved once per request from `Authorization: Bearer` or
//! `x-api-key`, and the request guards built on it.
//!
//! Authorisation itself is not here: services ask the principal plain
//! questions (`is_admin`, `can_read_all`, ...) that unit tests can pin down.

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::Request;
use sha2::{Digest, Sha256};

use super::apikeys::Scopes;
use super::AuthState;
use crate::ctx::Ctx;
use crate::error::{stash, ApiError, AuthFailure};
use crate::users::model::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        id: String,
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
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::User { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn is_user(&self, id: &str) -> bool {
        self.user_id() == Some(id)
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

/// Resolves the request's credentials once and remembers the answer.
pub async fn resolve(req: &Request<'_>) -> Result<Option<Principal>, AuthFailure> {
    req.local_cache_async(async { resolve_uncached(req).await })
        .await
        .clone()
}

async fn resolve_uncached(req: &Request<'_>) -> Result<Option<Principal>, AuthFailure> {
    let Some(ctx) = req.rocket().state::<Ctx>() else {
        return Err(AuthFailure::InvalidToken);
    };
    if let Some(header) = req.headers().get_one("Authorization") {
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or(AuthFailure::InvalidToken)?;
        let user = user_from_token(ctx, token).await?;
        // Both sent: the bearer is who acts, and the key must be valid too.
        if let Some(key) = req.headers().get_one("x-api-key") {
            key_principal(ctx, key.trim()).await?;
        }
        return Ok(Some(user));
    }
    if let Some(key) = req.headers().get_one("x-api-key") {
        return key_principal(ctx, key.trim()).await.map(Some);
    }
    Ok(None)
}

/// Verifies an access token and the user's current state (cached).
pub async fn user_from_token(ctx: &Ctx, token: &str) -> Result<Principal, AuthFailure> {
    let claims = ctx.jwt.verify(token)?;
    let state = auth_state(ctx, &claims.sub)
        .await
        .map_err(|_| AuthFailure::InvalidToken)?
        .ok_or(AuthFailure::InvalidToken)?;
    if state.disabled || state.token_version != claims.ver {
        return Err(AuthFailure::InvalidToken);
    }
    Ok(Principal::User {
        id: claims.sub,
        role: state.role,
    })
}

/// The user's token version, role and disabled flag, through the cache.
pub async fn auth_state(ctx: &Ctx, user_id: &str) -> Result<Option<AuthState>, ApiError> {
    let ticket = match ctx.caches.auth.get(&user_id.to_string()) {
        Ok(state) => return Ok(Some(state)),
        Err(ticket) => ticket,
    };
    let id = user_id.to_string();
    let user = ctx
        .db
        .read(move |c| crate::users::repo::by_id(c, &id))
        .await?;
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
                .read(move |c| super::repo::api_key_by_prefix(c, &p))
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

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Principal {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        match resolve(req).await {
            Ok(Some(p)) => Outcome::Success(p),
            Ok(None) => Outcome::Error(stash(
                req,
                ApiError::Unauthorized(AuthFailure::MissingCredentials),
            )),
            Err(f) => Outcome::Error(stash(req, ApiError::Unauthorized(f))),
        }
    }
}

/// Anyone: anonymous is fine, but a credential that is sent must be valid.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        match resolve(req).await {
            Ok(p) => Outcome::Success(Caller(p)),
            Err(f) => Outcome::Error(stash(req, ApiError::Unauthorized(f))),
        }
    }
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
        let user = Principal::User {
            id: "u".into(),
            role: Role::User,
        };
        let admin = Principal::User {
            id: "a".into(),
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
        assert!(user.is_user("u") && !admin.is_user("u"));
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
