//! Serving files embedded with rust-embed: each prepared once (bytes, gzip
//! when smaller, MIME type, strong ETag), answered with
//! `Cache-Control: no-cache` (every load revalidates with a cheap `304`),
//! gzip when the client accepts it, and the caller's Content-Security-Policy.

use std::collections::HashMap;
use std::io::{Cursor, Write};

use rocket::http::{ContentType, Header, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::{self, Responder, Response};
use rocket::Request;
use rust_embed::RustEmbed;

/// One prepared file: bytes, gzip bytes (when smaller), type and ETag.
pub struct Prepared {
    body: Vec<u8>,
    gzip: Option<Vec<u8>>,
    content_type: ContentType,
    etag: String,
}

fn content_type(path: &str) -> ContentType {
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "js" | "mjs" => ContentType::JavaScript,
        "css" => ContentType::CSS,
        "html" => ContentType::HTML,
        "svg" => ContentType::SVG,
        "json" => ContentType::JSON,
        "png" => ContentType::PNG,
        "ico" => ContentType::Icon,
        "woff2" => ContentType::WOFF2,
        _ => ContentType::from_extension(ext).unwrap_or(ContentType::Binary),
    }
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).ok()?;
    let out = enc.finish().ok()?;
    (out.len() + 64 < bytes.len()).then_some(out)
}

/// Every file of `E`, by its path.
pub fn prepare<E: RustEmbed>() -> HashMap<String, Prepared> {
    E::iter()
        .filter_map(|name| {
            let file = E::get(&name)?;
            let body = file.data.into_owned();
            let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
            Some((
                name.to_string(),
                Prepared {
                    gzip: gzip(&body),
                    content_type: content_type(&name),
                    body,
                    etag,
                },
            ))
        })
        .collect()
}

/// What the client sent about caching and encodings.
pub struct Negotiation {
    gzip: bool,
    if_none_match: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Negotiation {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let h = req.headers();
        Outcome::Success(Negotiation {
            gzip: h
                .get("Accept-Encoding")
                .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip"))),
            if_none_match: h.get_one("If-None-Match").map(str::to_owned),
        })
    }
}

pub struct Asset {
    pub file: &'static Prepared,
    pub neg: Negotiation,
    pub csp: &'static str,
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.header(Header::new("ETag", self.file.etag.clone()))
            .header(Header::new("Cache-Control", "no-cache"))
            .header(Header::new("Content-Security-Policy", self.csp))
            .header(Header::new("Vary", "Accept-Encoding"));
        if self
            .neg
            .if_none_match
            .as_deref()
            .is_some_and(|h| crate::http::etag::matches(h, &self.file.etag))
        {
            return res.status(Status::NotModified).ok();
        }
        res.header(self.file.content_type.clone());
        match (&self.file.gzip, self.neg.gzip) {
            (Some(z), true) => res
                .header(Header::new("Content-Encoding", "gzip"))
                .sized_body(z.len(), Cursor::new(z.as_slice())),
            _ => res.sized_body(self.file.body.len(), Cursor::new(self.file.body.as_slice())),
        };
        res.ok()
    }
}
