//! Signing in and out: login by password, refresh-token rotation with reuse
//! detection, and logout of one session.

use super::tokens::{lifetimes, store_refresh, token_hash};
use super::{session, ClientMeta, Session};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure};
use crate::users::model::User;

/// Login by email or username. Unknown, wrong and disabled all answer the
/// same `401` in about the same time; too many failures per account `429`.
pub async fn login(
    ctx: &Ctx,
    identity: &str,
    password: String,
    meta: ClientMeta,
) -> ApiResult<Session> {
    let ident = identity.trim().to_string();
    let found = if ident.is_empty() || ident.len() > 254 {
        None
    } else {
        let ident = ident.clone();
        ctx.db.read(move |c| c.users().credentials(&ident)).await?
    };
    // Failures count per account, whichever of its email or username the
    // caller tried; an identity that names no account counts on its own.
    let key = match &found {
        Some((u, _)) => format!("login:user:{}", u.id),
        None => format!("login:identity:{}", ident.to_lowercase()),
    };
    // The attempt is reserved before the hash is checked and given back on
    // success, so parallel guesses cannot all pass a check made before any
    // of them is counted.
    let limited = ctx.limits.enabled;
    if limited {
        let d = ctx.limits.failed_login.check(&key);
        if !d.allowed {
            ctx.metrics.rate_limited("failed_login");
            return Err(ApiError::RateLimited {
                retry_after: d.retry_after,
            });
        }
    }
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    let verified = ctx.hasher.verify(password.clone(), hash.clone()).await;
    let ok = match verified {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing was judged: the attempt does not count.
            if limited {
                ctx.limits.failed_login.refund(&key);
            }
            return Err(e);
        }
    };
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => return Err(ApiError::Unauthorized(AuthFailure::InvalidCredentials)),
    };
    if limited {
        ctx.limits.failed_login.refund(&key);
    }
    let rehash = match hash {
        Some(h) if ctx.hasher.needs_rehash(&h) => Some(ctx.hasher.hash(password).await?),
        _ => None,
    };
    let life = lifetimes(ctx);
    let user_id = user.id.clone();
    let refresh = ctx
        .db
        .write(move |c| {
            if let Some(h) = rehash {
                c.users().set_password_hash(&user_id, &h)?;
            }
            store_refresh(c, &user_id, life, &meta, None)
        })
        .await?;
    tracing::info!(user_id = %user.id, "login");
    session(ctx, user, refresh)
}

enum Rotation {
    Rotated(User, String),
    Reused,
    Invalid,
}

/// Rotates a refresh token. A token presented twice revokes its family.
pub async fn refresh(ctx: &Ctx, token: &str, meta: ClientMeta) -> ApiResult<Session> {
    let hash = token_hash(token.trim());
    let life = lifetimes(ctx);
    let outcome = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let Some(row) = c.auth().refresh_by_hash(&hash)? else {
                return Ok(Rotation::Invalid);
            };
            if row.revoked_at.is_some() {
                return Ok(Rotation::Invalid);
            }
            if row.used_at.is_some() {
                c.auth().revoke_family(&row.family_id)?;
                return Ok(Rotation::Reused);
            }
            let now = crate::clock::now_string();
            if row.expires_at < now || row.family_expires_at < now {
                return Ok(Rotation::Invalid);
            }
            let user = match c.users().by_id(&row.user_id)? {
                Some(u) if !u.disabled => u,
                _ => return Ok(Rotation::Invalid),
            };
            c.auth().mark_used(&hash)?;
            let next = store_refresh(
                c,
                &user.id,
                life,
                &meta,
                Some((&row.family_id, &hash, &row.family_expires_at)),
            )?;
            Ok(Rotation::Rotated(user, next))
        })
        .await?;
    match outcome {
        Rotation::Rotated(user, next) => session(ctx, user, next),
        Rotation::Reused => {
            tracing::warn!("refresh token reuse detected; session family revoked");
            Err(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken))
        }
        Rotation::Invalid => Err(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken)),
    }
}

/// Ends the session the refresh token belongs to.
pub async fn logout(ctx: &Ctx, token: &str) -> ApiResult<()> {
    let hash = token_hash(token.trim());
    ctx.db
        .write(move |c| match c.auth().refresh_by_hash(&hash)? {
            Some(row) => Ok(c.auth().revoke_family(&row.family_id)?),
            None => Err(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken)),
        })
        .await
}
