//! The request guards: a request's credentials (`Authorization: Bearer` or
//! `x-api-key`) resolved once into its [`Principal`].

use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::Request;

use super::principal::{key_principal, user_from_token, Principal};
use crate::ctx::Ctx;
use crate::error::{ApiError, AuthFailure};
use crate::http::error::stash;

/// Resolves the request's credentials once and remembers the answer.
pub async fn resolve(req: &Request<'_>) -> Result<Option<Principal>, AuthFailure> {
    req.local_cache_async(async { resolve_uncached(req).await })
        .await
        .clone()
}

async fn resolve_uncached(req: &Request<'_>) -> Result<Option<Principal>, AuthFailure> {
    let Some(ctx) = req.rocket().state::<Ctx>() else {
        return Err(AuthFailure::InvalidToken);
    };
    if let Some(header) = req.headers().get_one("Authorization") {
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or(AuthFailure::InvalidToken)?;
        let user = user_from_token(ctx, token).await?;
        // Both sent: the bearer is who acts, and the key must be valid too.
        if let Some(key) = req.headers().get_one("x-api-key") {
            key_principal(ctx, key.trim()).await?;
        }
        return Ok(Some(user));
    }
    if let Some(key) = req.headers().get_one("x-api-key") {
        return key_principal(ctx, key.trim()).await.map(Some);
    }
    Ok(None)
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Principal {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        match resolve(req).await {
            Ok(Some(p)) => Outcome::Success(p),
            Ok(None) => Outcome::Error(stash(
                req,
                ApiError::Unauthorized(AuthFailure::MissingCredentials),
            )),
            Err(f) => Outcome::Error(stash(req, ApiError::Unauthorized(f))),
        }
    }
}

/// Anyone: anonymous is fine, but a credential that is sent must be valid.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Caller {
    type Error = ApiError;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        match resolve(req).await {
            Ok(p) => Outcome::Success(Caller(p)),
            Err(f) => Outcome::Error(stash(req, ApiError::Unauthorized(f))),
        }
    }
}
