//! Whether writes reach the disk: which SQLite errors mean the storage
//! itself failed (full, read-only, I/O), and the writer's record of a
//! write-failure episode (one ERROR line when it starts, one INFO line
//! when a write succeeds again).

use std::sync::atomic::{AtomicU8, Ordering};

use rusqlite::ErrorCode;

pub use crate::error::StorageFault;

/// The storage fault `err` reports, if it is one.
pub fn classify(err: &rusqlite::Error) -> Option<StorageFault> {
    let rusqlite::Error::SqliteFailure(e, _) = err else {
        return None;
    };
    match e.code {
        ErrorCode::DiskFull => Some(StorageFault::Full),
        ErrorCode::ReadOnly | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen => {
            Some(StorageFault::Unavailable)
        }
        _ => None,
    }
}

/// The writer's view of the storage: the fault its last writes hit, until a
/// write succeeds again.
#[derive(Debug, Default)]
pub struct StorageHealth {
    /// 0: writes succeed; else `1 + StorageFault as u8`.
    state: AtomicU8,
}

fn encode(fault: Option<StorageFault>) -> u8 {
    match fault {
        None => 0,
        Some(StorageFault::Full) => 1,
        Some(StorageFault::Unavailable) => 2,
    }
}

fn decode(state: u8) -> Option<StorageFault> {
    match state {
        1 => Some(StorageFault::Full),
        2 => Some(StorageFault::Unavailable),
        _ => None,
    }
}

impl StorageHealth {
    /// The fault writes are failing with, if they are.
    pub fn fault(&self) -> Option<StorageFault> {
        decode(self.state.load(Ordering::Acquire))
    }

    /// Records a write that failed with `fault`; logs (and returns true)
    /// only when this starts an episode, so a full disk is one log line,
    /// not one per request.
    pub fn failed(&self, fault: StorageFault, cause: &str) -> bool {
        let before = self.state.swap(encode(Some(fault)), Ordering::AcqRel);
        if before != 0 {
            return false;
        }
        tracing::error!(
            code = fault.code(),
            cause,
            "database writes are failing; they are answered with an error until the storage recovers"
        );
        true
    }

    /// Records a write that reached the disk; logs (and returns true) when
    /// this ends an episode.
    pub fn succeeded(&self) -> bool {
        if self.state.load(Ordering::Acquire) == 0 {
            return false;
        }
        let Some(fault) = decode(self.state.swap(0, Ordering::AcqRel)) else {
            return false;
        };
        tracing::info!(code = fault.code(), "database writes succeed again");
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ffi;

    fn sqlite_error(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), None)
    }

    #[test]
    fn storage_errors_are_classified_and_others_are_not() {
        assert_eq!(
            classify(&sqlite_error(ffi::SQLITE_FULL)),
            Some(StorageFault::Full)
        );
        for code in [
            ffi::SQLITE_READONLY,
            ffi::SQLITE_READONLY_DBMOVED,
            ffi::SQLITE_IOERR,
            ffi::SQLITE_IOERR_WRITE,
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_CANTOPEN,
        ] {
            assert_eq!(
                classify(&sqlite_error(code)),
                Some(StorageFault::Unavailable),
                "{code}"
            );
        }
        for code in [
            ffi::SQLITE_CONSTRAINT_UNIQUE,
            ffi::SQLITE_BUSY,
            ffi::SQLITE_CORRUPT,
        ] {
            assert_eq!(classify(&sqlite_error(code)), None, "{code}");
        }
        assert_eq!(classify(&rusqlite::Error::QueryReturnedNoRows), None);
    }

    /// However many writes fail, an episode starts once and ends once.
    #[test]
    fn an_episode_starts_and_ends_once() {
        let health = StorageHealth::default();
        assert!(!health.succeeded());
        assert!(health.failed(StorageFault::Full, "database or disk is full"));
        assert!(!health.failed(StorageFault::Full, "database or disk is full"));
        assert!(!health.failed(StorageFault::Unavailable, "disk I/O error"));
        assert_eq!(health.fault(), Some(StorageFault::Unavailable));
        assert!(health.succeeded());
        assert!(!health.succeeded());
        assert_eq!(health.fault(), None);
        assert!(health.failed(StorageFault::Full, "database or disk is full"));
    }
}
