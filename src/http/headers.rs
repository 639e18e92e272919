//! Security headers on every response, `Cache-Control: no-store` on
//! authenticated ones, and CORS for the configured origins; sized bodies
//! are handed to the connection in one piece.

use rocket::http::{Header, Method, Status};
use rocket::{options, Request, Response};

use crate::ctx::Ctx;

/// Was a credential sent with the request?
pub fn sent_credentials(req: &Request<'_>) -> bool {
    req.headers().contains("Authorization") || req.headers().contains("x-api-key")
}

/// Sets the security headers, `Cache-Control` and CORS on `res` (step of
/// [`crate::http::pipeline`]).
pub fn secure<'r>(ctx: Option<&Ctx>, req: &'r Request<'_>, res: &mut Response<'r>) {
    one_chunk(res);
    res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
    res.set_header(Header::new("Referrer-Policy", "no-referrer"));
    res.set_header(Header::new("X-Frame-Options", "DENY"));
    let Some(ctx) = ctx else {
        return;
    };
    if ctx.config.server.hsts {
        res.set_header(Header::new(
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ));
    }
    if sent_credentials(req) || crate::http::area::Area::of(req).auth {
        res.set_header(Header::new("Cache-Control", "no-store"));
    }
    cors(ctx, req, res);
}

/// Largest body sent as a single chunk.
const MAX_ONE_CHUNK: usize = 1 << 20;

/// Rocket passes a body to hyper in chunks of at most 4 KiB, each through a
/// one-slot channel (a task wake-up per chunk), so a body of known size up to
/// [`MAX_ONE_CHUNK`] goes as one. Streams (the event stream) have no preset
/// size and are left alone.
fn one_chunk(res: &mut Response<'_>) {
    if let Some(size) = res.body().preset_size() {
        if size > rocket::response::Body::DEFAULT_MAX_CHUNK {
            res.set_max_chunk_size(size.min(MAX_ONE_CHUNK));
        }
    }
}

fn cors(ctx: &Ctx, req: &Request<'_>, res: &mut Response<'_>) {
    let allowed = &ctx.config.cors.allowed_origins;
    if allowed.is_empty() {
        return;
    }
    let any = allowed.iter().any(|o| o == "*");
    if !any {
        // The answer depends on the Origin sent (allowed or not, or none):
        // shared caches must not hand one origin's answer to another.
        res.adjoin_header(Header::new("Vary", "Origin"));
    }
    let Some(origin) = req.headers().get_one("Origin") else {
        return;
    };
    if !any && !allowed.iter().any(|o| o == origin) {
        return;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::response::Body;
    use std::io::Cursor;

    fn chunk_for(len: usize) -> usize {
        let mut res = Response::build()
            .sized_body(len, Cursor::new(vec![b'x'; len]))
            .finalize();
        one_chunk(&mut res);
        res.body().max_chunk_size()
    }

    #[test]
    fn sized_bodies_go_in_one_chunk_up_to_a_mebibyte() {
        assert_eq!(chunk_for(100), Body::DEFAULT_MAX_CHUNK);
        assert_eq!(chunk_for(13_619), 13_619);
        assert_eq!(chunk_for(3 << 20), MAX_ONE_CHUNK);
        // A stream of unknown size keeps Rocket's default.
        let mut res = Response::build()
            .streamed_body(Cursor::new(vec![b'x'; 10_000]))
            .finalize();
        one_chunk(&mut res);
        assert_eq!(res.body().max_chunk_size(), Body::DEFAULT_MAX_CHUNK);
    }
}
