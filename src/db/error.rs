//! Code that still runs SQLite calls straight into an [`ApiError`]: a
//! missing row is a `404`, anything else answers as its [`StoreError`].

use super::store::StoreError;
use crate::error::ApiError;

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::QueryReturnedNoRows => ApiError::NotFound("Not found".into()),
            other => ApiError::from(StoreError::from(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_row_is_not_found_and_a_full_disk_is_a_storage_fault() {
        let missing = ApiError::from(rusqlite::Error::QueryReturnedNoRows);
        assert_eq!(missing.code(), "not_found");
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert_eq!(ApiError::from(full).code(), "storage_full");
    }
}
