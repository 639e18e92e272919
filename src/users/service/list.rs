//! Listing users: search, sort and pages, with private fields only for
//! callers allowed to see them.

use serde_json::{json, Value};

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiResult, FieldError, Problems};
use crate::users::model::User;
use crate::users::repo::UserSort;
use crate::values::page::Page;

use super::*;

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
