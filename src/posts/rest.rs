//! `/api/posts` and `/api/search` routes: thin adapters over the services.

use std::sync::Arc;

use rocket::http::Status;
use rocket::{delete, get, patch, post, routes, Route, State};

use super::cached::FeedEntry;
use super::model::PostKey;
use super::params::{Paging, PostList, RawPostList};
use super::search as engine;
use super::service::{self, CreatePost, UpdatePost};
use crate::auth::guards::Caller;
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::body::JsonBody;
use crate::http::etag::{Created, Preconditions, RawJson, Tagged};
use crate::ids::PostId;
use crate::values::page::Page;

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
    let body = list_body(ctx, caller.0.as_ref(), &query).await?;
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
    let page = Page::parse(page, limit)?;
    let q = q.ok_or_else(|| ApiError::validation("q", "is required"))?;
    let terms = engine::parse(q)?;
    let outcome = engine::run(ctx, terms, page.limit, page.offset()).await?;
    Ok(RawJson(engine::body(&page, &outcome)?))
}

/// The anonymous feed's first pages are served from a cache of bodies.
async fn list_body(ctx: &Ctx, viewer: Option<&Principal>, query: &PostList) -> ApiResult<String> {
    let first_pages = match &query.paging {
        Paging::Pages(p) if p.page <= 3 => Some(p),
        _ => None,
    };
    let page = match first_pages {
        Some(p) if viewer.is_none() && service::anonymous_feed(query) => p,
        _ => return Ok(service::list(ctx, viewer, query).await?.body()),
    };
    let key = format!("rest|{}|{}|{}", query.sort.as_str(), page.page, page.limit);
    let ticket = match ctx.caches.feed.get(&key) {
        Ok(entry) => match entry.as_ref() {
            FeedEntry::Body(body) => return Ok(body.clone()),
            FeedEntry::Posts(_) => return Err(ApiError::internal("feed entry of the wrong kind")),
        },
        Err(t) => t,
    };
    let body = service::list(ctx, viewer, query).await?.body();
    ctx.caches
        .feed
        .insert(ticket, key, Arc::new(FeedEntry::Body(body.clone())));
    Ok(body)
}

/// A path's post id; one that is not a UUID names no post.
fn post_id(raw: &str) -> ApiResult<PostId> {
    PostId::parse(raw).ok_or_else(|| ApiError::not_found("Post"))
}

pub fn routes() -> Vec<Route> {
    routes![list, get_one, create, update, publish, unpublish, remove, search]
}
