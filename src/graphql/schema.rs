//! The GraphQL schema: the contract's types, queries and mutations, each
//! resolver a thin call into the same service functions REST uses.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::{
    Context, EmptySubscription, ErrorExtensions, InputObject, Object, Schema, SimpleObject, ID,
};

use super::loaders::{PostsLoader, PostsOf, UserLoader};
use crate::auth::service::{self as auth, ClientMeta, NewAccount, Session};
use crate::auth::Principal;
use crate::config::GraphqlConfig;
use crate::ctx::Ctx;
use crate::error::{ApiError, AuthFailure};
use crate::http::list::MAX_LIMIT;
use crate::posts::model::Post;
use crate::posts::service as posts;
use crate::users::model::User;
use crate::users::service as users;

pub type FolioSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What each request carries into its resolvers.
pub struct RequestData {
    pub ctx: Ctx,
    pub viewer: Option<Principal>,
    pub meta: ClientMeta,
}

pub fn build_schema(cfg: &GraphqlConfig) -> FolioSchema {
    let mut b = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(cfg.max_depth)
        .limit_complexity(cfg.max_complexity);
    if !cfg.introspection {
        // "Did you mean ...?" would name the fields introspection hides.
        b = b.disable_introspection().disable_suggestions();
    }
    b.finish()
}

/// Starts a DataLoader batch once the resolvers polled alongside the one
/// that asked first have queued their keys too: the sibling fields of a
/// list are polled together, so one yield collects them (JavaScript
/// DataLoader's "next tick"), where async-graphql's default waits 1 ms on
/// a timer thread, adding latency and a cross-thread wake-up to each batch.
fn next_tick(batch: BoxFuture<'static, ()>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        batch.await;
    })
}

/// Per-request data: the caller and loaders that know what it may see.
pub fn request_data(
    req: async_graphql::Request,
    ctx: Ctx,
    viewer: Option<Principal>,
    meta: ClientMeta,
) -> async_graphql::Request {
    let users = DataLoader::new(UserLoader { ctx: ctx.clone() }, next_tick).delay(Duration::ZERO);
    let posts = DataLoader::new(
        PostsLoader {
            ctx: ctx.clone(),
            viewer: viewer.clone(),
        },
        next_tick,
    )
    .delay(Duration::ZERO);
    req.data(RequestData { ctx, viewer, meta })
        .data(users)
        .data(posts)
}

/// An `ApiError` as a GraphQL error with the REST code in `extensions`.
pub fn gql_error(e: ApiError) -> async_graphql::Error {
    if let ApiError::Internal(cause) = &e {
        tracing::error!(cause = %cause, "internal error in a GraphQL resolver");
    }
    let code = e.code();
    // The marker GraphQL tooling (Apollo's convention) reads to tell a
    // refused request from a resolver that failed.
    let classification = if e.status().code >= 500 {
        "INTERNAL_SERVER_ERROR"
    } else {
        "BAD_USER_INPUT"
    };
    let details = e.details().map(|d| {
        d.iter()
            .map(|f| {
                let mut m = async_graphql::indexmap::IndexMap::new();
                m.insert(
                    async_graphql::Name::new("field"),
                    async_graphql::Value::from(f.field.clone()),
                );
                m.insert(
                    async_graphql::Name::new("message"),
                    async_graphql::Value::from(f.message.clone()),
                );
                async_graphql::Value::Object(m)
            })
            .collect::<Vec<_>>()
    });
    async_graphql::Error::new(e.to_string()).extend_with(move |_, ext| {
        ext.set("code", code);
        ext.set("classification", classification);
        if let Some(d) = &details {
            ext.set("details", async_graphql::Value::List(d.clone()));
        }
    })
}

type GResult<T> = async_graphql::Result<T>;

fn data<'a>(cx: &'a Context<'_>) -> GResult<&'a RequestData> {
    cx.data::<RequestData>()
}

fn signed_in(d: &RequestData) -> GResult<&Principal> {
    d.viewer
        .as_ref()
        .ok_or_else(|| gql_error(ApiError::Unauthorized(AuthFailure::MissingCredentials)))
}

/// `limit` (default 20, 1..100) and `offset` (≥ 0).
fn paging(limit: Option<i32>, offset: Option<i32>) -> GResult<(u32, u64)> {
    let limit = limit.unwrap_or(20);
    if !(1..=MAX_LIMIT as i32).contains(&limit) {
        return Err(gql_error(ApiError::validation(
            "limit",
            "must be from 1 to 100",
        )));
    }
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(gql_error(ApiError::validation("offset", "must be ≥ 0")));
    }
    Ok((limit as u32, offset as u64))
}

fn cost(limit: Option<i32>, child: usize) -> usize {
    (limit.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child.max(1))
}

/// A user; the flag marks the caller's own account (an auth payload),
/// which shows private fields even before the caller holds a token.
pub struct GUser(pub User, pub bool);

impl GUser {
    fn new(u: User) -> GUser {
        GUser(u, false)
    }
}

#[Object(name = "User")]
impl GUser {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
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
        ID(self.0.id.clone())
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
        ID(self.0.author_id.clone())
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
    post: GPost,
    rank: f64,
    snippet: String,
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

#[derive(InputObject)]
pub struct CreateUserInput {
    username: String,
    email: String,
    password: String,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    username: Option<String>,
    email: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePostInput {
    title: String,
    content: String,
    slug: Option<String>,
    published: Option<bool>,
    author_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdatePostInput {
    title: Option<String>,
    content: Option<String>,
    slug: Option<String>,
}

pub struct QueryRoot;

/// Absent or invisible resources are `null`, not errors.
fn none_if_missing<T>(r: Result<T, ApiError>) -> GResult<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(e) => Err(gql_error(e)),
    }
}

#[Object(name = "Query")]
impl QueryRoot {
    /// The signed-in user; null for anonymous callers and API keys.
    async fn me(&self, cx: &Context<'_>) -> GResult<Option<GUser>> {
        let d = data(cx)?;
        match d.viewer.as_ref().and_then(Principal::user_id) {
            Some(id) => Ok(none_if_missing(users::get(&d.ctx, id).await)?.map(GUser::new)),
            None => Ok(None),
        }
    }

    async fn user(&self, cx: &Context<'_>, id: ID) -> GResult<Option<GUser>> {
        let d = data(cx)?;
        signed_in(d)?;
        Ok(none_if_missing(users::get(&d.ctx, &id).await)?.map(GUser::new))
    }

    #[graphql(complexity = "cost(limit, child_complexity)")]
    async fn users(
        &self,
        cx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
        search: Option<String>,
    ) -> GResult<Vec<GUser>> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        let (limit, offset) = paging(limit, offset)?;
        let limit_text = limit.to_string();
        let (list, _, _) = users::list_users(
            &d.ctx,
            who,
            users::ListParams {
                page: None,
                limit: Some(&limit_text),
                search: search.as_deref(),
                sort: None,
                offset: Some(offset),
            },
        )
        .await
        .map_err(gql_error)?;
        Ok(list.into_iter().map(GUser::new).collect())
    }

    async fn post(&self, cx: &Context<'_>, id: ID) -> GResult<Option<GPost>> {
        let d = data(cx)?;
        if crate::users::model::parse_id(&id).is_none() {
            return Ok(None);
        }
        let found = none_if_missing(posts::get(&d.ctx, d.viewer.as_ref(), &id).await)?;
        Ok(found.map(|p| GPost(p.post.clone())))
    }

    async fn post_by_slug(&self, cx: &Context<'_>, slug: String) -> GResult<Option<GPost>> {
        let d = data(cx)?;
        if crate::users::model::parse_id(&slug).is_some() {
            return Ok(None);
        }
        let found = none_if_missing(posts::get(&d.ctx, d.viewer.as_ref(), &slug).await)?;
        Ok(found.map(|p| GPost(p.post.clone())))
    }

    #[graphql(complexity = "cost(limit, child_complexity)")]
    async fn posts(
        &self,
        cx: &Context<'_>,
        author_id: Option<ID>,
        published: Option<bool>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> GResult<Vec<GPost>> {
        let d = data(cx)?;
        let (limit, offset) = paging(limit, offset)?;
        let limit_text = limit.to_string();
        let published = published.map(|p| if p { "true" } else { "false" });
        let page = posts::list_posts(
            &d.ctx,
            d.viewer.as_ref(),
            posts::ListParams {
                limit: Some(&limit_text),
                author_id: author_id.as_ref().map(|a| a.as_str()),
                published,
                offset: Some(offset),
                ..Default::default()
            },
        )
        .await
        .map_err(gql_error)?;
        Ok(page.into_iter().map(GPost).collect())
    }

    #[graphql(complexity = "cost(limit, child_complexity)")]
    async fn search(
        &self,
        cx: &Context<'_>,
        query: String,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> GResult<Vec<SearchHit>> {
        let d = data(cx)?;
        let (limit, offset) = paging(limit, offset)?;
        let outcome = crate::posts::search::run(&d.ctx, &query, limit, offset)
            .await
            .map_err(gql_error)?;
        Ok(outcome
            .hits
            .into_iter()
            .map(|h| SearchHit {
                rank: crate::posts::search::rounded(h.rank),
                snippet: crate::posts::search::render_snippet(&h.snippet),
                post: GPost(h.post),
            })
            .collect())
    }
}

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// The public way in: a new account and its first session.
    async fn register(&self, cx: &Context<'_>, input: CreateUserInput) -> GResult<AuthPayload> {
        let d = data(cx)?;
        let account = NewAccount {
            email: input.email,
            username: input.username,
            password: input.password,
        };
        auth::register(&d.ctx, account, d.meta.clone())
            .await
            .map(AuthPayload::from)
            .map_err(gql_error)
    }

    async fn login(
        &self,
        cx: &Context<'_>,
        identity: String,
        password: String,
    ) -> GResult<AuthPayload> {
        let d = data(cx)?;
        auth::login(&d.ctx, &identity, password, d.meta.clone())
            .await
            .map(AuthPayload::from)
            .map_err(gql_error)
    }

    /// Admins and `write` keys.
    async fn create_user(&self, cx: &Context<'_>, input: CreateUserInput) -> GResult<GUser> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        users::create(
            &d.ctx,
            who,
            users::CreateUser {
                email: input.email,
                username: input.username,
                password: input.password,
                role: None,
                disabled: None,
            },
        )
        .await
        .map(GUser::new)
        .map_err(gql_error)
    }

    async fn update_user(
        &self,
        cx: &Context<'_>,
        id: ID,
        input: UpdateUserInput,
    ) -> GResult<GUser> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        users::update(
            &d.ctx,
            who,
            &id,
            users::UpdateUser {
                username: input.username,
                email: input.email,
                ..Default::default()
            },
            None,
        )
        .await
        .map(GUser::new)
        .map_err(gql_error)
    }

    async fn delete_user(&self, cx: &Context<'_>, id: ID) -> GResult<bool> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        users::delete(&d.ctx, who, &id).await.map_err(gql_error)?;
        Ok(true)
    }

    async fn create_post(&self, cx: &Context<'_>, input: CreatePostInput) -> GResult<GPost> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::create(
            &d.ctx,
            who,
            posts::CreatePost {
                title: input.title,
                content: input.content,
                slug: input.slug,
                published: input.published,
                author_id: input.author_id.map(|i| i.0),
            },
        )
        .await
        .map(GPost)
        .map_err(gql_error)
    }

    async fn update_post(
        &self,
        cx: &Context<'_>,
        id: ID,
        input: UpdatePostInput,
    ) -> GResult<GPost> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::update(
            &d.ctx,
            who,
            &id,
            posts::UpdatePost {
                title: input.title,
                content: input.content,
                slug: input.slug,
            },
            &Default::default(),
        )
        .await
        .map(GPost)
        .map_err(gql_error)
    }

    async fn publish_post(&self, cx: &Context<'_>, id: ID) -> GResult<GPost> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::set_published(&d.ctx, who, &id, true)
            .await
            .map(GPost)
            .map_err(gql_error)
    }

    async fn unpublish_post(&self, cx: &Context<'_>, id: ID) -> GResult<GPost> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::set_published(&d.ctx, who, &id, false)
            .await
            .map(GPost)
            .map_err(gql_error)
    }

    async fn delete_post(&self, cx: &Context<'_>, id: ID) -> GResult<bool> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::delete(&d.ctx, who, &id).await.map_err(gql_error)?;
        Ok(true)
    }
}
