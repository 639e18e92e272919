//! Builds the Rocket: manages state, attaches fairings and mounts each
//! feature's routes. [`build`] is the one way to make a server.

use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::shield::Shield;
use rocket::{routes, Build, Rocket};

use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::{Db, DbError, DbOptions, Hooks};
use crate::error::ApiError;
use crate::http::body::{BodyLimit, BodyTimeout};
use crate::http::pipeline::Pipeline;
use crate::{admin, auth, events, graphql, health, http, metrics, openapi, posts, users};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("startup failed: {0}")]
    Startup(String),
}

impl From<ApiError> for BuildError {
    fn from(e: ApiError) -> Self {
        let detail = match &e {
            ApiError::Validation(d) => d
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Internal(cause) => cause.to_string(),
            other => other.to_string(),
        };
        BuildError::Startup(detail)
    }
}

/// Rocket's own configuration, derived from ours. Rocket's `Rocket.toml` and
/// `ROCKET_*` variables are deliberately not read: Folio has one config.
pub fn rocket_figment(config: &Config) -> Figment {
    let mut fig = Figment::from(rocket::Config::release_default())
        .merge(("address", config.server.address.as_str()))
        .merge(("port", config.server.port))
        // X-Real-IP is spoofable; client addresses come from the peer.
        .merge(("ip_header", false))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("ident", "folio"))
        .merge(("shutdown.ctrlc", true))
        .merge(("shutdown.signals", vec!["term"]))
        .merge(("shutdown.grace", config.server.shutdown_grace_seconds))
        .merge(("shutdown.mercy", 2u32))
        // Read by the patched Rocket's server (vendor/rocket/FOLIO-PATCH.md).
        .merge(("header_read_timeout", config.server.header_timeout_seconds))
        .merge(("max_connections", config.server.max_connections))
        .merge(("body_read_timeout", config.server.body_timeout_seconds));
    if config.server.workers > 0 {
        fig = fig.merge(("workers", config.server.workers));
    }
    fig
}

/// Every feature's storage hooks ([`Hooks`]): only search has any.
pub const STORAGE_HOOKS: Hooks = posts::search::index::STORAGE_HOOKS;

/// Opens the database (applying migrations), prepares the services, creates
/// the first admin when asked to, and assembles the server.
pub async fn build(config: Config) -> Result<Rocket<Build>, BuildError> {
    let db_path = config.database_path();
    let opts = DbOptions::from_config(&config, STORAGE_HOOKS);
    let db = tokio::task::spawn_blocking(move || Db::open(&db_path, opts))
        .await
        .map_err(|e| BuildError::Startup(e.to_string()))??;
    tracing::info!(
        data_dir = %config.data_dir.display(),
        database = %db.path().display(),
        sqlite_version = crate::db::sqlite_version(),
        synchronous = config.database.synchronous.pragma(),
        "database ready"
    );
    let ctx = Ctx::new(config, db)?;
    let public_url = format!(
        "http://{}:{}",
        ctx.config.server.address, ctx.config.server.port
    );
    auth::service::bootstrap_admin(&ctx, &public_url).await?;
    Ok(assemble(ctx))
}

fn assemble(ctx: Ctx) -> Rocket<Build> {
    let grace = ctx.config.server.shutdown_grace_seconds;
    let graphql_playground = ctx.config.graphql.playground;
    let schemas = graphql::introspection::Schemas::new(&ctx.config.graphql);
    let tasks_ctx = ctx.clone();
    rocket::custom(rocket_figment(&ctx.config))
        .manage(BodyLimit(ctx.config.server.body_limit))
        .manage(BodyTimeout(
            (ctx.config.server.body_timeout_seconds > 0)
                .then(|| Duration::from_secs(ctx.config.server.body_timeout_seconds)),
        ))
        .manage(schemas)
        .manage(graphql::route::Documents::new())
        .manage(ctx.hub.clone())
        .manage(ctx)
        // Replaces Rocket's default Shield; the pipeline sets our headers.
        .attach(Shield::new())
        .attach(Pipeline)
        .attach(AdHoc::on_liftoff("startup log and tasks", move |rocket| {
            Box::pin(async move {
                let cfg = rocket.config();
                tracing::info!(
                    address = %cfg.address,
                    port = cfg.port,
                    url = %format!("http://{}:{}", cfg.address, cfg.port),
                    version = env!("CARGO_PKG_VERSION"),
                    "folio listening"
                );
                let pump_ctx = tasks_ctx.clone();
                let stop = rocket.shutdown();
                tokio::spawn(pump_ctx.hub.clone().pump(pump_ctx.db.clone(), stop));
                let stop = rocket.shutdown();
                tokio::spawn(events::dispatcher::run(tasks_ctx.clone(), stop));
                spawn_maintenance(tasks_ctx, rocket.shutdown());
            })
        }))
        // Rocket runs shutdown fairings as soon as shutdown begins, while
        // requests are still in flight; `folio serve` closes the database
        // only after they are answered.
        .attach(AdHoc::on_shutdown("shutdown log", move |_| {
            Box::pin(async move {
                tracing::info!(
                    grace_seconds = grace,
                    "shutting down: finishing the requests in flight"
                );
            })
        }))
        .mount("/", health::routes())
        .mount("/", admin::ui::routes())
        .mount("/", metrics::routes())
        .mount(
            "/",
            routes![http::admission::rejected, http::headers::preflight],
        )
        .mount("/api/auth", auth::rest::routes())
        .mount("/api/admin", admin::rest::routes())
        .mount("/api/admin", events::rest::routes())
        .mount("/api", events::sse::routes())
        .mount("/api", users::rest::routes())
        .mount("/api", posts::rest::routes())
        .mount("/api", openapi::routes())
        .mount("/", graphql::route::routes(graphql_playground))
        .register("/", http::catchers::all())
}

/// WAL size past which the maintenance task checkpoints even under load
/// (checked every half second, so the WAL stays well under the 64 MiB
/// `journal_size_limit`).
const WAL_SOFT_LIMIT: u64 = 32 * 1024 * 1024;

/// Periodic upkeep until shutdown: noticing other processes' writes (the
/// CLI while the server runs) to flush the caches, and expired refresh tokens.
fn spawn_maintenance(ctx: Ctx, shutdown: rocket::Shutdown) {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(Duration::from_secs(3600));
        let mut every_second = tokio::time::interval(Duration::from_millis(500));
        let mut seen = ctx.db.data_version().await.unwrap_or(-1);
        let mut checkpoints = tokio::time::interval(Duration::from_secs(
            ctx.config.database.checkpoint_interval_seconds.max(1),
        ));
        let quiet = Duration::from_secs(ctx.config.database.checkpoint_interval_seconds.max(1));
        let mut commits = ctx.db.commits();
        let mut wrote_since_checkpoint = true;
        let mut last_write = std::time::Instant::now();
        // Cheap (`stats::refresh` bounds each analysis), and a table that
        // grew tenfold is planned from its new size within the hour.
        let mut optimize = tokio::time::interval(Duration::from_secs(3600));
        optimize.tick().await;
        let backup_every = ctx.config.backup.interval_minutes;
        let mut backups = tokio::time::interval(Duration::from_secs(60 * backup_every.max(1)));
        backups.tick().await;
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = every_second.tick() => {
                    // Under sustained writes and reads SQLite's passive
                    // checkpoints cannot restart the WAL, which then grows
                    // without bound; past a soft limit, a TRUNCATE checkpoint
                    // waits the moment it takes for readers to move on.
                    if wrote_since_checkpoint && ctx.db.wal_size().await > WAL_SOFT_LIMIT {
                        match ctx.db.checkpoint().await {
                            Ok(()) => tracing::debug!("WAL over its soft limit: checkpointed"),
                            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                        }
                    }
                    if let Ok(v) = ctx.db.data_version().await {
                        if v != seen {
                            seen = v;
                            ctx.caches.flush();
                            // A process that wrote posts without Folio's
                            // writer (the sqlite3 shell) left its search
                            // index changes queued: an empty batch applies them.
                            if let Err(e) = ctx.db.write(|_| Ok::<_, ApiError>(())).await {
                                tracing::warn!(error = %e, "applying queued search index changes failed");
                            }
                            tracing::debug!("another process wrote to the database: caches flushed");
                        }
                    }
                }
                _ = commits.changed() => {
                    wrote_since_checkpoint = true;
                    last_write = std::time::Instant::now();
                }
                _ = checkpoints.tick() => {
                    // TRUNCATE waits for readers, so it runs only once writes
                    // have gone quiet; under load SQLite's automatic passive
                    // checkpoints and journal_size_limit keep the WAL bounded.
                    if wrote_since_checkpoint && last_write.elapsed() >= quiet {
                        match ctx.db.checkpoint().await {
                            Ok(()) => wrote_since_checkpoint = false,
                            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                        }
                    }
                }
                _ = optimize.tick() => {
                    if let Err(e) = ctx.db.optimize().await {
                        tracing::warn!(error = %e, "refreshing planner statistics failed");
                    }
                }
                _ = backups.tick(), if backup_every > 0 => {
                    match admin::service::run_backup(&ctx).await {
                        Ok(_) => {
                            let removed = crate::db::backup::prune(&ctx.config.data_dir, ctx.config.backup.keep.max(1));
                            if removed > 0 {
                                tracing::info!(removed, "deleted old backups");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
                    }
                }
                _ = hourly.tick() => {
                    match auth::service::purge_expired(&ctx).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(deleted = n, "purged expired refresh tokens"),
                        Err(e) => tracing::warn!(error = %e, "purging refresh tokens failed"),
                    }
                    match events::purge_old(&ctx).await {
                        Ok((0, 0)) => {}
                        Ok((e, d)) => tracing::info!(events = e, deliveries = d, "purged events past retention"),
                        Err(e) => tracing::warn!(error = %e, "purging old events failed"),
                    }
                }
            }
        }
    });
}
