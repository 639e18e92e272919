//! How an [`ApiError`] is answered: its status, the contract's JSON body (or
//! GraphQL's shape under `/graphql`) and the headers that go with it.
//!
//! Guards cannot hand their error to a catcher directly in Rocket 0.5, so
//! they *stash* it in the request's local cache and the catcher renders the
//! stashed error.

use std::io::Cursor;
use std::sync::Mutex;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};

use super::request_log::correlation_id;
use crate::error::{ApiError, AuthFailure, StorageFault};

/// Seconds a client is told to wait after a storage failure: long enough
/// for an operator to free space, short enough to notice recovery soon.
pub const STORAGE_RETRY_AFTER: u64 = 10;

/// The HTTP status the contract gives `err`.
pub fn status(err: &ApiError) -> Status {
    match err {
        ApiError::Validation(_) | ApiError::InvalidJson(_) => Status::BadRequest,
        ApiError::Unauthorized(_) => Status::Unauthorized,
        ApiError::Forbidden(_) | ApiError::CrossOrigin => Status::Forbidden,
        ApiError::NotFound(_) => Status::NotFound,
        ApiError::MethodNotAllowed { .. } => Status::MethodNotAllowed,
        ApiError::Conflict(_) => Status::Conflict,
        ApiError::PreconditionFailed(_) => Status::PreconditionFailed,
        ApiError::PayloadTooLarge { .. } => Status::PayloadTooLarge,
        ApiError::UnsupportedMediaType => Status::UnsupportedMediaType,
        ApiError::RequestTimeout => Status::RequestTimeout,
        ApiError::RateLimited { .. } => Status::TooManyRequests,
        ApiError::NotReady(_) => Status::ServiceUnavailable,
        ApiError::Storage { fault, .. } => match fault {
            StorageFault::Full => Status::InsufficientStorage,
            StorageFault::Unavailable => Status::ServiceUnavailable,
        },
        ApiError::Internal(_) => Status::InternalServerError,
    }
}

/// The error for a bare status, used by catchers when nothing was stashed.
pub fn from_status(status: Status) -> ApiError {
    match status.code {
        400 => ApiError::InvalidJson("Bad request".into()),
        401 => ApiError::Unauthorized(AuthFailure::MissingCredentials),
        403 => ApiError::forbidden(),
        404 => ApiError::NotFound("Not found".into()),
        413 => ApiError::PayloadTooLarge { limit: 0 },
        415 => ApiError::UnsupportedMediaType,
        // Rocket answers 422 when a form or parameter does not parse; the
        // contract never does, so it becomes a 400.
        422 => ApiError::validation("request", "could not be parsed"),
        429 => ApiError::RateLimited { retry_after: 1 },
        503 => ApiError::NotReady("Service not ready".into()),
        _ => ApiError::internal(format!("unhandled status {status}")),
    }
}

/// The contract's JSON body, with the request's correlation id.
pub fn body(err: &ApiError, correlation_id: &str) -> serde_json::Value {
    let message = match err {
        ApiError::PayloadTooLarge { limit: 0 } => "Request body is too large".to_string(),
        other => other.to_string(),
    };
    let mut body = serde_json::json!({
        "error": message,
        "code": err.code(),
        "correlation_id": correlation_id,
    });
    if let Some(details) = err.details() {
        body["details"] = serde_json::json!(details);
    }
    body
}

/// The GraphQL transport's shape for a request-level failure.
pub fn graphql_body(err: &ApiError, correlation_id: &str) -> serde_json::Value {
    let rest = body(err, correlation_id);
    let mut extensions = serde_json::json!({"code": err.code(), "correlation_id": correlation_id});
    if let Some(details) = rest.get("details") {
        extensions["details"] = details.clone();
    }
    serde_json::json!({"errors": [{"message": rest["error"], "extensions": extensions}]})
}

/// Writes an internal error and its cause chain to the log.
fn log_internal(err: &ApiError, correlation_id: &str) {
    let mut chain = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        chain.push(cause.to_string());
        source = cause.source();
    }
    tracing::error!(correlation_id, cause = %chain.join(": "), "internal error");
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let id = correlation_id(req);
        if matches!(self, ApiError::Internal(_)) {
            log_internal(&self, id);
        }
        let body = if super::area::Area::of(req).graphql {
            graphql_body(&self, id).to_string()
        } else {
            body(&self, id).to_string()
        };
        let mut res = Response::build();
        res.status(status(&self))
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body));
        match &self {
            ApiError::MethodNotAllowed { allow } => {
                res.header(Header::new("Allow", allow.join(", ")));
            }
            ApiError::RateLimited { retry_after } => {
                res.header(Header::new("Retry-After", retry_after.to_string()));
            }
            // The unread rest of the body cannot be skipped: end the connection.
            ApiError::RequestTimeout => {
                res.header(Header::new("Connection", "close"));
            }
            ApiError::Storage { .. } => {
                res.header(Header::new("Retry-After", STORAGE_RETRY_AFTER.to_string()));
            }
            _ => {}
        }
        res.ok()
    }
}

/// A slot in the request's local cache holding a guard's error.
#[derive(Default)]
struct Stash(Mutex<Option<ApiError>>);

/// Keeps `err` for the catcher and returns its status, for guards.
pub fn stash(req: &Request<'_>, err: ApiError) -> (Status, ApiError) {
    let status = status(&err);
    let copy = err.clone();
    if let Ok(mut slot) = req.local_cache(Stash::default).0.lock() {
        *slot = Some(copy);
    }
    (status, err)
}

/// Takes the error a guard stashed, if any.
pub fn take_stashed(req: &Request<'_>) -> Option<ApiError> {
    req.local_cache(Stash::default)
        .0
        .lock()
        .ok()
        .and_then(|mut slot| slot.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_storage_fault_has_its_status_and_code() {
        let full = ApiError::Storage {
            fault: StorageFault::Full,
            cause: "database or disk is full".into(),
        };
        assert_eq!(status(&full), Status::InsufficientStorage);
        assert_eq!(body(&full, "c")["code"], "storage_full");
        let gone = ApiError::Storage {
            fault: StorageFault::Unavailable,
            cause: "disk I/O error".into(),
        };
        assert_eq!(status(&gone), Status::ServiceUnavailable);
    }

    #[test]
    fn rocket_422_becomes_the_contract_400() {
        let err = from_status(Status::UnprocessableEntity);
        assert_eq!(status(&err), Status::BadRequest);
        assert_eq!(body(&err, "c")["details"][0]["field"], "request");
    }
}
