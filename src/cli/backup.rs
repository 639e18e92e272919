//! `folio backup`, `restore`, `export` and `import`: the data, in and out.

use super::offline::{api, offline};
use super::CliError;
use crate::config::Config;
use crate::db::lock::DataDirLock;

/// `folio backup [FILE]`: a verified snapshot, also while the server runs.
pub fn backup(config: &Config, file: Option<&std::path::Path>) -> Result<(), CliError> {
    use crate::db::backup;
    let db = config.database_path();
    if !db.is_file() {
        return Err(CliError::msg(format!("no database at {}", db.display())));
    }
    let target = match file {
        Some(f) => f.to_path_buf(),
        None => backup::dir(&config.data_dir).join(backup::default_name()),
    };
    let info = backup::snapshot(&db, &target).map_err(|e| CliError::msg(e.to_string()))?;
    println!(
        "backup written: {} ({} bytes, {} ms, integrity ok)",
        info.path, info.size_bytes, info.duration_ms
    );
    Ok(())
}

/// `folio restore FILE`: only with the server stopped.
pub fn restore(config: &Config, file: &std::path::Path) -> Result<(), CliError> {
    if DataDirLock::is_held(&config.data_dir) {
        return Err(CliError::msg(format!(
            "a folio server is running on {} — stop it before restoring",
            config.data_dir.display()
        )));
    }
    let _lock = DataDirLock::acquire(&config.data_dir)?;
    let db = config.database_path();
    let aside = crate::db::backup::restore(file, &db).map_err(|e| CliError::msg(e.to_string()))?;
    if let Some(old) = aside {
        println!("kept the previous database as {}", old.display());
    }
    println!("restored {} from {}", db.display(), file.display());
    Ok(())
}

/// `folio export [--out DIR] [--with-secrets]`.
pub fn export(config: &Config, out: &std::path::Path, with_secrets: bool) -> Result<(), CliError> {
    let out = out.to_path_buf();
    let (users, posts) = offline(config, |ctx| {
        Box::pin(async move {
            crate::transfer::export(&ctx.db, &out, with_secrets)
                .await
                .map_err(api)
        })
    })?;
    println!("exported {users} users and {posts} posts");
    if !with_secrets {
        eprintln!("password hashes were left out (use --with-secrets to keep them)");
    }
    Ok(())
}

/// `folio import DIR`: into an empty database only.
pub fn import(config: &Config, dir: &std::path::Path) -> Result<(), CliError> {
    let dir = dir.to_path_buf();
    let (users, posts, without) = offline(config, |ctx| {
        Box::pin(async move {
            // Users without a hash get one nobody knows the password of.
            let unusable = ctx
                .hasher
                .hash(uuid::Uuid::new_v4().to_string())
                .await
                .map_err(api)?;
            crate::transfer::import(&ctx.db, &dir, unusable)
                .await
                .map_err(api)
        })
    })?;
    println!("imported {users} users and {posts} posts");
    if without > 0 {
        eprintln!("{without} users have no password yet: set one with `folio admin reset-password USER --password-stdin`");
    }
    Ok(())
}
