//! The data directory's lock file: one `serve` per data directory, and a way
//! for offline commands (restore) to tell that a server is running.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "folio.lock";

/// Holds an exclusive lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another folio server is already using {0} (its lock file is held); stop it first or use another data directory")]
    Held(PathBuf),
    #[error("cannot open lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DataDirLock {
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        super::create_private_dir(data_dir).map_err(io)?;
        let mut opts = OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(LockError::Held(data_dir.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(io(e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when some process holds the lock on `data_dir` right now.
    pub fn is_held(data_dir: &Path) -> bool {
        matches!(Self::acquire(data_dir), Err(LockError::Held(_)))
    }
}
