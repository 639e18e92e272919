//! One error type for every failure: the contract's error vocabulary.
//!
//! Every 4xx and 5xx of every route, guard and catcher ends up as the
//! contract's body, `{error, code, details?, correlation_id}`; `http::error`
//! renders it. This module imports nothing from the crate.

use std::sync::Arc;

use serde::Serialize;

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

/// A failure of the storage under the database, not of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    /// The disk (or the database's size cap) is full.
    Full,
    /// The file became read-only, or the disk answers I/O errors.
    Unavailable,
}

impl StorageFault {
    /// The contract's `code` for it.
    pub fn code(self) -> &'static str {
        match self {
            StorageFault::Full => "storage_full",
            StorageFault::Unavailable => "storage_unavailable",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            StorageFault::Full => {
                "The server's storage is full: nothing was changed. Retry later."
            }
            StorageFault::Unavailable => {
                "The server's storage is unavailable (read-only or failing): nothing was changed. Retry later."
            }
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
        ApiError::Internal(Arc::from(err.into()))
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

    /// The fields a validation error names, in its order (none otherwise).
    pub fn fields(&self) -> Vec<&str> {
        self.details()
            .unwrap_or_default()
            .iter()
            .map(|d| d.field.as_str())
            .collect()
    }
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
        assert_eq!(err.fields(), ["a", "b", "c"]);
        assert_eq!(err.code(), "validation_failed");
    }

    #[test]
    fn no_problems_pass_the_value_through() {
        assert_eq!(Problems::new().into_value(Some(7)).ok(), Some(7));
        assert!(Problems::new().into_result().is_ok());
    }
}
