//! The GraphQL object types: users, posts, search hits and auth payloads.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Object, SimpleObject, ID};

use super::loaders::{PostsLoader, PostsOf, UserLoader};
use crate::auth::service::Session;
use crate::error::ApiError;
use crate::posts::model::Post;
use crate::users::model::User;
use crate::users::service as users;

use super::schema::{cost, data, gql_error, paging, GResult};

pub struct GUser(pub User, pub bool);

impl GUser {
    pub(super) fn new(u: User) -> GUser {
        GUser(u, false)
    }
}

#[Object(name = "User")]
impl GUser {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn email(&self, cx: &Context<'_>) -> GResult<Option<&str>> {
        Ok(self.private(cx)?.then_some(self.0.email.as_str()))
    }
    async fn role(&self, cx: &Context<'_>) -> GResult<Option<&str>> {
        Ok(self.private(cx)?.then_some(self.0.role.as_str()))
    }
    async fn disabled(&self, cx: &Context<'_>) -> GResult<Option<bool>> {
        Ok(self.private(cx)?.then_some(self.0.disabled))
    }
    #[graphql(complexity = "cost(limit, child_complexity)")]
    async fn posts(
        &self,
        cx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> GResult<Vec<GPost>> {
        let (limit, offset) = paging(limit, offset)?;
        let loader = cx.data::<DataLoader<PostsLoader>>()?;
        let key = PostsOf {
            author_id: self.0.id.clone(),
            limit,
            offset,
        };
        let list = loader
            .load_one(key)
            .await
            .map_err(|e| gql_error((*e).clone()))?;
        Ok(list.unwrap_or_default().into_iter().map(GPost).collect())
    }
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
}

impl GUser {
    fn private(&self, cx: &Context<'_>) -> GResult<bool> {
        Ok(self.1 || users::sees_private(data(cx)?.viewer.as_ref(), &self.0.id))
    }
}

pub struct GPost(pub Post);

#[Object(name = "Post")]
impl GPost {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn content(&self) -> &str {
        &self.0.content
    }
    async fn author(&self, cx: &Context<'_>) -> GResult<GUser> {
        // Most authors are in the shared cache: no batch to wait for.
        if let Ok(user) = data(cx)?.ctx.caches.users.get(&self.0.author_id) {
            return Ok(GUser::new(user));
        }
        let loader = cx.data::<DataLoader<UserLoader>>()?;
        loader
            .load_one(self.0.author_id.clone())
            .await
            .map_err(|e| gql_error((*e).clone()))?
            .map(GUser::new)
            .ok_or_else(|| gql_error(ApiError::not_found("Author")))
    }
    async fn author_id(&self) -> ID {
        ID(self.0.author_id.to_string())
    }
    async fn published(&self) -> bool {
        self.0.published
    }
    async fn published_at(&self) -> Option<&str> {
        self.0.published_at.as_deref()
    }
    async fn created_at(&self) -> &str {
        &self.0.created_at
    }
    async fn updated_at(&self) -> &str {
        &self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct SearchHit {
    pub(super) post: GPost,
    pub(super) rank: f64,
    pub(super) snippet: String,
}

#[derive(SimpleObject)]
pub struct AuthPayload {
    user: GUser,
    access_token: String,
    refresh_token: String,
    expires_in: i64,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        AuthPayload {
            user: GUser(s.user, true),
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_in: s.expires_in,
        }
    }
}
