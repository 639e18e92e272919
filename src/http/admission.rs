//! The request side of the limits: counting a request before any route runs,
//! rewriting a refused one to the rejection route, and the response fields.

use std::net::IpAddr;

use rocket::http::uri::Origin;
use rocket::http::{Header, Method};
use rocket::request::{self, FromRequest};
use rocket::{get, Request, Response};

use super::area::Area;
use super::error::{stash, take_stashed};
use crate::auth::ratelimit::Decision;
use crate::ctx::Ctx;
use crate::error::ApiError;

pub const REJECT_PATH: &str = "/__folio/rate-limited";

/// Where a rejected request was sent before it was rewritten to
/// [`REJECT_PATH`], so the request log names the method and path the client
/// used.
pub struct OriginalTarget(pub Option<(Method, String)>);

/// The method and path the client sent: those of the request, unless it was
/// rejected here and rewritten to [`REJECT_PATH`].
pub fn sent_target<'r>(req: &'r Request<'_>) -> (Method, &'r str) {
    let path = req.uri().path().as_str();
    if path == REJECT_PATH {
        if let Some((method, original)) = &req.local_cache(|| OriginalTarget(None)).0 {
            return (*method, original.as_str());
        }
    }
    (req.method(), path)
}

/// The decision that applied to this request, for the response fields.
struct Applied(Option<Decision>);

/// The client's address as a rate-limit key.
pub fn ip_key(req: &Request<'_>) -> String {
    let ctx = req.rocket().state::<Ctx>();
    key_of_ip(ctx.and_then(|c| c.proxies.client_ip(req)))
}

pub(super) fn key_of_ip(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(ip)) => {
            // Most keys are IPv4, and every request makes one: written
            // digit by digit rather than through `format!` and `Display`.
            let mut digits = itoa::Buffer::new();
            let mut key = String::with_capacity(18);
            key.push_str("ip:");
            for (i, octet) in ip.octets().into_iter().enumerate() {
                if i > 0 {
                    key.push('.');
                }
                key.push_str(digits.format(octet));
            }
            key
        }
        Some(ip) => format!("ip:{ip}"),
        None => "ip:local".to_string(),
    }
}

/// Counts `req` against its policy before any route runs, and answers it
/// with `429` when the policy refuses it (step of [`super::pipeline`]).
pub async fn admit(ctx: &Ctx, req: &mut Request<'_>) {
    let area = Area::of(req);
    if !ctx.limits.enabled || req.method() == Method::Options || !area.limited {
        return;
    }
    let decision = if area.auth_policy {
        ctx.limits.auth.check(&ip_key(req))
    } else {
        let key = match crate::auth::guards::resolve(req).await {
            Ok(Some(p)) => p.rate_key(),
            _ => ip_key(req),
        };
        ctx.limits.default.check(&key)
    };
    req.local_cache(|| Applied(Some(decision)));
    if !decision.allowed {
        ctx.metrics.rate_limited(decision.policy);
        reject(
            req,
            ApiError::RateLimited {
                retry_after: decision.retry_after,
            },
        );
    }
}

/// Writes the fields of the decision [`admit`] took, if it took one.
pub fn annotate<'r>(req: &'r Request<'_>, res: &mut Response<'r>) {
    if let Some(d) = req.local_cache(|| Applied(None)).0 {
        set_fields(res, &d);
    }
}

/// Answers `req` with `err` before any route runs: stashes the error and
/// rewrites the request to the rejection route, remembering where it was
/// sent (for the request log and the error's shape).
pub fn reject(req: &mut Request<'_>, err: ApiError) {
    stash(req, err);
    let (method, path) = (req.method(), req.uri().path().as_str().to_string());
    req.local_cache(|| OriginalTarget(Some((method, path))));
    req.set_method(Method::Get);
    req.set_uri(Origin::parse(REJECT_PATH).unwrap_or(Origin::ROOT));
}

/// A request that sends a credential must send a valid one: `401` even on
/// routes anonymous callers may use (and whose handlers never look at the
/// caller). Runs after [`admit`], so requests with bad credentials still
/// count against the limits.
pub async fn check_credentials(req: &mut Request<'_>) {
    if !super::headers::sent_credentials(req) {
        return;
    }
    let area = Area::of(req);
    if req.method() == Method::Options || !area.limited || area.token_exchange {
        return;
    }
    if let Err(failure) = crate::auth::guards::resolve(req).await {
        reject(req, ApiError::Unauthorized(failure));
    }
}

/// Writes the IETF fields of `d` onto a response.
pub fn set_fields(res: &mut Response<'_>, d: &Decision) {
    res.set_header(Header::new("RateLimit-Policy", d.policy_header()));
    res.set_header(Header::new("RateLimit", d.limit_header()));
}

/// The stashed rejection, for the rewrite target.
pub struct Rejection(ApiError);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Rejection {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        let err = take_stashed(req).unwrap_or(ApiError::RateLimited { retry_after: 1 });
        request::Outcome::Success(Rejection(err))
    }
}

#[get("/__folio/rate-limited")]
pub fn rejected(r: Rejection) -> ApiError {
    r.0
}

#[cfg(test)]
mod tests {
    use super::key_of_ip;

    #[test]
    fn ip_keys() {
        let v4 = |s: &str| key_of_ip(Some(s.parse().unwrap()));
        assert_eq!(v4("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(v4("0.0.0.0"), "ip:0.0.0.0");
        assert_eq!(v4("255.255.255.255"), "ip:255.255.255.255");
        assert_eq!(v4("2001:db8::1"), "ip:2001:db8::1");
        assert_eq!(key_of_ip(None), "ip:local");
    }
}
