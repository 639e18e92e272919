//! `folio migrate`: applies the embedded migrations to the configured
//! database, or lists their state.

use super::CliError;
use crate::config::Config;
use crate::db::{migrate, open_connection, DbOptions};

/// `folio migrate [--status]`.
pub fn migrate(config: &Config, status_only: bool) -> Result<(), CliError> {
    let path = config.database_path();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::db::create_private_dir(parent)
            .map_err(|e| CliError::msg(format!("cannot create {}: {e}", parent.display())))?;
    }
    crate::db::create_private_file(&path)
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", path.display())))?;
    let mut conn = open_connection(
        &path,
        &DbOptions::from_config(config, crate::app::STORAGE_HOOKS),
    )
    .map_err(|e| CliError::msg(format!("cannot open {}: {e}", path.display())))?;
    let known = migrate::embedded()?;
    if status_only {
        println!("database: {}", path.display());
        for row in migrate::status(&conn, &known)? {
            println!("{row}");
        }
        return Ok(());
    }
    let applied = migrate::run(&mut conn, &known)?;
    if applied.is_empty() {
        println!(
            "{}: up to date ({} migrations)",
            path.display(),
            known.len()
        );
    } else {
        for m in &applied {
            println!("applied {}", m.file_name());
        }
        println!("{}: {} migration(s) applied", path.display(), applied.len());
    }
    Ok(())
}
