//! Writing posts: create, update, publish and delete, each recording its
//! events in the same transaction and invalidating the caches after
//! commit.

use serde_json::json;

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::Tx;
use crate::error::{ApiError, ApiResult, FieldError, Problems};
use crate::events::outbox;
use crate::ids::{PostId, UserId};
use crate::posts::model::{self, Post};
use crate::posts::repo::NewPost;

use crate::values::version::Preconditions;

use super::*;

/// The JSON body of the REST call, and GraphQL's input.
#[derive(Debug, Default, serde::Deserialize)]
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
        (None, Some(me)) => Some(me.clone()),
        (None, None) => {
            problems.push(FieldError::new(
                "author_id",
                "is required when creating with an API key",
            ));
            None
        }
        (Some(raw), _) => match UserId::parse(raw) {
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
            let id = PostId::new();
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

/// The JSON body of the REST call, and GraphQL's input.
#[derive(Debug, Default, serde::Deserialize)]
pub struct UpdatePost {
    pub title: Option<String>,
    pub content: Option<String>,
    pub slug: Option<String>,
}

/// Loads a post for a write and checks the caller may change it; drafts the
/// caller may not see are `404`, visible posts it may not change `403`.
fn load_for_write(c: &mut Tx<'_>, who: &Principal, id: &PostId) -> ApiResult<Post> {
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
    id: &PostId,
    input: UpdatePost,
    pre: &Preconditions,
) -> ApiResult<Post> {
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
    ctx.caches.forget_post(id, &before.slug);
    ctx.caches.slugs.invalidate(&after.slug);
    Ok(after)
}

/// Publishes or unpublishes; `published_at` is set on the first publish.
pub async fn set_published(
    ctx: &Ctx,
    who: &Principal,
    id: &PostId,
    published: bool,
) -> ApiResult<Post> {
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
    ctx.caches.forget_post(id, &post.slug);
    Ok(post)
}

/// `DELETE /api/posts/{id}`: the author, admins, `write` keys.
pub async fn delete(ctx: &Ctx, who: &Principal, id: &PostId) -> ApiResult<()> {
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
    ctx.caches.forget_post(id, &post.slug);
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
