//! The rules for posts: visibility of drafts, who may write, slugs made
//! unique inside the write transaction, events in the same transaction, and
//! cache invalidation after commit.

use std::sync::Arc;

use serde_json::{json, Value};

use super::cached::{CachedPost, FeedEntry};
use super::cursor;
use super::model::{self, Post, PostSort, PublishedFilter};
use super::repo::{After, ListFilter, NewPost};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{ApiError, ApiResult, FieldError, Problems};
use crate::events::outbox;
use crate::users::model::parse_id;
use crate::values::page::{parse_limit, Page};
use crate::values::version::{etag_of, Preconditions};

/// May `viewer` see this post?
pub fn can_see(viewer: Option<&Principal>, post: &Post) -> bool {
    post.published || viewer.is_some_and(|p| p.can_read_all() || p.is_user(&post.author_id))
}

/// May `who` change or delete this post?
pub fn can_edit(who: &Principal, post: &Post) -> bool {
    who.can_write_all() || who.is_user(&post.author_id)
}

fn serve(post: Post) -> Arc<CachedPost> {
    let body = post.body();
    let etag = etag_of(&body);
    Arc::new(CachedPost { post, body, etag })
}

/// Loads a post by id through the cache.
async fn load(ctx: &Ctx, id: &str) -> ApiResult<Option<Arc<CachedPost>>> {
    let ticket = match ctx.caches.posts.get(&id.to_string()) {
        Ok(p) => return Ok(Some(p)),
        Err(t) => t,
    };
    let key = id.to_string();
    let found = ctx.db.read(move |c| c.posts().by_id(&key)).await?;
    Ok(found.map(|post| {
        let served = serve(post);
        ctx.caches
            .posts
            .insert(ticket, id.to_string(), served.clone());
        served
    }))
}

async fn id_of_slug(ctx: &Ctx, slug: &str) -> ApiResult<Option<String>> {
    let ticket = match ctx.caches.slugs.get(&slug.to_string()) {
        Ok(id) => return Ok(Some(id)),
        Err(t) => t,
    };
    let key = slug.to_string();
    let found = ctx.db.read(move |c| c.posts().by_slug(&key)).await?;
    Ok(found.map(|post| {
        ctx.caches
            .slugs
            .insert(ticket, slug.to_string(), post.id.clone());
        post.id
    }))
}

/// `GET /api/posts/{id-or-slug}`: drafts are `404` to those who may not see them.
pub async fn get(ctx: &Ctx, viewer: Option<&Principal>, key: &str) -> ApiResult<Arc<CachedPost>> {
    let id = match parse_id(key) {
        Some(id) => Some(id),
        None if key.len() <= 80 => id_of_slug(ctx, key).await?,
        None => None,
    };
    let Some(id) = id else {
        return Err(ApiError::not_found("Post"));
    };
    match load(ctx, &id).await? {
        Some(p) if can_see(viewer, &p.post) => Ok(p),
        _ => Err(ApiError::not_found("Post")),
    }
}

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
        Some(raw) => match parse_id(raw) {
            Some(id) => Some(id),
            None => return Ok(empty(page, by_cursor)),
        },
        None => None,
    };
    let filter = ListFilter {
        published,
        drafts_of: match viewer {
            Some(p) if p.can_read_all() => None,
            Some(p) => p.user_id().map(str::to_string),
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

#[derive(Debug, Default)]
pub struct CreatePost {
    pub title: String,
    pub content: String,
    pub slug: Option<String>,
    pub published: Option<bool>,
    pub author_id: Option<String>,
}

/// Picks a free slug for `base` inside the write transaction.
fn unique_slug(c: &mut Tx<'_>, base: &str) -> ApiResult<String> {
    Ok(match c.posts().highest_suffix(base)? {
        None => base.to_string(),
        Some(n) => model::with_suffix(base, n + 1),
    })
}

/// `POST /api/posts`: users (for themselves), admins and `write` keys (for
/// anyone).
pub async fn create(ctx: &Ctx, who: &Principal, input: CreatePost) -> ApiResult<Post> {
    let may_write = who.can_write_all() || who.user_id().is_some();
    if !may_write {
        return Err(ApiError::forbidden());
    }
    let mut problems = Problems::new();
    let title = problems.check(model::check_title(&input.title));
    let content = problems.check(model::check_content(&input.content));
    let slug = problems.check_optional(input.slug.as_deref().map(model::check_slug));
    let author_id = match (input.author_id.as_deref(), who.user_id()) {
        (None, Some(me)) => Some(me.to_string()),
        (None, None) => {
            problems.push(FieldError::new(
                "author_id",
                "is required when creating with an API key",
            ));
            None
        }
        (Some(raw), _) => match parse_id(raw) {
            Some(id) if who.can_write_all() || who.is_user(&id) => Some(id),
            Some(_) => {
                return Err(ApiError::Forbidden(
                    "You may only create posts as yourself".into(),
                ))
            }
            None => {
                problems.push(FieldError::new("author_id", "must be a user id"));
                None
            }
        },
    };
    let ((title, content), author_id) = problems.into_value(title.zip(content).zip(author_id))?;
    let published = input.published.unwrap_or(false);
    let post = ctx
        .db
        .write(move |c| {
            let Some(author_username) = c.users().username_of(&author_id)? else {
                return Err(ApiError::validation("author_id", "no such user"));
            };
            let slug = match slug {
                Some(s) => {
                    if c.posts().slug_taken(&s, None)? {
                        return Err(ApiError::Conflict(format!("The slug \"{s}\" is taken")));
                    }
                    s
                }
                None => unique_slug(c, &model::slugify(&title))?,
            };
            let id = crate::users::model::new_id();
            let at = crate::clock::now_string();
            c.posts().insert(&NewPost {
                id: &id,
                author_id: &author_id,
                title: &title,
                slug: &slug,
                content: &content,
                published,
                at: &at,
            })?;
            // Exactly what reading the row back would give (every column
            // was written above), without the read.
            let post = Post {
                id,
                title,
                slug,
                content,
                author_id,
                author_username,
                published,
                published_at: published.then(|| at.clone()),
                created_at: at.clone(),
                updated_at: at,
            };
            outbox::record(c, "post.created", &post)?;
            // Created published means it became public now: subscribers of
            // `post.published` hear of it as they would of a later publish.
            if post.published {
                outbox::record(c, "post.published", &post)?;
            }
            Ok(post)
        })
        .await?;
    ctx.caches.post_added();
    Ok(post)
}

#[derive(Debug, Default)]
pub struct UpdatePost {
    pub title: Option<String>,
    pub content: Option<String>,
    pub slug: Option<String>,
}

/// Loads a post for a write and checks the caller may change it; drafts the
/// caller may not see are `404`, visible posts it may not change `403`.
fn load_for_write(c: &mut Tx<'_>, who: &Principal, id: &str) -> ApiResult<Post> {
    let post = c
        .posts()
        .by_id(id)?
        .ok_or_else(|| ApiError::not_found("Post"))?;
    if !can_see(Some(who), &post) {
        return Err(ApiError::not_found("Post"));
    }
    if !can_edit(who, &post) {
        return Err(ApiError::forbidden());
    }
    Ok(post)
}

/// `PATCH /api/posts/{id}`: the author, admins, `write` keys. A title change
/// keeps the slug.
pub async fn update(
    ctx: &Ctx,
    who: &Principal,
    raw_id: &str,
    input: UpdatePost,
    pre: &Preconditions,
) -> ApiResult<Post> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("Post"))?;
    let mut problems = Problems::new();
    let title = problems.check_optional(input.title.as_deref().map(model::check_title));
    let content = problems.check_optional(input.content.as_deref().map(model::check_content));
    let slug = problems.check_optional(input.slug.as_deref().map(model::check_slug));
    problems.into_result()?;
    let who = who.clone();
    let pre = pre.clone();
    let target = id.clone();
    let (before, after) = ctx
        .db
        .write(move |c| {
            let before = load_for_write(c, &who, &target)?;
            pre.check_if_match(&serve(before.clone()).etag)?;
            if let Some(s) = &slug {
                if c.posts().slug_taken(s, Some(&target))? {
                    return Err(ApiError::Conflict(format!("The slug \"{s}\" is taken")));
                }
            }
            c.posts().update_fields(
                &target,
                title.as_deref(),
                content.as_deref(),
                slug.as_deref(),
            )?;
            let after = c
                .posts()
                .by_id(&target)?
                .ok_or_else(|| ApiError::not_found("Post"))?;
            if after != before {
                outbox::record(c, "post.updated", &after)?;
            }
            Ok((before, after))
        })
        .await?;
    ctx.caches.forget_post(&id, &before.slug);
    ctx.caches.slugs.invalidate(&after.slug);
    Ok(after)
}

/// Publishes or unpublishes; `published_at` is set on the first publish.
pub async fn set_published(
    ctx: &Ctx,
    who: &Principal,
    raw_id: &str,
    published: bool,
) -> ApiResult<Post> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("Post"))?;
    let who = who.clone();
    let target = id.clone();
    let post = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let before = load_for_write(c, &who, &target)?;
            if before.published == published {
                return Ok(before);
            }
            c.posts().set_published(&target, published)?;
            let after = c
                .posts()
                .by_id(&target)?
                .ok_or_else(|| ApiError::not_found("Post"))?;
            let kind = if published {
                "post.published"
            } else {
                "post.unpublished"
            };
            outbox::record(c, kind, &after)?;
            Ok(after)
        })
        .await?;
    ctx.caches.forget_post(&id, &post.slug);
    Ok(post)
}

/// `DELETE /api/posts/{id}`: the author, admins, `write` keys.
pub async fn delete(ctx: &Ctx, who: &Principal, raw_id: &str) -> ApiResult<()> {
    let id = parse_id(raw_id).ok_or_else(|| ApiError::not_found("Post"))?;
    let who = who.clone();
    let target = id.clone();
    let post = ctx
        .db
        .write(move |c| -> ApiResult<_> {
            let post = load_for_write(c, &who, &target)?;
            c.posts().delete(&target)?;
            record_deleted(c, &post)?;
            Ok(post)
        })
        .await?;
    ctx.caches.forget_post(&id, &post.slug);
    Ok(())
}

/// Records a deletion: `post.unpublished` first when the post was public (it
/// stops being so now), then `post.deleted`.
pub(crate) fn record_deleted(c: &mut Tx<'_>, post: &Post) -> ApiResult<()> {
    if post.published {
        let gone = Post {
            published: false,
            ..post.clone()
        };
        outbox::record(c, "post.unpublished", &gone)?;
    }
    outbox::record(c, "post.deleted", &json!({"id": post.id}))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::apikeys::Scopes;
    use crate::users::model::Role;

    fn post(published: bool) -> Post {
        Post {
            id: "p".into(),
            title: "t".into(),
            slug: "t".into(),
            content: "c".into(),
            author_id: "a".into(),
            author_username: "ann".into(),
            published,
            published_at: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn draft_visibility_and_editing() {
        let author = Principal::User {
            id: "a".into(),
            role: Role::User,
        };
        let other = Principal::User {
            id: "b".into(),
            role: Role::User,
        };
        let admin = Principal::User {
            id: "c".into(),
            role: Role::Admin,
        };
        let read = Principal::ApiKey {
            id: "k".into(),
            scopes: Scopes::new(true, false, false),
        };
        let write = Principal::ApiKey {
            id: "k".into(),
            scopes: Scopes::new(false, true, false),
        };
        let draft = post(false);
        assert!(!can_see(None, &draft));
        assert!(!can_see(Some(&other), &draft));
        assert!(
            can_see(Some(&author), &draft)
                && can_see(Some(&admin), &draft)
                && can_see(Some(&read), &draft)
        );
        assert!(can_see(None, &post(true)));
        assert!(can_edit(&author, &draft) && can_edit(&admin, &draft) && can_edit(&write, &draft));
        assert!(!can_edit(&other, &draft) && !can_edit(&read, &draft));
    }
}
