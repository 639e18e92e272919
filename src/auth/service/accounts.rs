//! Creating accounts: registration, the first admin (setup link, environment
//! or CLI), and the caller's own account.

use super::tokens::{lifetimes, store_refresh};
use super::{require_user, session, validate_account, ClientMeta, NewAccount, Session};
use crate::auth::principal::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure, FieldError};
use crate::users::model::{Role, User};
use crate::users::service as users_service;

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
            if only_if_no_admin && c.users().any_admin()? {
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

pub async fn me(ctx: &Ctx, who: &Principal) -> ApiResult<User> {
    let id = require_user(who)?.clone();
    ctx.db
        .read(move |c| c.users().by_id(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))
}

/// Creates the first admin with the one-time setup token.
pub async fn setup_admin(
    ctx: &Ctx,
    token: &str,
    input: NewAccount,
    meta: ClientMeta,
) -> ApiResult<Session> {
    if ctx.db.read(|c| c.users().any_admin()).await? {
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
    if ctx.db.read(|c| c.users().any_admin()).await? {
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
