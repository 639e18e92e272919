//! Listing posts: filters, sorts, offset and cursor pages, and the cached
//! first page of the anonymous feed.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::posts::cached::FeedEntry;
use crate::posts::cursor;
use crate::posts::model::{Post, PublishedFilter};
use crate::posts::params::{Author, Paging, PostList};
use crate::posts::repo::{After, ListFilter};

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
pub async fn list(ctx: &Ctx, viewer: Option<&Principal>, query: &PostList) -> ApiResult<PostPage> {
    let by_cursor = matches!(query.paging, Paging::After { .. });
    let author_id = match &query.author {
        Author::Anyone => None,
        Author::Only(id) => Some(id.clone()),
        Author::Nobody => return Ok(empty(&query.paging)),
    };
    let filter = ListFilter {
        published: query.published,
        drafts_of: match viewer {
            Some(p) if p.can_read_all() => None,
            Some(p) => p.user_id().cloned(),
            None => None,
        },
        no_drafts: viewer.is_none()
            || viewer.is_some_and(|p| !p.can_read_all() && p.user_id().is_none()),
        author_id,
    };
    let limit = query.paging.limit();
    let (offset, after) = match &query.paging {
        Paging::Pages(page) => (page.offset(), None),
        Paging::Offset { offset, .. } => (*offset, None),
        Paging::After { after, .. } => (0, Some(after.clone())),
    };
    let counted = query.with_total && !by_cursor;
    let sort = query.sort;
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
            &query.binding(),
            &After {
                key: key.clone(),
                id: post.id.clone(),
            },
        )),
        _ => None,
    };
    let pagination = match (total, &query.paging) {
        (Some(total), Paging::Pages(page)) => {
            let mut p = page.json(total);
            p["next_cursor"] = json!(next_cursor);
            p
        }
        _ => json!({"limit": limit, "next_cursor": next_cursor}),
    };
    Ok(PostPage {
        posts: rows.into_iter().map(|(p, _)| p).collect(),
        pagination,
    })
}

fn empty(paging: &Paging) -> PostPage {
    let pagination = match paging {
        Paging::Pages(page) => {
            let mut p = page.json(0);
            p["next_cursor"] = Value::Null;
            p
        }
        other => json!({"limit": other.limit(), "next_cursor": null}),
    };
    PostPage {
        posts: Vec::new(),
        pagination,
    }
}

/// Published posts of every author: what an anonymous caller's feed shows.
pub fn anonymous_feed(query: &PostList) -> bool {
    query.author == Author::Anyone && query.published == PublishedFilter::Published
}

/// GraphQL's `posts` (built with [`PostList::offset`]); the anonymous
/// feed's first pages (offset below 100) come from the same cache as
/// REST's.
pub async fn list_posts(
    ctx: &Ctx,
    viewer: Option<&Principal>,
    query: &PostList,
) -> ApiResult<Vec<Post>> {
    let near_top = match query.paging {
        Paging::Offset { limit, offset } if offset < 100 => Some((limit, offset)),
        _ => None,
    };
    let (limit, offset) = match near_top {
        Some(p) if viewer.is_none() && anonymous_feed(query) => p,
        _ => return Ok(list(ctx, viewer, query).await?.posts),
    };
    let key = format!("graphql|{}|{offset}|{limit}", query.sort.as_str());
    let ticket = match ctx.caches.feed.get(&key) {
        Ok(entry) => match entry.as_ref() {
            FeedEntry::Posts(posts) => return Ok(posts.clone()),
            FeedEntry::Body(_) => return Err(ApiError::internal("feed entry of the wrong kind")),
        },
        Err(t) => t,
    };
    let posts = list(ctx, viewer, query).await?.posts;
    ctx.caches
        .feed
        .insert(ticket, key, Arc::new(FeedEntry::Posts(posts.clone())));
    Ok(posts)
}
