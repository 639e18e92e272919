//! The rules for posts: visibility of drafts, who may write, slugs made
//! unique inside the write transaction, events in the same transaction, and
//! cache invalidation after commit.

mod list;
mod write;

pub use list::*;
pub use write::*;

use std::sync::Arc;

use super::cached::CachedPost;
use super::model::{Post, PostKey};
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ids::PostId;

use crate::values::version::etag_of;

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
async fn load(ctx: &Ctx, id: &PostId) -> ApiResult<Option<Arc<CachedPost>>> {
    let ticket = match ctx.caches.posts.get(id) {
        Ok(p) => return Ok(Some(p)),
        Err(t) => t,
    };
    let key = id.clone();
    let found = ctx.db.read(move |c| c.posts().by_id(&key)).await?;
    Ok(found.map(|post| {
        let served = serve(post);
        ctx.caches.posts.insert(ticket, id.clone(), served.clone());
        served
    }))
}

async fn id_of_slug(ctx: &Ctx, slug: &str) -> ApiResult<Option<PostId>> {
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
pub async fn get(
    ctx: &Ctx,
    viewer: Option<&Principal>,
    key: &PostKey,
) -> ApiResult<Arc<CachedPost>> {
    let id = match key {
        PostKey::Id(id) => Some(id.clone()),
        PostKey::Slug(slug) => id_of_slug(ctx, slug).await?,
        PostKey::None => None,
    };
    let Some(id) = id else {
        return Err(ApiError::not_found("Post"));
    };
    match load(ctx, &id).await? {
        Some(p) if can_see(viewer, &p.post) => Ok(p),
        _ => Err(ApiError::not_found("Post")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::apikeys::Scopes;
    use crate::ids::UserId;
    use crate::users::model::Role;

    fn post(a: &UserId, published: bool) -> Post {
        Post {
            id: PostId::new(),
            title: "t".into(),
            slug: "t".into(),
            content: "c".into(),
            author_id: a.clone(),
            author_username: "ann".into(),
            published,
            published_at: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn draft_visibility_and_editing() {
        let a = UserId::new();
        let author = Principal::User {
            id: a.clone(),
            role: Role::User,
        };
        let other = Principal::User {
            id: UserId::new(),
            role: Role::User,
        };
        let admin = Principal::User {
            id: UserId::new(),
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
        let draft = post(&a, false);
        assert!(!can_see(None, &draft));
        assert!(!can_see(Some(&other), &draft));
        assert!(
            can_see(Some(&author), &draft)
                && can_see(Some(&admin), &draft)
                && can_see(Some(&read), &draft)
        );
        assert!(can_see(None, &post(&a, true)));
        assert!(can_edit(&author, &draft) && can_edit(&admin, &draft) && can_edit(&write, &draft));
        assert!(!can_edit(&other, &draft) && !can_edit(&read, &draft));
    }
}
