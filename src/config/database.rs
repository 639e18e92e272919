//! `[database]` and `[backup]`: the SQLite file, its connections, and
//! scheduled snapshots of it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Every acknowledged write survives power loss.
    Full,
    /// Faster; a power loss may lose the last transactions (never corrupts).
    Normal,
}

impl Synchronous {
    pub fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Database file; defaults to `<data_dir>/folio.db`.
    pub path: Option<PathBuf>,
    /// Connections in the read pool.
    pub read_pool_size: u32,
    /// How many read connections one large search ranks on at once; 0 is
    /// twice the cores, at most half of `read_pool_size` (never more than
    /// `read_pool_size`).
    pub search_parallelism: u32,
    /// Read connections all searches together use at once (the others stay
    /// free for other reads); 0 is half of `read_pool_size`, at least 1.
    pub search_reads: u32,
    /// Milliseconds one read of a search may run before it is stopped and
    /// the search answered `400` (at least 1).
    pub search_timeout_ms: u64,
    /// MiB of the database file the read connections memory-map (0: none,
    /// every page is read with `pread`); at most [`MAX_MMAP_MIB`].
    pub mmap_mib: u32,
    pub synchronous: Synchronous,
    /// How long a connection waits on a lock before giving up.
    pub busy_timeout_ms: u64,
    /// Seconds between WAL checkpoints when no writes happened in between.
    pub checkpoint_interval_seconds: u64,
}

/// The most `database.mmap_mib` can be: the bundled SQLite's
/// `SQLITE_MAX_MMAP_SIZE` (0x7fff0000 bytes), rounded down to whole MiB.
pub const MAX_MMAP_MIB: u32 = 2047;

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            path: None,
            read_pool_size: 8,
            search_parallelism: 0,
            search_reads: 0,
            search_timeout_ms: 1000,
            mmap_mib: 0,
            synchronous: Synchronous::Full,
            busy_timeout_ms: 5000,
            checkpoint_interval_seconds: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Minutes between scheduled backups; 0 turns them off.
    pub interval_minutes: u64,
    /// Scheduled backups kept; the oldest are deleted first.
    pub keep: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            interval_minutes: 0,
            keep: 7,
        }
    }
}
