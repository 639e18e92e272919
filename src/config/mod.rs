//! Typed configuration: built-in defaults < `config.toml` < `FOLIO_*` environment.
//!
//! One struct, built once at startup and managed as Rocket state. Unknown keys
//! and bad values are refused with a message naming the key and its source.
//! This file holds the top struct and its loading; each section's struct and
//! defaults are in a file of their own, and the checks in `validate.rs`.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

mod auth;
mod cache;
mod database;
mod env;
mod events;
mod graphql;
mod secret;
mod server;
mod telemetry;
mod validate;

pub use auth::{AuthConfig, RateLimitConfig};
pub use cache::CacheConfig;
pub use database::{BackupConfig, DatabaseConfig, Synchronous, MAX_MMAP_MIB};
pub use env::ignored as ignored_env;
pub use events::{EventsConfig, WebhooksConfig};
pub use graphql::GraphqlConfig;
pub use secret::Secret;
pub use server::{CorsConfig, ServerConfig};
pub use telemetry::{LogConfig, LogFormat, MetricsConfig};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the database, secrets, backups and the lock file live.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub cors: CorsConfig,
    pub cache: CacheConfig,
    pub graphql: GraphqlConfig,
    pub events: EventsConfig,
    pub webhooks: WebhooksConfig,
    pub backup: BackupConfig,
    pub metrics: MetricsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            cors: CorsConfig::default(),
            cache: CacheConfig::default(),
            graphql: GraphqlConfig::default(),
            events: EventsConfig::default(),
            webhooks: WebhooksConfig::default(),
            backup: BackupConfig::default(),
            metrics: MetricsConfig::default(),
        }
    }
}

/// Where the configuration file comes from.
#[derive(Debug, Clone, Default)]
pub enum Source {
    /// `./config.toml` when it exists, else defaults only.
    #[default]
    Default,
    /// An explicit file (`--config` or `FOLIO_CONFIG`); it must exist.
    File(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    Missing(PathBuf),
    #[error("invalid configuration:\n{0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults < file < environment (`FOLIO_*`) from the process.
    pub fn load(source: &Source) -> Result<Config, ConfigError> {
        let config: Config = Self::figment(source)?.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    /// The layered figment, exposed for tests and the `config` command.
    pub fn figment(source: &Source) -> Result<Figment, ConfigError> {
        let file = match source {
            Source::File(path) if !path.exists() => return Err(ConfigError::Missing(path.clone())),
            Source::File(path) => Some(path.clone()),
            Source::Default => {
                let local = PathBuf::from("config.toml");
                local.exists().then_some(local)
            }
        };
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        let is_config = env::filter();
        let env = Env::prefixed("FOLIO_")
            .filter(move |key| is_config(key.as_str()))
            .split("__");
        Ok(fig.merge(env))
    }

    /// Parses a TOML document on top of the defaults (no environment).
    pub fn from_toml_str(text: &str) -> Result<Config, ConfigError> {
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    pub fn database_path(&self) -> PathBuf {
        self.database
            .path
            .clone()
            .unwrap_or_else(|| self.data_dir.join("folio.db"))
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The configuration with every secret replaced by `********`.
    pub fn masked(&self) -> Config {
        let mut c = self.clone();
        c.auth.jwt_secret = secret::mask(&c.auth.jwt_secret);
        c.metrics.token = secret::mask(&c.metrics.token);
        c
    }

    /// The masked configuration as TOML, for `folio config` and the admin API.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(&self.masked())
            .unwrap_or_else(|e| format!("# could not render configuration: {e}\n"))
    }

    pub fn log_is_json(&self) -> bool {
        match self.log.format {
            LogFormat::Json => true,
            LogFormat::Pretty => false,
            LogFormat::Auto => !cfg!(debug_assertions),
        }
    }
}

/// Turns figment's errors into one line per problem, each naming the key and
/// where its value came from (file or environment variable).
fn describe(err: figment::Error) -> ConfigError {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = if e.path.is_empty() {
                "(top level)".to_string()
            } else {
                e.path.join(".")
            };
            let source = match &e.metadata {
                Some(meta) => match &meta.source {
                    Some(src) => format!("{} ({src})", meta.name),
                    None => meta.name.to_string(),
                },
                None => "unknown source".into(),
            };
            let key = match &e.kind {
                figment::error::Kind::UnknownField(field, _) if !key.ends_with(field.as_str()) => {
                    if e.path.is_empty() {
                        field.clone()
                    } else {
                        format!("{key}.{field}")
                    }
                }
                _ => key,
            };
            format!("  - key `{key}` from {source}: {}", e.kind)
        })
        .collect();
    ConfigError::Invalid(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_masked() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "\"********\"");
        let mut c = Config::default();
        c.auth.jwt_secret = Secret::new("x".repeat(40));
        assert_eq!(c.masked().auth.jwt_secret.expose(), "********");
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml_str("[server]\nprot = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.prot"), "{err}");
    }
}
