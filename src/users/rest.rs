//! `/api/users` routes: thin adapters over the users and posts services.

use rocket::http::Status;
use rocket::{delete, get, patch, post, routes, Route, State};
use serde_json::json;

use super::params::UserList;
use super::service::{self, CreateUser, UpdateUser};
use crate::auth::guards::Caller;
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::etag::{Created, Preconditions, RawJson, Tagged};
use crate::ids::UserId;
use crate::posts::params::{PostList, RawPostList};
use crate::posts::service as posts;

#[get("/users?<page>&<limit>&<search>&<sort>")]
async fn list(
    ctx: &State<Ctx>,
    who: Principal,
    page: Option<&str>,
    limit: Option<&str>,
    search: Option<&str>,
    sort: Option<&str>,
) -> ApiResult<RawJson> {
    let query = UserList::parse(page, limit, search, sort)?;
    let (users, total) = service::list(ctx, &who, &query).await?;
    let items: Vec<_> = users.iter().map(|u| service::view(Some(&who), u)).collect();
    Ok(RawJson(
        json!({"users": items, "pagination": query.page.json(total)}).to_string(),
    ))
}

#[post("/users", data = "<body>")]
async fn create(
    ctx: &State<Ctx>,
    who: Principal,
    body: JsonBody<CreateUser>,
) -> ApiResult<Created> {
    let user = service::create(ctx, &who, body.into_inner()).await?;
    Ok(Created {
        location: format!("/api/users/{}", user.id),
        body: json!({"user": service::view(Some(&who), &user)}).to_string(),
    })
}

#[get("/users/<id>")]
async fn get_one(
    ctx: &State<Ctx>,
    who: Principal,
    id: &str,
    pre: Preconditions,
) -> ApiResult<Tagged> {
    let user = service::get(ctx, &user_id(id)?).await?;
    let (body, etag) = service::body_and_etag(Some(&who), &user);
    Ok(Tagged::with_etag(body, etag, &pre))
}

#[patch("/users/<id>", data = "<body>")]
async fn update(
    ctx: &State<Ctx>,
    who: Principal,
    id: &str,
    body: JsonBody<UpdateUser>,
    pre: Preconditions,
) -> ApiResult<Tagged> {
    let input = body.into_inner();
    let user = service::update(ctx, &who, &user_id(id)?, input, pre.if_match.clone()).await?;
    let (body, etag) = service::body_and_etag(Some(&who), &user);
    Ok(Tagged::with_etag(body, etag, &Preconditions::default()))
}

#[delete("/users/<id>")]
async fn remove(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Status> {
    service::delete(ctx, &who, &user_id(id)?).await?;
    Ok(Status::NoContent)
}

#[get("/users/<id>/posts?<page>&<limit>&<cursor>&<published>&<sort>")]
#[allow(clippy::too_many_arguments)]
async fn posts_of(
    ctx: &State<Ctx>,
    caller: Caller,
    id: &str,
    page: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
    published: Option<&str>,
    sort: Option<&str>,
) -> ApiResult<RawJson> {
    let user = service::get(ctx, &user_id(id)?).await?;
    let query = PostList::parse(RawPostList {
        page,
        limit,
        cursor,
        author_id: Some(&user.id),
        published,
        sort,
    })?;
    let page = posts::list(ctx, caller.0.as_ref(), &query).await?;
    Ok(RawJson(page.body()))
}

/// A path's user id; one that is not a UUID names nobody.
fn user_id(raw: &str) -> ApiResult<UserId> {
    UserId::parse(raw).ok_or_else(|| ApiError::not_found("User"))
}

pub fn routes() -> Vec<Route> {
    routes![list, create, get_one, update, remove, posts_of]
}
