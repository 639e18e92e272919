//! One error type for every failure, and its JSON responder.
//!
//! Every 4xx and 5xx of every route, guard and catcher ends up as the
//! contract's body: `{error, code, details?, correlation_id}`. Guards cannot
//! hand their error to a catcher directly in Rocket 0.5, so they *stash* it in
//! the request's local cache and the catcher renders the stashed error.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use serde::Serialize;

pub use crate::db::health::StorageFault;
use crate::telemetry::correlation_id;

/// Seconds a client is told to wait after a storage failure: long enough
/// for an operator to free space, short enough to notice recovery soon.
pub const STORAGE_RETRY_AFTER: u64 = 10;

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects the field errors of one input so that every problem is reported
/// at once, as one `validation_failed` error.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, problem: FieldError) {
        self.0.push(problem);
    }

    /// The checked value, or `None` after recording its problem.
    pub fn check<T>(&mut self, checked: Result<T, FieldError>) -> Option<T> {
        checked.map_err(|e| self.push(e)).ok()
    }

    /// For an optional field: `None` when it is absent or fails its check
    /// (the problem recorded).
    pub fn check_optional<T>(&mut self, checked: Option<Result<T, FieldError>>) -> Option<T> {
        self.check(checked.transpose()).flatten()
    }

    /// Like [`Problems::check`] for checks that answer an [`ApiError`]: a
    /// validation error's field errors are recorded, any other error dropped.
    pub fn check_all<T>(&mut self, checked: ApiResult<T>) -> Option<T> {
        checked
            .map_err(|e| {
                if let ApiError::Validation(d) = e {
                    self.0.extend(d)
                }
            })
            .ok()
    }

    /// `Err(validation_failed)` with every recorded problem, if there are any.
    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// `value` when there are no problems and it is there, else the
    /// validation error with every recorded problem.
    pub fn into_value<T>(self, value: Option<T>) -> ApiResult<T> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(ApiError::Validation(self.0)),
        }
    }
}

/// The `401` codes of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    MissingCredentials,
    InvalidToken,
    TokenExpired,
    InvalidApiKey,
    InvalidCredentials,
    InvalidRefreshToken,
}

impl AuthFailure {
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::MissingCredentials => "missing_credentials",
            AuthFailure::InvalidToken => "invalid_token",
            AuthFailure::TokenExpired => "token_expired",
            AuthFailure::InvalidApiKey => "invalid_api_key",
            AuthFailure::InvalidCredentials => "invalid_credentials",
            AuthFailure::InvalidRefreshToken => "invalid_refresh_token",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            AuthFailure::MissingCredentials => "Authentication required",
            AuthFailure::InvalidToken => "Invalid access token",
            AuthFailure::TokenExpired => "Access token expired",
            AuthFailure::InvalidApiKey => "Invalid API key",
            AuthFailure::InvalidCredentials => "Invalid credentials",
            AuthFailure::InvalidRefreshToken => "Invalid refresh token",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("Validation failed")]
    Validation(Vec<FieldError>),
    #[error("Request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{}", .0.message())]
    Unauthorized(AuthFailure),
    #[error("{0}")]
    Forbidden(String),
    #[error("The refresh cookie is accepted only from this site or a configured origin")]
    CrossOrigin,
    #[error("{0}")]
    NotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("Request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: u64 },
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("The request body did not arrive in time")]
    RequestTimeout,
    #[error("Too many requests; retry in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("{0}")]
    NotReady(String),
    /// The storage under the database failed (`507`/`503`); `cause` is
    /// SQLite's message, for the log.
    #[error("{}", .fault.message())]
    Storage { fault: StorageFault, cause: String },
    #[error("Internal server error")]
    Internal(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    pub fn forbidden() -> Self {
        ApiError::Forbidden("You are not allowed to do that".into())
    }

    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let err = err.into();
        // A storage failure keeps its own answer however it was wrapped.
        if let Some(e) = err.downcast_ref::<rusqlite::Error>() {
            if let Some(fault) = crate::db::health::classify(e) {
                let cause = e.to_string();
                return ApiError::Storage { fault, cause };
            }
        }
        ApiError::Internal(Arc::from(err))
    }

    pub fn status(&self) -> Status {
        match self {
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

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::InvalidJson(_) => "invalid_json",
            ApiError::Unauthorized(f) => f.code(),
            ApiError::Forbidden(_) => "forbidden",
            ApiError::CrossOrigin => "cross_origin_refused",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotReady(_) => "not_ready",
            ApiError::Storage { fault, .. } => fault.code(),
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn details(&self) -> Option<&[FieldError]> {
        match self {
            ApiError::Validation(d) => Some(d),
            _ => None,
        }
    }

    /// The error for a bare status, used by catchers when nothing was stashed.
    pub fn from_status(status: Status) -> Self {
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

    /// The JSON body, with the request's correlation id.
    pub fn body(&self, correlation_id: &str) -> serde_json::Value {
        let message = match self {
            ApiError::PayloadTooLarge { limit: 0 } => "Request body is too large".to_string(),
            other => other.to_string(),
        };
        let mut body = serde_json::json!({
            "error": message,
            "code": self.code(),
            "correlation_id": correlation_id,
        });
        if let Some(details) = self.details() {
            body["details"] = serde_json::json!(details);
        }
        body
    }
}

impl ApiError {
    /// The GraphQL transport's shape for a request-level failure.
    pub fn graphql_body(&self, correlation_id: &str) -> serde_json::Value {
        let rest = self.body(correlation_id);
        let mut extensions =
            serde_json::json!({"code": self.code(), "correlation_id": correlation_id});
        if let Some(details) = rest.get("details") {
            extensions["details"] = details.clone();
        }
        serde_json::json!({"errors": [{"message": rest["error"], "extensions": extensions}]})
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match &err {
            rusqlite::Error::QueryReturnedNoRows => ApiError::NotFound("Not found".into()),
            rusqlite::Error::SqliteFailure(e, _) if e.code == ErrorCode::ConstraintViolation => {
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                {
                    ApiError::Conflict("A resource with that value already exists".into())
                } else {
                    ApiError::internal(err)
                }
            }
            _ => ApiError::internal(err),
        }
    }
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
        let body = if crate::http::area::Area::of(req).graphql {
            self.graphql_body(id).to_string()
        } else {
            self.body(id).to_string()
        };
        let mut res = Response::build();
        res.status(self.status())
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
    let status = err.status();
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

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_keep_every_field_error_in_order() {
        let mut problems = Problems::new();
        assert_eq!(problems.check(Ok::<_, FieldError>(1)), Some(1));
        assert_eq!(problems.check::<u8>(Err(FieldError::new("a", "bad"))), None);
        assert_eq!(problems.check_optional::<u8>(None), None);
        assert_eq!(
            problems.check_all::<u8>(Err(ApiError::Validation(vec![
                FieldError::new("b", "bad"),
                FieldError::new("c", "bad"),
            ]))),
            None
        );
        let err = problems.into_value(Some(1)).unwrap_err();
        let fields: Vec<&str> = err
            .details()
            .unwrap()
            .iter()
            .map(|d| d.field.as_str())
            .collect();
        assert_eq!(fields, ["a", "b", "c"]);
        assert_eq!(err.code(), "validation_failed");
    }

    #[test]
    fn no_problems_pass_the_value_through() {
        assert_eq!(Problems::new().into_value(Some(7)).ok(), Some(7));
        assert!(Problems::new().into_result().is_ok());
    }
}
