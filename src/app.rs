//! Builds the Rocket: manages state, attaches fairings and mounts each
//! feature's routes. [`build`] is the one way to make a server.

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

use crate::config::Config;
use crate::db::{Db, DbError, DbOptions};
use crate::http::body::BodyLimit;
use crate::{health, http, telemetry};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Db(#[from] DbError),
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
        .merge(("shutdown.mercy", 2u32));
    if config.server.workers > 0 {
        fig = fig.merge(("workers", config.server.workers));
    }
    fig
}

/// Opens the database (applying migrations) and assembles the server.
pub fn build(config: Config) -> Result<Rocket<Build>, BuildError> {
    let db_path = config.database_path();
    let db = Db::open(&db_path, DbOptions::from_config(&config))?;
    tracing::info!(
        data_dir = %config.data_dir.display(),
        database = %db_path.display(),
        sqlite_version = rusqlite::version(),
        synchronous = config.database.synchronous.pragma(),
        "database ready"
    );
    Ok(assemble(config, db))
}

fn assemble(config: Config, db: Db) -> Rocket<Build> {
    let shutdown_db = db.clone();
    rocket::custom(rocket_figment(&config))
        .manage(BodyLimit(config.server.body_limit))
        .manage(db)
        .manage(config)
        .attach(telemetry::RequestLog)
        .attach(AdHoc::on_liftoff("startup log", |rocket| {
            Box::pin(async move {
                let cfg = rocket.config();
                tracing::info!(
                    address = %cfg.address,
                    port = cfg.port,
                    url = %format!("http://{}:{}", cfg.address, cfg.port),
                    version = env!("CARGO_PKG_VERSION"),
                    "folio listening"
                );
            })
        }))
        .attach(AdHoc::on_shutdown("close database", move |_| {
            Box::pin(async move {
                tracing::info!("shutting down: closing the database");
                let db = shutdown_db.clone();
                if tokio::task::spawn_blocking(move || db.close())
                    .await
                    .is_err()
                {
                    tracing::error!("closing the database failed");
                }
            })
        }))
        .mount("/", health::routes())
        .register("/", http::catchers::all())
}
