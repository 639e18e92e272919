//! Ending sessions: logout everywhere, and the password changes that end
//! every other session and access token of the user.

use super::tokens::{lifetimes, store_refresh};
use super::{require_user, session, ClientMeta, Session};
use crate::auth::principal::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, FieldError, Problems};
use crate::ids::UserId;

/// Ends every session and invalidates every access token of the caller.
pub async fn logout_all(ctx: &Ctx, who: &Principal) -> ApiResult<()> {
    let id = require_user(who)?.clone();
    end_all_sessions(ctx, &id).await
}

/// Revokes every session and access token of a user (also used by the admin
/// password reset and by disabling a user).
pub async fn end_all_sessions(ctx: &Ctx, user_id: &UserId) -> ApiResult<()> {
    let id = user_id.clone();
    ctx.db
        .write(move |c| {
            c.users().bump_token_version(&id)?;
            c.auth().revoke_user_sessions(&id)
        })
        .await?;
    ctx.caches.auth.invalidate(user_id);
    Ok(())
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
    let id = require_user(who)?.clone();
    let lookup = id.clone();
    let stored = ctx
        .db
        .read(move |c| c.users().password_hash(&lookup))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    let mut problems = Problems::new();
    if !ctx.hasher.verify(current.clone(), Some(stored)).await? {
        problems.push(FieldError::new("current_password", "is not correct"));
    }
    if let Err(e) = crate::auth::password::check_strength(&new, "new_password") {
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
        .write(move |c| -> ApiResult<_> {
            c.users().set_password_hash(&user_id, &hash)?;
            c.users().bump_token_version(&user_id)?;
            c.auth().revoke_user_sessions(&user_id)?;
            let user = c
                .users()
                .by_id(&user_id)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            let refresh = store_refresh(c, &user_id, life, &meta, None)?;
            Ok((user, refresh))
        })
        .await?;
    ctx.caches.auth.invalidate(&id);
    tracing::info!(user_id = %id, "password changed; other sessions ended");
    session(ctx, user, refresh)
}

/// Sets a user's password (admin reset) and ends their sessions.
pub async fn reset_password(ctx: &Ctx, user_id: &UserId, password: String) -> ApiResult<()> {
    crate::auth::password::check_strength(&password, "password")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let hash = ctx.hasher.hash(password).await?;
    let id = user_id.clone();
    ctx.db
        .write(move |c| {
            c.users().set_password_hash(&id, &hash)?;
            c.users().bump_token_version(&id)?;
            c.auth().revoke_user_sessions(&id)
        })
        .await?;
    ctx.caches.auth.invalidate(user_id);
    Ok(())
}
