//! The GraphQL schema: the contract's types, queries and mutations, each
//! resolver a thin call into the same service functions REST uses.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::{Context, EmptySubscription, ErrorExtensions, Object, Schema, ID};

use super::loaders::{PostsLoader, UserLoader};
pub use super::mutation::MutationRoot;
use super::objects::{GPost, GUser, SearchHit};
use crate::auth::service::ClientMeta;
use crate::auth::Principal;
use crate::config::GraphqlConfig;
use crate::ctx::Ctx;
use crate::error::{ApiError, AuthFailure};
use crate::ids::{PostId, UserId};
use crate::posts::model::PostKey;
use crate::posts::params::{Author, PostList};
use crate::posts::service as posts;
use crate::users::params::UserList;
use crate::users::service as users;
use crate::values::page::MAX_LIMIT;

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
    let classification = if crate::http::error::status(&e).code >= 500 {
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

pub(super) type GResult<T> = async_graphql::Result<T>;

pub(super) fn data<'a>(cx: &'a Context<'_>) -> GResult<&'a RequestData> {
    cx.data::<RequestData>()
}

pub(super) fn signed_in(d: &RequestData) -> GResult<&Principal> {
    d.viewer
        .as_ref()
        .ok_or_else(|| gql_error(ApiError::Unauthorized(AuthFailure::MissingCredentials)))
}

/// `limit` (default 20, 1..100) and `offset` (≥ 0).
pub(super) fn paging(limit: Option<i32>, offset: Option<i32>) -> GResult<(u32, u64)> {
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

pub(super) fn cost(limit: Option<i32>, child: usize) -> usize {
    (limit.unwrap_or(20).clamp(1, 100) as usize).saturating_mul(child.max(1))
}

/// A user; the flag marks the caller's own account (an auth payload),
/// which shows private fields even before the caller holds a token.
pub struct QueryRoot;

/// Absent or invisible resources are `null`, not errors.
/// An `ID` argument naming a user: a malformed one names nobody (`404`).
pub(super) fn user_id(id: &ID) -> GResult<UserId> {
    UserId::parse(id).ok_or_else(|| gql_error(ApiError::not_found("User")))
}

/// An `ID` argument naming a post, likewise.
pub(super) fn post_id(id: &ID) -> GResult<PostId> {
    PostId::parse(id).ok_or_else(|| gql_error(ApiError::not_found("Post")))
}

pub(super) fn none_if_missing<T>(r: Result<T, ApiError>) -> GResult<Option<T>> {
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
        let Some(id) = UserId::parse(&id) else {
            return Ok(None);
        };
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
        let query = UserList::offset(limit, offset, search.as_deref()).map_err(gql_error)?;
        let (list, _) = users::list(&d.ctx, who, &query).await.map_err(gql_error)?;
        Ok(list.into_iter().map(GUser::new).collect())
    }

    async fn post(&self, cx: &Context<'_>, id: ID) -> GResult<Option<GPost>> {
        let d = data(cx)?;
        let Some(id) = PostId::parse(&id) else {
            return Ok(None);
        };
        let key = PostKey::Id(id);
        let found = none_if_missing(posts::get(&d.ctx, d.viewer.as_ref(), &key).await)?;
        Ok(found.map(|p| GPost(p.post.clone())))
    }

    async fn post_by_slug(&self, cx: &Context<'_>, slug: String) -> GResult<Option<GPost>> {
        let d = data(cx)?;
        let key = match PostKey::parse(&slug) {
            PostKey::Id(_) => return Ok(None),
            key => key,
        };
        let found = none_if_missing(posts::get(&d.ctx, d.viewer.as_ref(), &key).await)?;
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
        let author = Author::parse(author_id.as_ref().map(|a| a.as_str()));
        let query = PostList::offset(author, published, limit, offset);
        let page = posts::list_posts(&d.ctx, d.viewer.as_ref(), &query)
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
        let terms = crate::posts::search::parse(&query).map_err(gql_error)?;
        let outcome = crate::posts::search::run(&d.ctx, terms, limit, offset)
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
