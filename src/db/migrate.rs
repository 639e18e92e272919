//! The migration runner: plain SQL files in `migrations/`, embedded in the
//! binary, applied in order, each in its own transaction, and recorded with
//! a checksum so an edited or unknown migration stops the server.

use std::fmt;

use rusqlite::{params, Connection, OptionalExtension};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

#[derive(RustEmbed)]
#[folder = "migrations/"]
#[include = "*.sql"]
struct Embedded;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub sql: String,
}

impl Migration {
    /// `0001_create_users.sql` → version 1, name `create_users`.
    pub fn parse(file_name: &str, sql: String) -> Result<Migration, MigrationError> {
        let bad = || MigrationError::BadName(file_name.to_string());
        let stem = file_name.strip_suffix(".sql").ok_or_else(bad)?;
        let (digits, name) = stem.split_once('_').ok_or_else(bad)?;
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
            return Err(bad());
        }
        let version = digits.parse().map_err(|_| bad())?;
        Ok(Migration {
            version,
            name: name.to_string(),
            sql,
        })
    }

    pub fn file_name(&self) -> String {
        format!("{:04}_{}.sql", self.version, self.name)
    }

    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.sql.as_bytes()))
    }
}

/// The migrations compiled into this binary, in order.
pub fn embedded() -> Result<Vec<Migration>, MigrationError> {
    let mut list = Vec::new();
    for file in Embedded::iter() {
        let data = Embedded::get(&file).ok_or_else(|| MigrationError::BadName(file.to_string()))?;
        let sql = String::from_utf8(data.data.into_owned())
            .map_err(|_| MigrationError::BadName(file.to_string()))?;
        list.push(Migration::parse(&file, sql)?);
    }
    list.sort_by_key(|m| m.version);
    for pair in list.windows(2) {
        if pair[0].version == pair[1].version {
            return Err(MigrationError::BadName(pair[1].file_name()));
        }
    }
    Ok(list)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("migration file name {0} is not of the form NNNN_description.sql (or is a duplicate version)")]
    BadName(String),
    #[error("migration {file} was changed after it was applied (checksum {applied} in the database, {embedded} in this binary); restore the original file")]
    Tampered {
        file: String,
        applied: String,
        embedded: String,
    },
    #[error("the database has migration {version:04}_{name} that this binary does not know; it was written by a newer folio — upgrade the binary or restore a backup")]
    Unknown { version: u32, name: String },
    #[error("migration {file} failed: {source}")]
    Failed {
        file: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database error while migrating: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// One row of `folio migrate --status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: u32,
    pub name: String,
    pub applied_at: Option<String>,
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.applied_at {
            Some(at) => write!(f, "{:04}_{:<40} applied {at}", self.version, self.name),
            None => write!(f, "{:04}_{:<40} pending", self.version, self.name),
        }
    }
}

fn ensure_table(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )",
    )
}

struct Applied {
    version: u32,
    name: String,
    checksum: String,
    applied_at: String,
}

fn applied(conn: &Connection) -> rusqlite::Result<Vec<Applied>> {
    let mut stmt = conn.prepare(
        "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Applied {
            version: r.get(0)?,
            name: r.get(1)?,
            checksum: r.get(2)?,
            applied_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Refuses a database whose history disagrees with `known`.
fn verify(applied: &[Applied], known: &[Migration]) -> Result<(), MigrationError> {
    for row in applied {
        match known.iter().find(|m| m.version == row.version) {
            None => {
                return Err(MigrationError::Unknown {
                    version: row.version,
                    name: row.name.clone(),
                })
            }
            Some(m) if m.checksum() != row.checksum => {
                return Err(MigrationError::Tampered {
                    file: m.file_name(),
                    applied: row.checksum.clone(),
                    embedded: m.checksum(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Applies every pending migration of `known`; returns the ones applied.
pub fn run(conn: &mut Connection, known: &[Migration]) -> Result<Vec<Migration>, MigrationError> {
    ensure_table(conn)?;
    verify(&applied(conn)?, known)?;
    let mut done = Vec::new();
    for m in known {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists: Option<u32> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()?;
        if exists.is_some() {
            continue;
        }
        // Some migrations rebuild an index and take a while on a large
        // database: say so before, not only after.
        tracing::info!(migration = %m.file_name(), "applying migration");
        let started = std::time::Instant::now();
        tx.execute_batch(&m.sql)
            .map_err(|source| MigrationError::Failed {
                file: m.file_name(),
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, m.checksum()],
        )?;
        tx.commit()?;
        tracing::info!(
            migration = %m.file_name(),
            ms = started.elapsed().as_millis() as u64,
            "applied migration"
        );
        done.push(m.clone());
    }
    Ok(done)
}

/// Every known migration with its state, plus a verification of history.
pub fn status(
    conn: &Connection,
    known: &[Migration],
) -> Result<Vec<MigrationStatus>, MigrationError> {
    ensure_table(conn)?;
    let applied = applied(conn)?;
    verify(&applied, known)?;
    Ok(known
        .iter()
        .map(|m| MigrationStatus {
            version: m.version,
            name: m.name.clone(),
            applied_at: applied
                .iter()
                .find(|a| a.version == m.version)
                .map(|a| a.applied_at.clone()),
        })
        .collect())
}

/// True when every known migration is applied (for `/ready`).
pub fn all_applied(conn: &Connection, known: &[Migration]) -> rusqlite::Result<bool> {
    let count: u32 = conn.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?;
    Ok(count as usize == known.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        let m = Migration::parse("0012_add_things.sql", String::new()).unwrap();
        assert_eq!((m.version, m.name.as_str()), (12, "add_things"));
        assert!(Migration::parse("12_add.sql", String::new()).is_err());
        assert!(Migration::parse("0012-add.sql", String::new()).is_err());
        assert!(Migration::parse("0012_.sql", String::new()).is_err());
    }

    #[test]
    fn embedded_are_ordered_and_valid() {
        let list = embedded().unwrap();
        assert!(!list.is_empty());
        assert!(list.windows(2).all(|w| w[0].version < w[1].version));
    }
}
