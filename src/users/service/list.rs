//! Listing users: search, sort and pages, with private fields only for
//! callers allowed to see them.

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::users::model::User;
use crate::users::params::UserList;

/// `GET /api/users` and GraphQL's `users`: any authenticated caller;
/// emails are searched only for callers who may see them. The page's users
/// and the total.
pub async fn list(ctx: &Ctx, who: &Principal, query: &UserList) -> ApiResult<(Vec<User>, u64)> {
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
