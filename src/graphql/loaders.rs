//! Per-request DataLoaders: `Post.author` and `User.posts` are batched into
//! one query per kind. Built per request because what a loader may return
//! depends on the caller (drafts).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::ids::UserId;
use crate::posts::model::Post;
use crate::users::model::User;

pub struct UserLoader {
    pub ctx: Ctx,
}

impl Loader<UserId> for UserLoader {
    type Value = User;
    type Error = Arc<ApiError>;

    /// `Post.author` looked in the shared `users` cache first: these are
    /// its misses, loaded in one query and cached.
    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, User>, Self::Error> {
        let cache = &self.ctx.caches.users;
        // Taken before reading: the insert is refused if a user changed since.
        let ticket = cache.ticket();
        let ids = keys.to_vec();
        let users = self
            .ctx
            .db
            .read(move |c| c.users().by_ids(&ids))
            .await
            .map_err(|e| Arc::new(e.into()))?;
        let mut found = HashMap::with_capacity(users.len());
        for user in users {
            cache.insert(ticket, user.id.clone(), user.clone());
            found.insert(user.id.clone(), user);
        }
        Ok(found)
    }
}

/// A user's posts page: the author and the paging.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostsOf {
    pub author_id: UserId,
    pub limit: u32,
    pub offset: u64,
}

pub struct PostsLoader {
    pub ctx: Ctx,
    pub viewer: Option<Principal>,
}

impl Loader<PostsOf> for PostsLoader {
    type Value = Vec<Post>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[PostsOf]) -> Result<HashMap<PostsOf, Vec<Post>>, Self::Error> {
        // Keys with the same paging share one query.
        let mut groups: HashMap<(u32, u64), Vec<UserId>> = HashMap::new();
        for k in keys {
            groups
                .entry((k.limit, k.offset))
                .or_default()
                .push(k.author_id.clone());
        }
        let all_drafts = self.viewer.as_ref().is_some_and(Principal::can_read_all);
        let viewer = self.viewer.as_ref().and_then(|p| p.user_id().cloned());
        let mut out: HashMap<PostsOf, Vec<Post>> =
            keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        for ((limit, offset), authors) in groups {
            let viewer = viewer.clone();
            let posts = self
                .ctx
                .db
                .read(move |c| {
                    c.posts()
                        .by_authors(&authors, all_drafts, viewer.as_ref(), limit, offset)
                })
                .await
                .map_err(|e| Arc::new(e.into()))?;
            for p in posts {
                let key = PostsOf {
                    author_id: p.author_id.clone(),
                    limit,
                    offset,
                };
                out.entry(key).or_default().push(p);
            }
        }
        Ok(out)
    }
}
