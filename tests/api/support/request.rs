//! The one way in-process tests send requests: a builder that ends in a
//! fully read [`Resp`], whose asserting methods are sync and
//! `#[track_caller]`, so a failure names the test's own line.
//!
//! ```ignore
//! let post = app
//!     .req(Method::Post, "/api/posts")
//!     .bearer(&token)
//!     .json(&json!({"title": "t", "content": "c"}))
//!     .send()
//!     .await
//!     .expect(Status::Created);
//! ```

use std::panic::Location;

use rocket::http::{ContentType, Header, HeaderMap, Status};
use rocket::local::asynchronous::LocalRequest;
use serde_json::Value;

/// A request being built; nothing is sent until [`Req::send`].
pub struct Req<'c> {
    inner: LocalRequest<'c>,
    what: String,
}

impl<'c> Req<'c> {
    pub(super) fn new(inner: LocalRequest<'c>, what: String) -> Req<'c> {
        Req { inner, what }
    }

    pub fn header(self, name: &'static str, value: impl Into<String>) -> Self {
        Req {
            inner: self.inner.header(Header::new(name, value.into())),
            what: self.what,
        }
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", format!("Bearer {token}"))
    }

    /// A bearer token when there is one; anonymous otherwise.
    pub fn bearer_opt(self, token: Option<&str>) -> Self {
        match token {
            Some(t) => self.bearer(t),
            None => self,
        }
    }

    pub fn api_key(self, key: &str) -> Self {
        self.header("x-api-key", key.to_string())
    }

    pub fn content_type(self, ct: ContentType) -> Self {
        Req {
            inner: self.inner.header(ct),
            what: self.what,
        }
    }

    /// A raw body, sent with whatever content type was set (or none).
    pub fn body(self, raw: impl AsRef<[u8]>) -> Self {
        Req {
            inner: self.inner.body(raw),
            what: self.what,
        }
    }

    /// `body` as JSON, with `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.content_type(ContentType::JSON).body(body.to_string())
    }

    pub async fn send(self) -> Resp {
        let res = self.inner.dispatch().await;
        let status = res.status();
        let content_type = res.content_type();
        let mut headers = HeaderMap::new();
        for h in res.headers().iter() {
            headers.add(Header::new(
                h.name().as_str().to_string(),
                h.value().to_string(),
            ));
        }
        let bytes = res.into_bytes().await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            what: self.what,
            status,
            headers,
            content_type,
            bytes,
            text,
            body,
        }
    }
}

/// A response, read in full. `body` is `Null` when the bytes are not JSON.
#[derive(Debug)]
pub struct Resp {
    /// `METHOD path` of the request, for failure messages.
    pub what: String,
    pub status: Status,
    pub headers: HeaderMap<'static>,
    pub content_type: Option<ContentType>,
    pub bytes: Vec<u8>,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get_one(name)
    }

    /// The header's value; fails the test when it is missing.
    #[track_caller]
    pub fn must_header(&self, name: &str) -> &str {
        match self.header(name) {
            Some(v) => v,
            None => panic!("{}: no {name} header in {:?}", self.what(), self.headers),
        }
    }

    /// Asserts the status; returns the response for further checks.
    #[track_caller]
    pub fn expect(self, status: Status) -> Resp {
        self.check_status(status, None);
        self
    }

    /// Asserts the status and the contract's error body with `code`.
    #[track_caller]
    pub fn expect_error(self, status: Status, code: &str) -> Resp {
        self.check_status(status, None);
        assert_error(&self.body, code);
        self
    }

    /// [`Resp::expect`] for helpers that run inside a future (where
    /// `#[track_caller]` cannot reach): the message names `at` instead.
    pub fn expect_at(self, status: Status, at: &Location<'_>) -> Resp {
        self.check_status(status, Some(at));
        self
    }

    /// [`Resp::expect_error`] for helpers that run inside a future.
    pub fn expect_error_at(self, status: Status, code: &str, at: &Location<'_>) -> Resp {
        self.check_status(status, Some(at));
        if self.body["code"] != code || !self.body["error"].is_string() {
            panic!(
                "{at}: {}: expected the error {code}, got {}",
                self.what(),
                self.text
            );
        }
        self
    }

    #[track_caller]
    fn check_status(&self, status: Status, at: Option<&Location<'_>>) {
        if self.status != status {
            let at = at.map(|l| format!("{l}: ")).unwrap_or_default();
            panic!(
                "{at}{}: expected {status}, got {}: {}",
                self.what(),
                self.status,
                shorten(&self.text, 2000)
            );
        }
    }

    fn what(&self) -> String {
        shorten(&self.what, 200)
    }
}

/// Asserts the contract's error body: `code`, a sentence and a
/// correlation id.
#[track_caller]
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["code"], code, "unexpected body: {body}");
    assert!(body["error"].is_string(), "no error sentence: {body}");
    assert!(
        body["correlation_id"].is_string(),
        "no correlation id: {body}"
    );
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
