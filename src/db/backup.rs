//! Online backups with `VACUUM INTO` (the backup API restarts whenever
//! another connection writes, so under steady writes it may never finish),
//! each checked with `PRAGMA integrity_check`; and offline restore.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::migrate;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BackupInfo {
    pub name: String,
    pub path: String,
    pub size_bytes: u64,
    pub duration_ms: u64,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("backup failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// `folio-20261127T150405123Z.db`.
pub fn default_name() -> String {
    let now = crate::clock::now_string();
    let compact: String = now.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("folio-{compact}.db")
}

/// Is `name` a plain backup file name (no path, no traversal)?
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.ends_with(".db")
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn integrity(conn: &Connection) -> Result<(), BackupError> {
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if result == "ok" {
        Ok(())
    } else {
        Err(BackupError::Invalid(format!(
            "integrity_check said: {result}"
        )))
    }
}

/// Writes a consistent snapshot of `db_path` to `target` and verifies it.
pub fn snapshot(db_path: &Path, target: &Path) -> Result<BackupInfo, BackupError> {
    let started = Instant::now();
    if target.exists() {
        return Err(BackupError::Io(format!(
            "{} already exists",
            target.display()
        )));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        super::create_private_dir(parent)
            .map_err(|e| BackupError::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    let target_text = target
        .to_str()
        .ok_or_else(|| BackupError::Io("backup path is not valid UTF-8".into()))?;
    let conn = Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute("VACUUM INTO ?1", [target_text])?;
    drop(conn);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o600));
    }
    let check = Connection::open_with_flags(target, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    if let Err(e) = integrity(&check) {
        drop(check);
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    let size_bytes = std::fs::metadata(target)
        .map(|m| m.len())
        .map_err(|e| BackupError::Io(e.to_string()))?;
    Ok(BackupInfo {
        name: target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        path: target.display().to_string(),
        size_bytes,
        duration_ms: started.elapsed().as_millis() as u64,
        created_at: crate::clock::now_string(),
    })
}

/// The backups in `<data_dir>/backups`, newest first.
pub fn list(data_dir: &Path) -> Vec<BackupInfo> {
    let Ok(entries) = std::fs::read_dir(dir(data_dir)) else {
        return Vec::new();
    };
    let mut out: Vec<BackupInfo> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let meta = e.metadata().ok()?;
            (valid_name(&name) && meta.is_file()).then(|| BackupInfo {
                path: e.path().display().to_string(),
                size_bytes: meta.len(),
                duration_ms: 0,
                created_at: meta
                    .modified()
                    .ok()
                    .map(|t| crate::clock::format(time::OffsetDateTime::from(t)))
                    .unwrap_or_default(),
                name,
            })
        })
        .collect();
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.name.cmp(&a.name)));
    out
}

/// Deletes the oldest backups beyond `keep`; returns how many.
pub fn prune(data_dir: &Path, keep: usize) -> usize {
    list(data_dir)
        .into_iter()
        .skip(keep)
        .filter(|b| std::fs::remove_file(&b.path).is_ok())
        .count()
}

/// Checks that `file` is a healthy Folio database this binary can run.
pub fn verify_folio_database(file: &Path) -> Result<(), BackupError> {
    if !file.is_file() {
        return Err(BackupError::Invalid(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let conn =
        Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
            BackupError::Invalid(format!("{} is not an SQLite database: {e}", file.display()))
        })?;
    integrity(&conn).map_err(|e| BackupError::Invalid(format!("{}: {e}", file.display())))?;
    let has_migrations: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations')",
            [],
            |r| r.get(0),
        )
        .map_err(|_| {
            BackupError::Invalid(format!("{} is not an SQLite database", file.display()))
        })?;
    if !has_migrations {
        return Err(BackupError::Invalid(format!(
            "{} is not a Folio database (no schema_migrations table)",
            file.display()
        )));
    }
    let known = migrate::embedded().map_err(|e| BackupError::Invalid(e.to_string()))?;
    migrate::status(&conn, &known).map_err(|e| BackupError::Invalid(e.to_string()))?;
    Ok(())
}

/// Replaces `db_path` with `file` (server stopped): the current database
/// (and its WAL) is kept aside as `<name>.before-restore-<ts>`; the new one
/// is copied next to it, synced, then renamed into place atomically.
pub fn restore(file: &Path, db_path: &Path) -> Result<Option<PathBuf>, BackupError> {
    verify_folio_database(file)?;
    let io = |what: &str, e: std::io::Error| BackupError::Io(format!("{what}: {e}"));
    let staging = db_path.with_extension("restore-tmp");
    std::fs::copy(file, &staging).map_err(|e| io("copying the backup", e))?;
    std::fs::File::open(&staging)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("syncing the copy", e))?;
    let stamp: String = crate::clock::now_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut aside = None;
    if db_path.exists() {
        let name = db_path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "folio.db".into());
        let kept = db_path.with_file_name(format!("{name}.before-restore-{stamp}"));
        std::fs::rename(db_path, &kept).map_err(|e| io("keeping the current database", e))?;
        for suffix in ["-wal", "-shm"] {
            let side = db_path.with_file_name(format!("{name}{suffix}"));
            if side.exists() {
                let target =
                    db_path.with_file_name(format!("{name}.before-restore-{stamp}{suffix}"));
                std::fs::rename(&side, target).map_err(|e| io("keeping the WAL", e))?;
            }
        }
        aside = Some(kept);
    }
    std::fs::rename(&staging, db_path).map_err(|e| io("moving the backup into place", e))?;
    if let Some(dir) = db_path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name(&default_name()));
        for bad in ["../x.db", "a/b.db", ".hidden.db", "x.txt", "", "a b.db"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
