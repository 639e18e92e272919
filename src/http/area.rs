//! What part of Folio a request's path reaches, read the way Rocket's router
//! reads it: percent-decoded segments, empty ones skipped. Every decision
//! taken from the path before routing (rate-limit policy, credential check,
//! `no-store`, the GraphQL error shape) asks here, so `//api/auth/login/` or
//! `/api/%61uth/login` is treated as the route it reaches.

use rocket::http::uri::{fmt::Path, Segments};
use rocket::http::Method;
use rocket::Request;

/// Routes that `POST` counts under the `auth` policy (per IP).
const AUTH_POLICY_ROUTES: &[&[&str]] = &[
    &["api", "auth", "register"],
    &["api", "auth", "login"],
    &["api", "auth", "refresh"],
    &["api", "auth", "password"],
    &["api", "admin", "setup"],
];

/// The routes that exchange a password, a refresh token or a setup token
/// for a session: they ignore `Authorization` and `x-api-key`, so a client
/// that still attaches an expired access token can log in or refresh.
const TOKEN_EXCHANGE_ROUTES: &[&[&str]] = &[
    &["api", "auth", "register"],
    &["api", "auth", "login"],
    &["api", "auth", "refresh"],
    &["api", "auth", "logout"],
    &["api", "admin", "setup"],
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Area {
    /// Under `/api` or `/graphql`: rate limited, credentials checked.
    pub limited: bool,
    /// Under `/graphql`: errors take GraphQL's shape.
    pub graphql: bool,
    /// Under `/api/auth`: answers are never stored.
    pub auth: bool,
    /// Counted under the `auth` policy.
    pub auth_policy: bool,
    /// Exchanges a password or token for a session.
    pub token_exchange: bool,
}

impl Area {
    /// The area of the path the client sent. Computed on first use, which
    /// the pipeline makes before any rewrite of the request.
    pub fn of(req: &Request<'_>) -> Area {
        *req.local_cache(|| Area::classify(req.method(), req.uri().path().segments()))
    }

    fn classify(method: Method, segs: Segments<'_, Path>) -> Area {
        let first = segs.get(0);
        let api = first == Some("api");
        let graphql = first == Some("graphql");
        let is_any = |routes: &[&[&str]]| routes.iter().any(|r| is_route(&segs, r));
        Area {
            limited: api || graphql,
            graphql,
            auth: api && segs.get(1) == Some("auth"),
            auth_policy: method == Method::Post && is_any(AUTH_POLICY_ROUTES),
            token_exchange: is_any(TOKEN_EXCHANGE_ROUTES),
        }
    }
}

fn is_route(segs: &Segments<'_, Path>, route: &[&str]) -> bool {
    segs.len() == route.len()
        && route
            .iter()
            .enumerate()
            .all(|(i, want)| segs.get(i) == Some(want))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::http::uri::Origin;

    fn area(method: Method, uri: &str) -> Area {
        let origin = Origin::parse(uri).unwrap();
        Area::classify(method, origin.path().segments())
    }

    #[test]
    fn every_spelling_routing_accepts_is_the_route_it_reaches() {
        for uri in [
            "/api/auth/login",
            "//api/auth/login",
            "/api/auth/login/",
            "/api//auth/login",
            "/api/auth/%6cogin",
            "/api/%61uth/login",
            "/%61%70%69/auth/%6C%6F%67%69%6E",
            "///api///auth///login///",
            "/api/auth/login?x",
            "/api/auth/login?x=1&y",
        ] {
            let a = area(Method::Post, uri);
            assert!(
                a.limited && a.auth && a.auth_policy && a.token_exchange,
                "{uri}: {a:?}"
            );
            assert!(!a.graphql, "{uri}");
        }
        let setup = area(Method::Post, "/api/admin//setup/");
        assert!(setup.auth_policy && setup.token_exchange && !setup.auth);
        let posts = area(Method::Get, "//api/posts");
        assert!(posts.limited && !posts.auth && !posts.auth_policy && !posts.token_exchange);
        assert!(area(Method::Post, "//graphql/").graphql);
        assert!(area(Method::Post, "/%67raphql").limited);
    }

    #[test]
    fn spellings_routing_refuses_are_not_the_route() {
        for uri in [
            "/api/auth%2Flogin",
            "/api/auth/login%2F",
            "/api/auth/LOGIN",
            "/api/Auth/login",
            "/api/./auth/login",
            "/api/auth/./login",
            "/api/x/../auth/login",
            "/api/auth/login/..",
            "/api/auth/login%3Fx",
            "/api/auth/login/x",
        ] {
            let a = area(Method::Post, uri);
            assert!(!a.auth_policy && !a.token_exchange, "{uri}: {a:?}");
            assert!(a.limited, "{uri}: still under /api");
        }
        let upper = area(Method::Post, "/API/auth/login");
        assert!(!upper.limited && !upper.auth && !upper.auth_policy);
        // Only POST is counted under `auth`.
        let get = area(Method::Get, "/api/auth/login");
        assert!(!get.auth_policy && get.auth);
        assert_eq!(area(Method::Get, "/"), Area::default());
        assert!(!area(Method::Get, "/apix").limited);
        assert!(!area(Method::Get, "/health").limited);
    }
}
