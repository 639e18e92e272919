//! Security headers on every response, `Cache-Control: no-store` on
//! authenticated ones, and CORS for the configured origins.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Method, Status};
use rocket::{options, Request, Response};

use crate::ctx::Ctx;

pub struct SecurityHeaders;

/// Was a credential sent with the request?
pub fn sent_credentials(req: &Request<'_>) -> bool {
    req.headers().contains("Authorization") || req.headers().contains("x-api-key")
}

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers and CORS",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "no-referrer"));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        let Some(ctx) = req.rocket().state::<Ctx>() else {
            return;
        };
        if ctx.config.server.hsts {
            res.set_header(Header::new(
                "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains",
            ));
        }
        if sent_credentials(req) || req.uri().path().starts_with("/api/auth") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        cors(ctx, req, res);
    }
}

fn cors(ctx: &Ctx, req: &Request<'_>, res: &mut Response<'_>) {
    let Some(origin) = req.headers().get_one("Origin") else {
        return;
    };
    let allowed = &ctx.config.cors.allowed_origins;
    let any = allowed.iter().any(|o| o == "*");
    if !any && !allowed.iter().any(|o| o == origin) {
        return;
    }
    res.adjoin_header(Header::new("Vary", "Origin"));
    if any {
        // Credentials are never allowed together with a wildcard.
        res.set_header(Header::new("Access-Control-Allow-Origin", "*"));
    } else {
        res.set_header(Header::new(
            "Access-Control-Allow-Origin",
            origin.to_string(),
        ));
        res.set_header(Header::new("Access-Control-Allow-Credentials", "true"));
    }
    res.set_header(Header::new(
        "Access-Control-Expose-Headers",
        "x-correlation-id, RateLimit, RateLimit-Policy, Retry-After, ETag, Location",
    ));
    if req.method() == Method::Options {
        res.set_header(Header::new(
            "Access-Control-Allow-Methods",
            "GET, POST, PATCH, DELETE, OPTIONS",
        ));
        res.set_header(Header::new(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, x-api-key, x-correlation-id, x-folio-client, If-Match, If-None-Match, Last-Event-ID",
        ));
        res.set_header(Header::new("Access-Control-Max-Age", "600"));
    }
}

/// Answers CORS preflights (and plain `OPTIONS`) for every path.
#[options("/<_path..>")]
pub fn preflight(_path: std::path::PathBuf) -> Status {
    Status::NoContent
}
