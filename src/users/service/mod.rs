//! The rules for users: who may see and change what, validation, the last
//! admin, events in the same transaction, cache invalidation after commit.

mod list;
mod write;

pub use list::*;
pub use write::*;

use serde_json::{json, Value};

use super::model::{Email, Role, User, Username};
use super::repo::NewUser;
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{ApiError, ApiResult};
use crate::events::outbox;
use crate::ids::UserId;
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
    let id = UserId::new();
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
    except_id: Option<&UserId>,
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
pub fn sees_private(viewer: Option<&Principal>, user_id: &UserId) -> bool {
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
pub fn invalidate(ctx: &Ctx, user_id: &UserId, name_changed: bool) {
    ctx.caches.forget_user(user_id);
    if name_changed {
        ctx.caches.invalidate_posts_all();
    }
}

/// A user by id (through the cache); `404` for malformed or unknown ids.
pub async fn get(ctx: &Ctx, id: &UserId) -> ApiResult<User> {
    let ticket = match ctx.caches.users.get(id) {
        Ok(u) => return Ok(u),
        Err(t) => t,
    };
    let key = id.clone();
    let user = ctx
        .db
        .read(move |c| c.users().by_id(&key))
        .await?
        .ok_or_else(|| ApiError::not_found("User"))?;
    ctx.caches.users.insert(ticket, id.clone(), user.clone());
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::apikeys::Scopes;

    #[test]
    fn private_fields_visibility() {
        let (u1, u2) = (UserId::new(), UserId::new());
        let me = Principal::User {
            id: u1.clone(),
            role: Role::User,
        };
        let key = Principal::ApiKey {
            id: "k".into(),
            scopes: Scopes::new(true, false, false),
        };
        assert!(sees_private(Some(&me), &u1));
        assert!(!sees_private(Some(&me), &u2));
        assert!(sees_private(Some(&key), &u2));
        assert!(!sees_private(None, &u1));
    }
}
