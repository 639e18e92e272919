//! Responders for JSON bodies: tagged with their ETag (`If-None-Match` →
//! `304`), `201 Created`, and pre-serialised `200`s; and the guard that
//! reads a request's preconditions.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::response::{self, Responder, Response};
use rocket::Request;

pub use crate::values::version::{etag_of, matches, Preconditions};

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Preconditions {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        Outcome::Success(Preconditions {
            if_none_match: req.headers().get_one("If-None-Match").map(str::to_owned),
            if_match: req.headers().get_one("If-Match").map(str::to_owned),
        })
    }
}

/// A JSON body with its ETag, answering `304` when the caller has it.
pub struct Tagged {
    pub body: String,
    pub etag: String,
    pub if_none_match: Option<String>,
}

impl Tagged {
    pub fn new(body: String, pre: &Preconditions) -> Tagged {
        Tagged {
            etag: etag_of(&body),
            body,
            if_none_match: pre.if_none_match.clone(),
        }
    }

    /// With an ETag computed earlier (cached alongside the body).
    pub fn with_etag(body: String, etag: String, pre: &Preconditions) -> Tagged {
        Tagged {
            body,
            etag,
            if_none_match: pre.if_none_match.clone(),
        }
    }
}

impl<'r> Responder<'r, 'static> for Tagged {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.header(Header::new("ETag", self.etag.clone()));
        if self
            .if_none_match
            .as_deref()
            .is_some_and(|h| matches(h, &self.etag))
        {
            return res.status(Status::NotModified).ok();
        }
        res.status(Status::Ok)
            .header(ContentType::JSON)
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// `201 Created` with `Location` and a JSON body.
pub struct Created {
    pub location: String,
    pub body: String,
}

impl<'r> Responder<'r, 'static> for Created {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Created)
            .header(ContentType::JSON)
            .header(Header::new("Location", self.location))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// `200` with a pre-serialised JSON body.
pub struct RawJson(pub String);

impl<'r> Responder<'r, 'static> for RawJson {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(ContentType::JSON)
            .sized_body(self.0.len(), Cursor::new(self.0))
            .ok()
    }
}
