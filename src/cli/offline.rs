//! What the commands that act on the database while the server may be
//! running share: a runtime and a service context of their own, and the
//! service errors as one line for the terminal.

use super::CliError;
use crate::config::Config;
use crate::db::DbOptions;

pub(super) type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// A runtime and a service context on the configured database, for commands
/// that act while the server may be running (SQLite takes care of locking).
pub(super) fn offline<T>(
    config: &Config,
    f: impl for<'a> FnOnce(&'a crate::ctx::Ctx) -> BoxFut<'a, Result<T, CliError>>,
) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    let path = config.database_path();
    let db = crate::db::Db::open(
        &path,
        DbOptions::from_config(config, crate::app::STORAGE_HOOKS),
    )?;
    let ctx = crate::ctx::Ctx::new(config.clone(), db.clone()).map_err(api)?;
    let result = runtime.block_on(f(&ctx));
    db.close();
    result
}

/// A service error as the one line `main` prints.
pub(crate) fn api(e: crate::error::ApiError) -> CliError {
    match e {
        crate::error::ApiError::Validation(details) => CliError::msg(
            details
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        crate::error::ApiError::Internal(cause) => CliError::msg(cause.to_string()),
        other => CliError::msg(other.to_string()),
    }
}
