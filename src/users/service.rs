//! The rules for users. Every write records its event in the same
//! transaction and invalidates the caches it touched after commit.

use rusqlite::Connection;

use super::model::{new_id, Email, Role, User, Username};
use super::repo::{self, NewUser};
use crate::error::ApiResult;
use crate::events::outbox;

/// Inserts a user and records `user.created`, inside a write job.
pub fn insert_user(
    conn: &Connection,
    email: &Email,
    username: &Username,
    password_hash: &str,
    role: Role,
) -> ApiResult<User> {
    let id = new_id();
    let user = repo::insert(
        conn,
        &NewUser {
            id: &id,
            username: username.as_str(),
            email: email.as_str(),
            password_hash,
            role,
        },
    )?;
    outbox::record(conn, "user.created", &user.private_json())?;
    Ok(user)
}

/// Makes a user an admin (CLI `folio admin promote`), recording `user.updated`.
pub async fn promote(ctx: &crate::ctx::Ctx, key: &str) -> ApiResult<User> {
    let key = key.to_string();
    let user = ctx
        .db
        .write(move |c| {
            let user =
                repo::find(c, &key)?.ok_or_else(|| crate::error::ApiError::not_found("User"))?;
            repo::set_role(c, &user.id, Role::Admin)?;
            let user = repo::by_id(c, &user.id)?
                .ok_or_else(|| crate::error::ApiError::not_found("User"))?;
            outbox::record(c, "user.updated", &user.private_json())?;
            Ok(user)
        })
        .await?;
    ctx.caches.auth.invalidate(&user.id);
    Ok(user)
}
