//! `/api/posts` and `/api/search` routes: thin adapters over the services.

use rocket::http::Status;
use rocket::{delete, get, patch, post, routes, Route, State};

use super::model::PostKey;
use super::params::{PostList, RawPostList};
use super::service::{self, CreatePost, UpdatePost};
use crate::auth::guards::Caller;
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::etag::{Created, Preconditions, RawJson, Tagged};
use crate::ids::PostId;

#[get("/posts?<page>&<limit>&<cursor>&<author_id>&<published>&<sort>")]
#[allow(clippy::too_many_arguments)]
async fn list(
    ctx: &State<Ctx>,
    caller: Caller,
    page: Option<&str>,
    limit: Option<&str>,
    cursor: Option<&str>,
    author_id: Option<&str>,
    published: Option<&str>,
    sort: Option<&str>,
) -> ApiResult<RawJson> {
    let query = PostList::parse(RawPostList {
        page,
        limit,
        cursor,
        author_id,
        published,
        sort,
    })?;
    let body = service::list_body(ctx, caller.0.as_ref(), &query).await?;
    Ok(RawJson(body))
}

#[get("/posts/<key>")]
async fn get_one(
    ctx: &State<Ctx>,
    caller: Caller,
    key: &str,
    pre: Preconditions,
) -> ApiResult<Tagged> {
    let p = service::get(ctx, caller.0.as_ref(), &PostKey::parse(key)).await?;
    Ok(Tagged::with_etag(p.body.clone(), p.etag.clone(), &pre))
}

#[post("/posts", data = "<body>")]
async fn create(
    ctx: &State<Ctx>,
    who: Principal,
    body: JsonBody<CreatePost>,
) -> ApiResult<Created> {
    let post = service::create(ctx, &who, body.into_inner()).await?;
    Ok(Created {
        location: format!("/api/posts/{}", post.id),
        body: post.body(),
    })
}

#[patch("/posts/<id>", data = "<body>")]
async fn update(
    ctx: &State<Ctx>,
    who: Principal,
    id: &str,
    body: JsonBody<UpdatePost>,
    pre: Preconditions,
) -> ApiResult<Tagged> {
    let post = service::update(ctx, &who, &post_id(id)?, body.into_inner(), &pre).await?;
    Ok(Tagged::new(post.body(), &Preconditions::default()))
}

#[post("/posts/<id>/publish")]
async fn publish(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<RawJson> {
    let post = service::set_published(ctx, &who, &post_id(id)?, true).await?;
    Ok(RawJson(post.body()))
}

#[post("/posts/<id>/unpublish")]
async fn unpublish(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<RawJson> {
    let post = service::set_published(ctx, &who, &post_id(id)?, false).await?;
    Ok(RawJson(post.body()))
}

#[delete("/posts/<id>")]
async fn remove(ctx: &State<Ctx>, who: Principal, id: &str) -> ApiResult<Status> {
    service::delete(ctx, &who, &post_id(id)?).await?;
    Ok(Status::NoContent)
}

#[get("/search?<q>&<page>&<limit>")]
async fn search(
    ctx: &State<Ctx>,
    _caller: Caller,
    q: Option<&str>,
    page: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<RawJson> {
    Ok(RawJson(super::search::search(ctx, q, page, limit).await?))
}

/// A path's post id; one that is not a UUID names no post.
fn post_id(raw: &str) -> ApiResult<PostId> {
    PostId::parse(raw).ok_or_else(|| ApiError::not_found("Post"))
}

pub fn routes() -> Vec<Route> {
    routes![list, get_one, create, update, publish, unpublish, remove, search]
}
