//! Listing posts: filters, sorts, offset and cursor pages, and the cached
//! first page of the anonymous feed.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, Problems};
use crate::ids::UserId;
use crate::posts::cached::FeedEntry;
use crate::posts::cursor;
use crate::posts::model::{Post, PostSort, PublishedFilter};
use crate::posts::repo::{After, ListFilter};

use crate::values::page::{parse_limit, Page};

/// Raw list parameters, as the transports receive them.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListParams<'a> {
    pub page: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub author_id: Option<&'a str>,
    pub published: Option<&'a str>,
    pub sort: Option<&'a str>,
    /// A raw offset (GraphQL's `offset`), instead of `page`.
    pub offset: Option<u64>,
    /// Skip the `COUNT` behind `pagination.total` (GraphQL returns a bare
    /// list, and the count is most of an uncached page's cost).
    pub without_total: bool,
}

/// A page of posts with the contract's `pagination` object.
pub struct PostPage {
    pub posts: Vec<Post>,
    pub pagination: Value,
}

impl PostPage {
    pub fn body(&self) -> String {
        let items: Vec<Value> = self.posts.iter().map(Post::json).collect();
        json!({"posts": items, "pagination": self.pagination}).to_string()
    }
}

/// `GET /api/posts` (and a user's posts): visibility, filters, sort, offset
/// or keyset paging.
pub async fn list(
    ctx: &Ctx,
    viewer: Option<&Principal>,
    params: ListParams<'_>,
) -> ApiResult<PostPage> {
    let mut problems = Problems::new();
    let published = problems
        .check(PublishedFilter::parse(params.published))
        .unwrap_or(PublishedFilter::Published);
    let sort = problems
        .check(PostSort::parse(params.sort, published))
        .unwrap_or(PostSort::PublishedDesc);
    let page = if params.cursor.is_some() {
        problems.check(parse_limit(params.limit).map(|limit| Page { page: 1, limit }))
    } else {
        problems.check_all(Page::parse(params.page, params.limit))
    };
    let author_raw = params.author_id.map(str::trim).filter(|a| !a.is_empty());
    let binding = format!(
        "s={};p={};a={}",
        sort.as_str(),
        published.as_str(),
        author_raw.unwrap_or("")
    );
    let after = match params.cursor {
        Some(c) => problems.check_all(cursor::decode(&binding, c)),
        None => None,
    };
    let page = problems.into_value(page)?;
    let by_cursor = params.cursor.is_some();
    let counted = !by_cursor && !params.without_total;

    // An author id that is not a UUID names nobody: an empty list.
    let author_id = match author_raw {
        Some(raw) => match UserId::parse(raw) {
            Some(id) => Some(id),
            None => return Ok(empty(page, by_cursor)),
        },
        None => None,
    };
    let filter = ListFilter {
        published,
        drafts_of: match viewer {
            Some(p) if p.can_read_all() => None,
            Some(p) => p.user_id().cloned(),
            None => None,
        },
        no_drafts: viewer.is_none()
            || viewer.is_some_and(|p| !p.can_read_all() && p.user_id().is_none()),
        author_id,
    };
    let limit = page.limit;
    let offset = match (by_cursor, params.offset) {
        (true, _) => 0,
        (false, Some(o)) => o,
        (false, None) => page.offset(),
    };
    let (mut rows, total) = ctx
        .db
        .read(move |c| -> ApiResult<_> {
            let rows = c
                .posts()
                .list(&filter, sort, limit + 1, offset, after.as_ref())?;
            let total = if counted {
                Some(c.posts().count(&filter)?)
            } else {
                None
            };
            Ok((rows, total))
        })
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = match rows.last() {
        Some((post, key)) if more => Some(cursor::encode(
            &binding,
            &After {
                key: key.clone(),
                id: post.id.clone(),
            },
        )),
        _ => None,
    };
    let pagination = match total {
        Some(total) => {
            let mut p = page.json(total);
            p["next_cursor"] = json!(next_cursor);
            p
        }
        None => json!({"limit": limit, "next_cursor": next_cursor}),
    };
    Ok(PostPage {
        posts: rows.into_iter().map(|(p, _)| p).collect(),
        pagination,
    })
}

fn empty(page: Page, by_cursor: bool) -> PostPage {
    let pagination = if by_cursor {
        json!({"limit": page.limit, "next_cursor": null})
    } else {
        let mut p = page.json(0);
        p["next_cursor"] = Value::Null;
        p
    };
    PostPage {
        posts: Vec::new(),
        pagination,
    }
}

/// The anonymous feed's first pages are served from a cache of bodies.
pub async fn list_body(
    ctx: &Ctx,
    viewer: Option<&Principal>,
    params: ListParams<'_>,
) -> ApiResult<String> {
    let cacheable = viewer.is_none()
        && params.offset.is_none()
        && params.cursor.is_none()
        && params.author_id.is_none()
        && matches!(params.published, None | Some("true"));
    let page_no = params.page.unwrap_or("1");
    let key = format!(
        "rest|{}|{}|{}",
        params.sort.unwrap_or(""),
        page_no,
        params.limit.unwrap_or("")
    );
    let cacheable = cacheable && matches!(page_no, "1" | "2" | "3");
    if !cacheable {
        return Ok(list(ctx, viewer, params).await?.body());
    }
    let ticket = match ctx.caches.feed.get(&key) {
        Ok(entry) => match entry.as_ref() {
            FeedEntry::Body(body) => return Ok(body.clone()),
            FeedEntry::Posts(_) => return Err(ApiError::internal("feed entry of the wrong kind")),
        },
        Err(t) => t,
    };
    let body = list(ctx, viewer, params).await?.body();
    ctx.caches
        .feed
        .insert(ticket, key, Arc::new(FeedEntry::Body(body.clone())));
    Ok(body)
}

/// GraphQL's `posts`: like [`list`] without the total; the anonymous
/// feed's first pages (offset below 100) come from the same cache as
/// REST's.
pub async fn list_posts(
    ctx: &Ctx,
    viewer: Option<&Principal>,
    params: ListParams<'_>,
) -> ApiResult<Vec<Post>> {
    let params = ListParams {
        without_total: true,
        ..params
    };
    let cacheable = viewer.is_none()
        && params.cursor.is_none()
        && params.page.is_none()
        && params.author_id.is_none()
        && matches!(params.published, None | Some("true"))
        && params.offset.unwrap_or(0) < 100;
    if !cacheable {
        return Ok(list(ctx, viewer, params).await?.posts);
    }
    let key = format!(
        "graphql|{}|{}|{}",
        params.sort.unwrap_or(""),
        params.offset.unwrap_or(0),
        params.limit.unwrap_or("")
    );
    let ticket = match ctx.caches.feed.get(&key) {
        Ok(entry) => match entry.as_ref() {
            FeedEntry::Posts(posts) => return Ok(posts.clone()),
            FeedEntry::Body(_) => return Err(ApiError::internal("feed entry of the wrong kind")),
        },
        Err(t) => t,
    };
    let posts = list(ctx, viewer, params).await?.posts;
    ctx.caches
        .feed
        .insert(ticket, key, Arc::new(FeedEntry::Posts(posts.clone())));
    Ok(posts)
}
