//! GraphQL mutations and their input types: thin calls into the services.

use async_graphql::{Context, InputObject, Object, ID};

use crate::auth::service::{self as auth, NewAccount};
use crate::posts::service as posts;
use crate::users::service as users;

use super::objects::{AuthPayload, GPost, GUser};
use super::schema::{data, gql_error, post_id, signed_in, user_id, GResult};

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
            &user_id(&id)?,
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
        users::delete(&d.ctx, who, &user_id(&id)?)
            .await
            .map_err(gql_error)?;
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
            &post_id(&id)?,
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
        posts::set_published(&d.ctx, who, &post_id(&id)?, true)
            .await
            .map(GPost)
            .map_err(gql_error)
    }

    async fn unpublish_post(&self, cx: &Context<'_>, id: ID) -> GResult<GPost> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::set_published(&d.ctx, who, &post_id(&id)?, false)
            .await
            .map(GPost)
            .map_err(gql_error)
    }

    async fn delete_post(&self, cx: &Context<'_>, id: ID) -> GResult<bool> {
        let d = data(cx)?;
        let who = signed_in(d)?;
        posts::delete(&d.ctx, who, &post_id(&id)?)
            .await
            .map_err(gql_error)?;
        Ok(true)
    }
}
