//! Listing users: search, sort and pages, with private fields only for
//! callers allowed to see them.

use serde_json::{json, Value};

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::users::model::User;
use crate::users::params::UserList;

use super::*;

/// `GET /api/users`: any authenticated caller; emails are searched only for
/// callers who may see them.
pub async fn list(ctx: &Ctx, who: &Principal, query: &UserList) -> ApiResult<Value> {
    let (users, total) = list_users(ctx, who, query).await?;
    let items: Vec<Value> = users.iter().map(|u| view(Some(who), u)).collect();
    Ok(json!({"users": items, "pagination": query.page.json(total)}))
}

/// The users of a list request and the total.
pub async fn list_users(
    ctx: &Ctx,
    who: &Principal,
    query: &UserList,
) -> ApiResult<(Vec<User>, u64)> {
    let with_email = who.can_read_all();
    let search = query.search.clone();
    let (sort, limit, offset) = (query.sort, query.page.limit, query.offset_or_page());
    ctx.db
        .read(move |c| -> ApiResult<_> {
            let s = search.as_deref();
            Ok((
                c.users().list(s, with_email, sort, limit, offset)?,
                c.users().count(s, with_email)?,
            ))
        })
        .await
}
