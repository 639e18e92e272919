//! The rules of accounts and sessions: register, login, refresh with rotation
//! and reuse detection, logout, logout-all, password change, first-admin
//! setup. REST, GraphQL and the CLI call these; none of them re-checks a rule.
//!
//! Each concern has a file: creating accounts, signing in and out, ending
//! sessions, and the refresh tokens they share; this file holds the types
//! they take and return.

use super::principal::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Problems};
use crate::ids::UserId;
use crate::users::model::{Email, User, Username};

mod accounts;
mod login;
mod sessions;
mod tokens;

pub use accounts::{bootstrap_admin, create_admin, me, register, setup_admin};
pub use login::{login, logout, refresh};
pub use sessions::{change_password, end_all_sessions, logout_all, reset_password};
pub use tokens::purge_expired;

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

fn session(ctx: &Ctx, user: User, refresh_token: String) -> ApiResult<Session> {
    let (access_token, expires_in) = ctx.jwt.issue(&user.id, user.token_version)?;
    Ok(Session {
        user,
        access_token,
        refresh_token,
        expires_in,
    })
}

fn require_user(who: &Principal) -> ApiResult<&UserId> {
    who.user_id()
        .ok_or_else(|| ApiError::Forbidden("Only a signed-in user can do this".into()))
}
