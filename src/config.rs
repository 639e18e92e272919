//! Typed configuration: built-in defaults < `config.toml` < `FOLIO_*` environment.
//!
//! One struct, built once at startup and managed as Rocket state. Unknown keys
//! and bad values are refused with a message naming the key and its source.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Environment variables that look like configuration but are not keys.
const EXEMPT_ENV: &[&str] = &["config"];
/// Prefix of the first-admin bootstrap variables (`FOLIO_ADMIN_EMAIL`, ...).
const EXEMPT_ENV_PREFIX: &str = "admin_";

/// A configuration value that must never be printed or logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"********\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the database, secrets, backups and the lock file live.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub log: LogConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            log: LogConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub address: String,
    pub port: u16,
    /// Largest accepted request body in bytes (REST and GraphQL alike).
    pub body_limit: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_grace_seconds: u32,
    /// Worker threads for the async runtime; 0 means one per core.
    pub workers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            address: "127.0.0.1".into(),
            port: 8000,
            body_limit: 1024 * 1024,
            shutdown_grace_seconds: 10,
            workers: 0,
        }
    }
}

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
    pub synchronous: Synchronous,
    /// How long a connection waits on a lock before giving up.
    pub busy_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            path: None,
            read_pool_size: 8,
            synchronous: Synchronous::Full,
            busy_timeout_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `json` in release builds, `pretty` in debug builds.
    Auto,
    Json,
    Pretty,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter: `info`, `debug`, `folio=debug,warn`, ...
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Auto,
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

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            problems.push(format!(
                "  - key `log.level`: `{}` is not a valid log filter (try `info` or `folio=debug,warn`)",
                self.log.level
            ));
        }
        if self.server.body_limit == 0 {
            problems.push("  - key `server.body_limit`: must be at least 1 byte".to_string());
        }
        if self.database.read_pool_size == 0 {
            problems.push("  - key `database.read_pool_size`: must be at least 1".to_string());
        }
        if self.server.address.parse::<std::net::IpAddr>().is_err() {
            problems.push(format!(
                "  - key `server.address`: `{}` is not an IP address",
                self.server.address
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid(problems.join("\n")))
        }
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
        let env = Env::prefixed("FOLIO_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            !EXEMPT_ENV.contains(&key.as_str()) && !key.starts_with(EXEMPT_ENV_PREFIX)
        });
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
        // No secret-bearing sections yet beyond those masked here; each
        // section that adds a `Secret` masks it in this one place.
        self.clone()
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
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml_str("[server]\nprot = 1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.prot"), "{err}");
    }
}
