//! Builds the Rocket: manages state, attaches fairings and mounts each
//! feature's routes. [`build`] is the one way to make a server.

pub mod jobs;

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
pub const STORAGE_HOOKS: Hooks = posts::search::sqlite::index::STORAGE_HOOKS;

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
                jobs::spawn_all(&tasks_ctx, &rocket.shutdown());
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
