//! `JsonBody<T>`: the one data guard for JSON request bodies.
//!
//! Rocket's `Json<T>` answers `422` for wrong shapes and never checks the
//! content type. This guard gives the contract's answers instead: `415` for a
//! non-JSON content type, `413` over the body limit, `400 invalid_json` for
//! broken syntax and `400 validation_failed` with the field path for a wrong
//! shape.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::outcome::Outcome;
use rocket::Request;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;

use super::error::stash;
use crate::error::{ApiError, FieldError};

/// The configured body limit, managed as Rocket state.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub u64);

/// How long a body may take to arrive (`None`: no limit), managed as
/// Rocket state.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Option<std::time::Duration>);

#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Is the request's content type JSON (`application/json` or `+json`)?
pub fn is_json(req: &Request<'_>) -> bool {
    req.content_type().is_some_and(|ct| {
        ct.is_json() || (ct.top() == "application" && ct.sub().as_str().ends_with("+json"))
    })
}

/// Reads the whole body up to the configured limit.
///
/// Straight into a buffer sized from `Content-Length` (bounded by the
/// limit and 64 KiB, growing past that as bytes arrive), where Rocket's
/// `into_bytes` copies through a fresh zeroed 8 KiB buffer per request. One
/// byte past the limit is read to tell a body at the limit from a larger one.
pub async fn read_limited(req: &Request<'_>, data: Data<'_>) -> Result<Vec<u8>, ApiError> {
    let limit = req
        .rocket()
        .state::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(1024 * 1024);
    let announced = req
        .headers()
        .get_one("Content-Length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    // Up front at most 64 KiB: a client that announces a large body and
    // sends it slowly holds only what it has sent.
    let capacity = announced.unwrap_or(1024).min(limit).min(64 * 1024);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(1024));
    let mut body = data.open(limit.saturating_add(1).bytes());
    let read = body.read_to_end(&mut bytes);
    let timeout = req.rocket().state::<BodyTimeout>().and_then(|t| t.0);
    let read = match timeout {
        Some(t) => tokio::time::timeout(t, read)
            .await
            .map_err(|_| ApiError::RequestTimeout)?,
        None => read.await,
    };
    read.map_err(|e| ApiError::InvalidJson(format!("could not read the body: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// Parses JSON, telling broken syntax from a wrong shape.
///
/// One typed pass on the way to success. When it fails on the shape, a
/// second, allocation-free pass checks the syntax of the whole document, so
/// a broken document is never reported as a wrong shape (its first error
/// may be a shape error that comes before the broken part).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let err = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => match de.end() {
            Ok(()) => return Ok(value),
            // Trailing bytes after the value.
            Err(e) => return Err(ApiError::InvalidJson(e.to_string())),
        },
        Err(err) => err,
    };
    if err.inner().is_syntax() || err.inner().is_eof() {
        return Err(ApiError::InvalidJson(err.into_inner().to_string()));
    }
    if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::InvalidJson(syntax.to_string()));
    }
    let path = err.path().to_string();
    let inner = err.into_inner();
    let message = clean_serde_message(&inner.to_string());
    let base = if path == "." { String::new() } else { path };
    // serde reports a missing field at its parent; name the field.
    let field = match missing_field(&message) {
        Some(name) if base.is_empty() => name.to_string(),
        Some(name) => format!("{base}.{name}"),
        None if base.is_empty() => "body".to_string(),
        None => base,
    };
    Err(ApiError::Validation(vec![FieldError::new(field, message)]))
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// serde's messages end with " at line 1 column 9"; the field path says where.
fn clean_serde_message(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send> FromData<'r> for JsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !is_json(req) {
            return Outcome::Error(stash(req, ApiError::UnsupportedMediaType));
        }
        let result = match read_limited(req, data).await {
            Ok(bytes) => parse::<T>(&bytes),
            Err(e) => Err(e),
        };
        match result {
            Ok(v) => Outcome::Success(JsonBody(v)),
            Err(e) => Outcome::Error(stash(req, e)),
        }
    }
}

/// A body that may be absent (no bytes and no content type), else JSON.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send> FromData<'r> for OptionalJsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let declared_empty = req
            .headers()
            .get_one("Content-Length")
            .is_some_and(|v| v.trim() == "0");
        if req.content_type().is_none() || declared_empty {
            // No content type: accept only an empty body.
            return match read_limited(req, data).await {
                Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
                    Outcome::Success(OptionalJsonBody(None))
                }
                Ok(_) => Outcome::Error(stash(req, ApiError::UnsupportedMediaType)),
                Err(e) => Outcome::Error(stash(req, e)),
            };
        }
        match JsonBody::<T>::from_data(req, data).await {
            Outcome::Success(JsonBody(v)) => Outcome::Success(OptionalJsonBody(Some(v))),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Shape {
        name: String,
        age: u8,
    }

    #[test]
    fn syntax_vs_shape() {
        assert_eq!(parse::<Shape>(b"{").unwrap_err().code(), "invalid_json");
        assert_eq!(parse::<Shape>(b"{} x").unwrap_err().code(), "invalid_json");
        let err = parse::<Shape>(br#"{"name": 1, "age": 3}"#).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(err.details().unwrap()[0].field, "name");
        let err = parse::<Shape>(br#"{"name": "x"}"#).unwrap_err();
        assert_eq!(err.code(), "validation_failed");
    }
}
