//! Refresh tokens: made at random, stored only as their hash, with an idle
//! and an absolute lifetime, and purged once expired.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::Duration;

use super::ClientMeta;
use crate::auth::repo::NewRefresh;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::ApiResult;
use crate::ids::{new_uuid, UserId};

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Lifetimes of refresh tokens, from config.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lifetimes {
    idle: Duration,
    absolute: Duration,
}

pub(super) fn lifetimes(ctx: &Ctx) -> Lifetimes {
    Lifetimes {
        idle: Duration::days(i64::from(ctx.config.auth.refresh_idle_days)),
        absolute: Duration::days(i64::from(ctx.config.auth.refresh_absolute_days)),
    }
}

/// Starts a session family (or continues `family`) inside a write job;
/// returns the new refresh token.
pub(super) fn store_refresh(
    tx: &mut Tx<'_>,
    user_id: &UserId,
    life: Lifetimes,
    meta: &ClientMeta,
    family: Option<(&str, &str, &str)>,
) -> ApiResult<String> {
    let token = random_token();
    let hash = token_hash(&token);
    let fresh_family = new_uuid();
    let fresh_expiry = crate::clock::in_future(life.absolute);
    let (family_id, parent, family_expires_at) = match family {
        Some((id, parent, until)) => (id, Some(parent), until),
        None => (fresh_family.as_str(), None, fresh_expiry.as_str()),
    };
    let idle = crate::clock::in_future(life.idle);
    let expires_at = if idle.as_str() < family_expires_at {
        idle.as_str()
    } else {
        family_expires_at
    };
    tx.auth().insert_refresh(&NewRefresh {
        token_hash: &hash,
        family_id,
        parent_hash: parent,
        user_id,
        expires_at,
        family_expires_at,
        user_agent: meta.user_agent.as_deref(),
        ip: meta.ip.as_deref(),
    })?;
    Ok(token)
}

/// Deletes expired refresh tokens (run periodically).
pub async fn purge_expired(ctx: &Ctx) -> ApiResult<usize> {
    // A read first: an idle server opens no write transaction (and keeps
    // its cached responses, which any commit retires).
    let now = crate::clock::now_string();
    let at = now.clone();
    if !ctx
        .db
        .read(move |c| c.auth().any_expired_refresh(&at))
        .await?
    {
        return Ok(0);
    }
    Ok(ctx
        .db
        .write(move |c| c.auth().delete_expired_refresh(&now))
        .await?)
}
