//! The rules for users: who may see and change what, validation, the last
//! admin, events in the same transaction, cache invalidation after commit.

use serde_json::{json, Value};

use super::model::{new_id, parse_id, Email, Role, User, Username};
use super::repo::{NewUser, UserSort};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{ApiError, ApiResult, FieldError, Problems};
use crate::events::outbox;
use crate::values::page::Page;
use crate::values::version::etag_of;

/// Inserts a user and records `user.created`, inside a write job.
pub fn insert_user(
    conn: &mut Tx<'_>,
    email: &Email,
    username: &Username,
    password_hash: &str,
    role: Role,
) -> ApiResult<User> {
    insert_user_as(conn, email, username, password_hash, role, false)
}

/// [`insert_user`], optionally disabled from the start; `user.created`
/// carries the state the user was created in.
fn insert_user_as(
    conn: &mut Tx<'_>,
    email: &Email,
    username: &Username,
    password_hash: &str,
    role: Role,
    disabled: bool,
) -> ApiResult<User> {
    let id = new_id();
    ensure_unique(conn, Some(username.as_str()), Some(email.as_str()), None)?;
    let mut user = conn.users().insert(&NewUser {
        id: &id,
        username: username.as_str(),
        email: email.as_str(),
        password_hash,
        role,
    })?;
    if disabled {
        conn.users().set_disabled(&id, true)?;
        user = conn
            .users()
            .by_id(&id)?
            .ok_or_else(|| ApiError::internal("inserted user vanished"))?;
    }
    outbox::record(conn, "user.created", &user.private_json())?;
    Ok(user)
}

/// Refuses a taken username or email with a `409` that says which.
pub fn ensure_unique(
    tx: &mut Tx<'_>,
    username: Option<&str>,
    email: Option<&str>,
    except_id: Option<&str>,
) -> ApiResult<()> {
    if let Some(name) = username {
        if tx.users().username_taken(name, except_id)? {
            return Err(ApiError::Conflict("That username is already taken".into()));
        }
    }
    if let Some(email) = email {
        if tx.users().email_taken(email, except_id)? {
            return Err(ApiError::Conflict(
                "That email is already registered".into(),
            ));
        }
    }
    Ok(())
}

/// May `viewer` see `user`'s private fields (email, role, disabled)?
pub fn sees_private(viewer: Option<&Principal>, user_id: &str) -> bool {
    viewer.is_some_and(|p| p.can_read_all() || p.is_user(user_id))
}

/// The user as `viewer` may see it.
pub fn view(viewer: Option<&Principal>, user: &User) -> Value {
    if sees_private(viewer, &user.id) {
        user.private_json()
    } else {
        user.public_json()
    }
}

/// The body of `GET /api/users/{id}` for `viewer`, and its ETag.
pub fn body_and_etag(viewer: Option<&Principal>, user: &User) -> (String, String) {
    let body = json!({"user": view(viewer, user)}).to_string();
    let etag = etag_of(&body);
    (body, etag)
}

/// Forgets everything cached about a user (and the posts showing its name).
pub fn invalidate(ctx: &Ctx, user_id: &str, name_changed: bool) {
    ctx.caches.forget_user(user_id);
    if name_changed {
        ctx.caches.invalidate_posts_all();
    }
}

/// A user by id (through the cache); `404` for malformed or unknown ids.
pub async fn get(ctx: &Ctx, raw_id: &str) -> ApiResult<User> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("User"))?;
    let ticket = match ctx.caches.users.get(&id) {
        Ok(u) => return Ok(u),
        Err(t) => t,
    };
    let key = id.clone();
    let user = ctx
        .db
        .read(move |c| c.users().by_id(&key))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    ctx.caches.users.insert(ticket, id, user.clone());
    Ok(user)
}

pub struct ListParams<'a> {
    pub page: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub search: Option<&'a str>,
    pub sort: Option<&'a str>,
    /// A raw offset (GraphQL's `offset`), instead of `page`.
    pub offset: Option<u64>,
}

/// `GET /api/users`: any authenticated caller; emails are searched only for
/// callers who may see them.
pub async fn list(ctx: &Ctx, who: &Principal, params: ListParams<'_>) -> ApiResult<Value> {
    let (users, page, total) = list_users(ctx, who, params).await?;
    let items: Vec<Value> = users.iter().map(|u| view(Some(who), u)).collect();
    Ok(json!({"users": items, "pagination": page.json(total)}))
}

/// The users of a list request, its page and the total.
pub async fn list_users(
    ctx: &Ctx,
    who: &Principal,
    params: ListParams<'_>,
) -> ApiResult<(Vec<User>, Page, u64)> {
    let mut problems = Problems::new();
    let page = problems.check_all(Page::parse(params.page, params.limit));
    let sort = match params.sort.map(str::trim) {
        None | Some("-created_at") => UserSort::CreatedDesc,
        Some("created_at") => UserSort::CreatedAsc,
        Some("username") => UserSort::UsernameAsc,
        Some("-username") => UserSort::UsernameDesc,
        Some(_) => {
            problems.push(FieldError::new(
                "sort",
                "must be one of username, -username, created_at, -created_at",
            ));
            UserSort::CreatedDesc
        }
    };
    let search = params.search.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 255) {
        problems.push(FieldError::new("search", "must be at most 255 characters"));
    }
    let page = problems.into_value(page)?;
    let with_email = who.can_read_all();
    let search = search.map(str::to_string);
    let offset = params.offset.unwrap_or_else(|| page.offset());
    let (users, total) = ctx
        .db
        .read(move |c| -> ApiResult<_> {
            let s = search.as_deref();
            Ok((
                c.users().list(s, with_email, sort, page.limit, offset)?,
                c.users().count(s, with_email)?,
            ))
        })
        .await?;
    Ok((users, page, total))
}

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

#[derive(Debug, Default)]
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
    raw_id: &str,
    input: UpdateUser,
    if_match: Option<String>,
) -> ApiResult<User> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("User"))?;
    if !(who.can_write_all() || who.is_user(&id)) {
        // Existence is not hidden from authenticated callers (users are listable).
        get(ctx, &id).await?;
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
    invalidate(ctx, &id, name_changed);
    Ok(user)
}

/// `DELETE /api/users/{id}`: the user itself, admins, `admin` keys. The
/// user's posts go too (one `post.deleted` each, then `user.deleted`).
pub async fn delete(ctx: &Ctx, who: &Principal, raw_id: &str) -> ApiResult<()> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("User"))?;
    if !(who.is_admin() || who.is_user(&id)) {
        get(ctx, &id).await?;
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
    invalidate(ctx, &id, true);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::apikeys::Scopes;

    #[test]
    fn private_fields_visibility() {
        let me = Principal::User {
            id: "u1".into(),
            role: Role::User,
        };
        let key = Principal::ApiKey {
            id: "k".into(),
            scopes: Scopes::new(true, false, false),
        };
        assert!(sees_private(Some(&me), "u1"));
        assert!(!sees_private(Some(&me), "u2"));
        assert!(sees_private(Some(&key), "u2"));
        assert!(!sees_private(None, "u1"));
    }
}
