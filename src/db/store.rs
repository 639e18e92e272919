//! The storage interface repos are written against: the transaction a job
//! runs in ([`Tx`]) and the errors storage answers ([`StoreError`]).
//!
//! A job is a closure given `&mut Tx`: [`super::Db::read`] runs it on a
//! read-only snapshot, [`super::Db::write`] inside the single writer's
//! transaction, so the repos it calls (users, posts, events, ...) share one
//! transaction and the outbox row commits with the change it records. Each
//! feature's repo is a trait implemented for `Tx`; a second backend makes
//! `Tx` an enum and gives each repo trait a second implementation, and no
//! service changes.

use std::sync::Arc;

use rusqlite::Connection;

use crate::error::{ApiError, StorageFault};

/// One job's transaction on one backend.
pub struct Tx<'a> {
    backend: Backend<'a>,
}

/// The backend a [`Tx`] runs on; each repo trait is implemented for each.
pub enum Backend<'a> {
    Sqlite(Sqlite<'a>),
}

/// A job's SQLite connection: inside the writer's transaction for a write,
/// a read-only pooled connection for a read.
pub struct Sqlite<'a> {
    conn: &'a Connection,
}

impl<'a> Sqlite<'a> {
    pub fn conn(&self) -> &'a Connection {
        self.conn
    }
}

impl<'a> Tx<'a> {
    pub(crate) fn sqlite(conn: &'a Connection) -> Self {
        Tx {
            backend: Backend::Sqlite(Sqlite { conn }),
        }
    }

    /// The backend, for a repo trait's accessor to pick its implementation.
    pub fn backend(&mut self) -> &mut Backend<'a> {
        &mut self.backend
    }

    /// The SQLite connection under the transaction: for SQLite-only code
    /// (search's FTS5 functions, maintenance).
    pub fn sqlite_conn(&self) -> &'a Connection {
        match &self.backend {
            Backend::Sqlite(s) => s.conn,
        }
    }
}

/// What storage answers when a statement fails.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A unique or primary-key constraint refused the write: the service
    /// says which value was taken.
    #[error("a value that must be unique is taken: {0}")]
    Taken(String),
    /// The storage under the database failed (full, read-only, I/O).
    #[error("{cause}")]
    Fault { fault: StorageFault, cause: String },
    /// Anything else: a bug, or a database in a state Folio did not make.
    #[error("{0}")]
    Other(Arc<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn other(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Other(Arc::from(err.into()))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        if let Some(fault) = super::health::classify(&err) {
            let cause = err.to_string();
            return StoreError::Fault { fault, cause };
        }
        match &err {
            rusqlite::Error::SqliteFailure(e, message)
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                StoreError::Taken(message.clone().unwrap_or_else(|| e.to_string()))
            }
            _ => StoreError::other(err),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Taken(_) => {
                ApiError::Conflict("A resource with that value already exists".into())
            }
            StoreError::Fault { fault, cause } => ApiError::Storage { fault, cause },
            StoreError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// The error a job ends with: storage errors convert into it, and the
/// writer asks it whether the storage failed under the job.
pub trait JobError: From<StoreError> + Send + 'static {
    /// The storage fault this error reports, if it is one.
    fn storage_fault(&self) -> Option<StoreError>;
}

impl JobError for StoreError {
    fn storage_fault(&self) -> Option<StoreError> {
        matches!(self, StoreError::Fault { .. }).then(|| self.clone())
    }
}

impl JobError for ApiError {
    fn storage_fault(&self) -> Option<StoreError> {
        match self {
            ApiError::Storage { fault, cause } => Some(StoreError::Fault {
                fault: *fault,
                cause: cause.clone(),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some("msg".into()))
    }

    #[test]
    fn storage_faults_keep_their_answer() {
        let full = StoreError::from(failure(rusqlite::ffi::SQLITE_FULL));
        assert!(full.storage_fault().is_some());
        assert_eq!(ApiError::from(full).code(), "storage_full");
        let io = StoreError::from(failure(rusqlite::ffi::SQLITE_IOERR));
        assert_eq!(ApiError::from(io).code(), "storage_unavailable");
    }

    #[test]
    fn a_taken_unique_value_is_a_conflict_and_nothing_else_is() {
        let taken = StoreError::from(failure(rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE));
        assert!(matches!(taken, StoreError::Taken(ref m) if m == "msg"));
        assert_eq!(ApiError::from(taken).code(), "conflict");
        let check = StoreError::from(failure(rusqlite::ffi::SQLITE_CONSTRAINT_CHECK));
        assert!(check.storage_fault().is_none());
        assert_eq!(ApiError::from(check).code(), "internal_error");
        let missing = StoreError::from(rusqlite::Error::QueryReturnedNoRows);
        assert_eq!(ApiError::from(missing).code(), "internal_error");
    }
}
