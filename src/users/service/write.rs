//! Changing users: create, update (with the last-admin rule), delete and
//! promote, each recording its events in the same transaction.

use serde_json::json;

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{ApiError, ApiResult, Problems};
use crate::events::outbox;
use crate::ids::UserId;
use crate::users::model::{Email, Role, User, Username};

use super::*;

/// The JSON body of the REST call, and GraphQL's input.
#[derive(serde::Deserialize)]
pub struct CreateUser {
    pub email: String,
    pub username: String,
    pub password: String,
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// `POST /api/users`: admins and `write` keys; `role` and `disabled` only
/// from admins (ignored for others).
pub async fn create(ctx: &Ctx, who: &Principal, input: CreateUser) -> ApiResult<User> {
    if !who.can_write_all() {
        return Err(ApiError::forbidden());
    }
    let account = crate::auth::service::NewAccount {
        email: input.email,
        username: input.username,
        password: input.password,
    };
    let mut problems = Problems::new();
    let validated = problems.check_all(crate::auth::service::validate_account(&account));
    let role = match input.role.as_deref() {
        Some(r) if who.is_admin() => problems.check(Role::parse(r)),
        _ => Some(Role::User),
    };
    let ((email, username), role) = problems.into_value(validated.zip(role))?;
    let disabled = who.is_admin() && input.disabled == Some(true);
    let hash = ctx.hasher.hash(account.password).await?;
    ctx.db
        .write(move |c| insert_user_as(c, &email, &username, &hash, role, disabled))
        .await
}

/// The JSON body of the REST call, and GraphQL's input.
#[derive(Debug, Default, serde::Deserialize)]
pub struct UpdateUser {
    pub username: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Refuses to leave the database without an enabled admin.
fn guard_last_admin(c: &mut Tx<'_>, target: &User, losing_admin: bool) -> ApiResult<()> {
    if losing_admin
        && target.role == Role::Admin
        && !target.disabled
        && c.users().count_active_admins()? <= 1
    {
        return Err(ApiError::Conflict(
            "This is the last enabled admin; promote another admin first".into(),
        ));
    }
    Ok(())
}

/// `PATCH /api/users/{id}`: the user itself, admins, `write` keys; `role`
/// and `disabled` only from admins (ignored for others).
pub async fn update(
    ctx: &Ctx,
    who: &Principal,
    id: &UserId,
    input: UpdateUser,
    if_match: Option<String>,
) -> ApiResult<User> {
    if !(who.can_write_all() || who.is_user(id)) {
        // Existence is not hidden from authenticated callers (users are listable).
        get(ctx, id).await?;
        return Err(ApiError::forbidden());
    }
    let mut problems = Problems::new();
    let username = problems.check_optional(input.username.as_deref().map(Username::parse));
    let email = problems.check_optional(input.email.as_deref().map(Email::parse));
    let (role, disabled) = if who.is_admin() {
        let role = problems.check_optional(input.role.as_deref().map(Role::parse));
        (role, input.disabled)
    } else {
        (None, None)
    };
    problems.into_result()?;
    let viewer = who.clone();
    let target_id = id.clone();
    let (user, name_changed) = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let before = c
                .users()
                .by_id(&target_id)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            if let Some(tag) = &if_match {
                let (_, current) = body_and_etag(Some(&viewer), &before);
                crate::values::version::Preconditions {
                    if_none_match: None,
                    if_match: Some(tag.clone()),
                }
                .check_if_match(&current)?;
            }
            let losing = role == Some(Role::User) || disabled == Some(true);
            guard_last_admin(c, &before, losing)?;
            ensure_unique(
                c,
                username.as_ref().map(Username::as_str),
                email.as_ref().map(Email::as_str),
                Some(&target_id),
            )?;
            c.users().set_profile(
                &target_id,
                username.as_ref().map(Username::as_str),
                email.as_ref().map(Email::as_str),
            )?;
            if let Some(r) = role {
                c.users().set_role(&target_id, r)?;
            }
            if let Some(d) = disabled {
                if d != before.disabled {
                    c.users().set_disabled(&target_id, d)?;
                    if d {
                        c.auth().revoke_user_sessions(&target_id)?;
                    }
                }
            }
            let after = c
                .users()
                .by_id(&target_id)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            let changed = after.username != before.username
                || after.email != before.email
                || after.role != before.role
                || after.disabled != before.disabled;
            if changed {
                outbox::record(c, "user.updated", &after.private_json())?;
            }
            let renamed = after.username != before.username;
            Ok((after, renamed))
        })
        .await?;
    invalidate(ctx, id, name_changed);
    Ok(user)
}

/// `DELETE /api/users/{id}`: the user itself, admins, `admin` keys. The
/// user's posts go too (one `post.deleted` each, then `user.deleted`).
pub async fn delete(ctx: &Ctx, who: &Principal, id: &UserId) -> ApiResult<()> {
    if !(who.is_admin() || who.is_user(id)) {
        get(ctx, id).await?;
        return Err(ApiError::forbidden());
    }
    let target = id.clone();
    let slugs = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let user = c
                .users()
                .by_id(&target)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            guard_last_admin(c, &user, true)?;
            let posts = c.posts().ids_by_author(&target)?;
            for (post_id, _) in &posts {
                let post = c.posts().by_id(post_id)?;
                c.posts().delete(post_id)?;
                if let Some(post) = post {
                    crate::posts::service::record_deleted(c, &post)?;
                }
            }
            c.users().delete(&target)?;
            outbox::record(c, "user.deleted", &json!({"id": target}))?;
            Ok(posts)
        })
        .await?;
    invalidate(ctx, id, true);
    for (post_id, slug) in slugs {
        ctx.caches.forget_post(&post_id, &slug);
    }
    tracing::info!(user_id = %id, "user deleted");
    Ok(())
}

/// Makes a user an admin (CLI `folio admin promote`), recording `user.updated`.
pub async fn promote(ctx: &Ctx, key: &str) -> ApiResult<User> {
    let key = key.to_string();
    let user = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let user = c
                .users()
                .find(&key)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            c.users().set_role(&user.id, Role::Admin)?;
            let user = c
                .users()
                .by_id(&user.id)?
                .ok_or_else(|| ApiError::not_found("User"))?;
            outbox::record(c, "user.updated", &user.private_json())?;
            Ok(user)
        })
        .await?;
    invalidate(ctx, &user.id, false);
    Ok(user)
}
