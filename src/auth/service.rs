//! The rules of accounts and sessions: register, login, refresh with rotation
//! and reuse detection, logout, logout-all, password change, first-admin
//! setup. REST, GraphQL and the CLI call these; none of them re-checks a rule.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::Duration;

use super::principal::Principal;
use super::repo::{self, NewRefresh};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure, FieldError, Problems};
use crate::users::model::{new_id, Email, Role, User, Username};
use crate::users::{repo as users_repo, service as users_service};

/// Who is asking, for the session record.
#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A fresh access token and refresh token for a user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub username: String,
    pub password: String,
}

/// A new account's fields, validated together so every problem is reported.
pub fn validate_account(input: &NewAccount) -> ApiResult<(Email, Username)> {
    let mut problems = Problems::new();
    let email = problems.check(Email::parse(&input.email));
    let username = problems.check(Username::parse(&input.username));
    problems.check(super::password::check_strength(&input.password, "password"));
    problems.into_value(email.zip(username))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Lifetimes of refresh tokens, from config.
#[derive(Debug, Clone, Copy)]
struct Lifetimes {
    idle: Duration,
    absolute: Duration,
}

fn lifetimes(ctx: &Ctx) -> Lifetimes {
    Lifetimes {
        idle: Duration::days(i64::from(ctx.config.auth.refresh_idle_days)),
        absolute: Duration::days(i64::from(ctx.config.auth.refresh_absolute_days)),
    }
}

/// Starts a session family (or continues `family`) inside a write job;
/// returns the new refresh token.
fn store_refresh(
    conn: &rusqlite::Connection,
    user_id: &str,
    life: Lifetimes,
    meta: &ClientMeta,
    family: Option<(&str, &str, &str)>,
) -> ApiResult<String> {
    let token = random_token();
    let hash = token_hash(&token);
    let fresh_family = new_id();
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
    repo::insert_refresh(
        conn,
        &NewRefresh {
            token_hash: &hash,
            family_id,
            parent_hash: parent,
            user_id,
            expires_at,
            family_expires_at,
            user_agent: meta.user_agent.as_deref(),
            ip: meta.ip.as_deref(),
        },
    )?;
    Ok(token)
}

fn session(ctx: &Ctx, user: User, refresh_token: String) -> ApiResult<Session> {
    let (access_token, expires_in) = ctx.jwt.issue(&user.id, user.token_version)?;
    Ok(Session {
        user,
        access_token,
        refresh_token,
        expires_in,
    })
}

/// Creates an account with `role` and a first session, in one transaction.
async fn create_account(
    ctx: &Ctx,
    input: NewAccount,
    role: Role,
    meta: ClientMeta,
    only_if_no_admin: bool,
) -> ApiResult<Session> {
    let (email, username) = validate_account(&input)?;
    let hash = ctx.hasher.hash(input.password).await?;
    let life = lifetimes(ctx);
    let (user, refresh) = ctx
        .db
        .write(move |c| {
            if only_if_no_admin && users_repo::any_admin(c)? {
                return Err(ApiError::not_found("Setup"));
            }
            let user = users_service::insert_user(c, &email, &username, &hash, role)?;
            let refresh = store_refresh(c, &user.id, life, &meta, None)?;
            Ok((user, refresh))
        })
        .await?;
    session(ctx, user, refresh)
}

pub async fn register(ctx: &Ctx, input: NewAccount, meta: ClientMeta) -> ApiResult<Session> {
    let s = create_account(ctx, input, Role::User, meta, false).await?;
    tracing::info!(user_id = %s.user.id, "account registered");
    Ok(s)
}

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
        ctx.db
            .read(move |c| users_repo::credentials(c, &ident))
            .await?
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
                users_repo::set_password_hash(c, &user_id, &h)?;
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
        .write(move |c| {
            let Some(row) = repo::refresh_by_hash(c, &hash)? else {
                return Ok(Rotation::Invalid);
            };
            if row.revoked_at.is_some() {
                return Ok(Rotation::Invalid);
            }
            if row.used_at.is_some() {
                repo::revoke_family(c, &row.family_id)?;
                return Ok(Rotation::Reused);
            }
            let now = crate::clock::now_string();
            if row.expires_at < now || row.family_expires_at < now {
                return Ok(Rotation::Invalid);
            }
            let user = match users_repo::by_id(c, &row.user_id)? {
                Some(u) if !u.disabled => u,
                _ => return Ok(Rotation::Invalid),
            };
            repo::mark_used(c, &hash)?;
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
        .write(move |c| match repo::refresh_by_hash(c, &hash)? {
            Some(row) => repo::revoke_family(c, &row.family_id),
            None => Err(ApiError::Unauthorized(AuthFailure::InvalidRefreshToken)),
        })
        .await
}

fn require_user(who: &Principal) -> ApiResult<&str> {
    who.user_id()
        .ok_or_else(|| ApiError::Forbidden("Only a signed-in user can do this".into()))
}

/// Ends every session and invalidates every access token of the caller.
pub async fn logout_all(ctx: &Ctx, who: &Principal) -> ApiResult<()> {
    let id = require_user(who)?.to_string();
    end_all_sessions(ctx, &id).await
}

/// Revokes every session and access token of a user (also used by the admin
/// password reset and by disabling a user).
pub async fn end_all_sessions(ctx: &Ctx, user_id: &str) -> ApiResult<()> {
    let id = user_id.to_string();
    ctx.db
        .write(move |c| {
            users_repo::bump_token_version(c, &id)?;
            repo::revoke_user_sessions(c, &id)
        })
        .await?;
    ctx.caches.auth.invalidate(&user_id.to_string());
    Ok(())
}

pub async fn me(ctx: &Ctx, who: &Principal) -> ApiResult<User> {
    let id = require_user(who)?.to_string();
    ctx.db
        .read(move |c| users_repo::by_id(c, &id))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))
}

/// Changes the caller's password; every other session and every earlier
/// access token stop working, and the caller gets a fresh session.
pub async fn change_password(
    ctx: &Ctx,
    who: &Principal,
    current: String,
    new: String,
    meta: ClientMeta,
) -> ApiResult<Session> {
    let id = require_user(who)?.to_string();
    let lookup = id.clone();
    let stored = ctx
        .db
        .read(move |c| users_repo::password_hash(c, &lookup))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    let mut problems = Problems::new();
    if !ctx.hasher.verify(current.clone(), Some(stored)).await? {
        problems.push(FieldError::new("current_password", "is not correct"));
    }
    if let Err(e) = super::password::check_strength(&new, "new_password") {
        problems.push(e);
    } else if new == current {
        problems.push(FieldError::new(
            "new_password",
            "must differ from the current password",
        ));
    }
    problems.into_result()?;
    let hash = ctx.hasher.hash(new).await?;
    let life = lifetimes(ctx);
    let user_id = id.clone();
    let (user, refresh) = ctx
        .db
        .write(move |c| {
            users_repo::set_password_hash(c, &user_id, &hash)?;
            users_repo::bump_token_version(c, &user_id)?;
            repo::revoke_user_sessions(c, &user_id)?;
            let user =
                users_repo::by_id(c, &user_id)?.ok_or_else(|| ApiError::not_found("User"))?;
            let refresh = store_refresh(c, &user_id, life, &meta, None)?;
            Ok((user, refresh))
        })
        .await?;
    ctx.caches.auth.invalidate(&id);
    tracing::info!(user_id = %id, "password changed; other sessions ended");
    session(ctx, user, refresh)
}

/// Creates the first admin with the one-time setup token.
pub async fn setup_admin(
    ctx: &Ctx,
    token: &str,
    input: NewAccount,
    meta: ClientMeta,
) -> ApiResult<Session> {
    if ctx.db.read(users_repo::any_admin).await? {
        return Err(ApiError::not_found("Setup"));
    }
    if !ctx.setup.check(token) {
        return Err(ApiError::Unauthorized(AuthFailure::InvalidToken));
    }
    let s = create_account(ctx, input, Role::Admin, meta, true).await?;
    ctx.setup.consume();
    tracing::info!(user_id = %s.user.id, "first admin created through setup");
    Ok(s)
}

/// At startup: when no admin exists, create one from `FOLIO_ADMIN_*` or
/// print a one-time setup link.
pub async fn bootstrap_admin(ctx: &Ctx, public_url: &str) -> ApiResult<()> {
    if ctx.db.read(users_repo::any_admin).await? {
        return Ok(());
    }
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("FOLIO_ADMIN_EMAIL"),
        var("FOLIO_ADMIN_USERNAME"),
        var("FOLIO_ADMIN_PASSWORD"),
    ) {
        (Some(email), Some(username), Some(password)) => {
            let s = create_admin(
                ctx,
                NewAccount {
                    email,
                    username,
                    password,
                },
            )
            .await?;
            tracing::info!(user_id = %s.id, username = %s.username, "first admin created from FOLIO_ADMIN_* variables");
        }
        (None, None, None) => {
            let token = ctx.setup.issue();
            tracing::warn!(
                setup_url = %format!("{public_url}/admin/#/setup?token={token}"),
                "no admin exists yet: open the setup link within one hour to create the first admin (or use `folio admin create`)"
            );
        }
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
            "FOLIO_ADMIN_*",
            "set all of FOLIO_ADMIN_EMAIL, FOLIO_ADMIN_USERNAME and FOLIO_ADMIN_PASSWORD, or none",
        )]))
        }
    }
    Ok(())
}

/// Creates an admin account without a session (CLI, bootstrap).
pub async fn create_admin(ctx: &Ctx, input: NewAccount) -> ApiResult<User> {
    let (email, username) = validate_account(&input)?;
    let hash = ctx.hasher.hash(input.password).await?;
    ctx.db
        .write(move |c| users_service::insert_user(c, &email, &username, &hash, Role::Admin))
        .await
}

/// Sets a user's password (admin reset) and ends their sessions.
pub async fn reset_password(ctx: &Ctx, user_id: &str, password: String) -> ApiResult<()> {
    super::password::check_strength(&password, "password")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hash = ctx.hasher.hash(password).await?;
    let id = user_id.to_string();
    ctx.db
        .write(move |c| {
            users_repo::set_password_hash(c, &id, &hash)?;
            users_repo::bump_token_version(c, &id)?;
            repo::revoke_user_sessions(c, &id)
        })
        .await?;
    ctx.caches.auth.invalidate(&user_id.to_string());
    Ok(())
}

/// Deletes expired refresh tokens (run periodically).
pub async fn purge_expired(ctx: &Ctx) -> ApiResult<usize> {
    // A read first: an idle server opens no write transaction (and keeps
    // its cached responses, which any commit retires).
    let now = crate::clock::now_string();
    let at = now.clone();
    if !ctx
        .db
        .read(move |c| repo::any_expired_refresh(c, &at))
        .await?
    {
        return Ok(0);
    }
    ctx.db
        .write(move |c| repo::delete_expired_refresh(c, &now))
        .await
}
