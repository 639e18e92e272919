//! What a SQLite error means to a caller: a storage fault (`507`/`503`), a
//! unique value already taken (`409`), a missing row, or an internal error.

use crate::error::ApiError;

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        if let Some(fault) = super::health::classify(&err) {
            let cause = err.to_string();
            return ApiError::Storage { fault, cause };
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StorageFault;

    fn failure(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some("msg".into()))
    }

    #[test]
    fn storage_faults_keep_their_answer() {
        let full = ApiError::from(failure(rusqlite::ffi::SQLITE_FULL));
        assert!(matches!(
            full,
            ApiError::Storage {
                fault: StorageFault::Full,
                ..
            }
        ));
        let io = ApiError::from(failure(rusqlite::ffi::SQLITE_IOERR));
        assert_eq!(io.code(), "storage_unavailable");
    }

    #[test]
    fn a_taken_unique_value_is_a_conflict() {
        let taken = ApiError::from(failure(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE));
        assert_eq!(taken.code(), "conflict");
        let other = ApiError::from(failure(rusqlite::ffi::SQLITE_CONSTRAINT_CHECK));
        assert_eq!(other.code(), "internal_error");
    }
}
