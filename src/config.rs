//! Typed configuration: built-in defaults < `config.toml` < `FOLIO_*` environment.
//!
//! One struct, built once at startup and managed as Rocket state. Unknown keys
//! and bad values are refused with a message naming the key and its source.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::net::Cidr;

mod env;
pub use env::ignored as ignored_env;

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub token: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Minutes between scheduled backups; 0 turns them off.
    pub interval_minutes: u64,
    /// Scheduled backups kept; the oldest are deleted first.
    pub keep: usize,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            interval_minutes: 0,
            keep: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Events (and webhook deliveries) older than this are deleted.
    pub retention_days: u32,
    /// Concurrent `/api/events` streams at most.
    pub max_subscribers: usize,
    /// Events a live subscriber may fall behind before it is disconnected.
    pub subscriber_buffer: usize,
    /// Seconds between heartbeat comments on a stream.
    pub heartbeat_seconds: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            retention_days: 7,
            max_subscribers: 1000,
            subscriber_buffer: 1024,
            heartbeat_seconds: 15,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Refuse loopback, private, metadata and special-purpose addresses
    /// on every delivery (see `events::egress`). Off by default so local
    /// receivers work.
    pub block_private_networks: bool,
    /// First retry after this many seconds, doubling each time (with jitter).
    pub retry_base_seconds: u64,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// Consecutive failed attempts after which a webhook is disabled.
    pub disable_after_failures: u32,
    pub connect_timeout_seconds: u64,
    pub timeout_seconds: u64,
    /// Deliveries in flight at once (each webhook gets at most 4).
    pub max_concurrency: usize,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            block_private_networks: false,
            retry_base_seconds: 10,
            max_attempts: 8,
            disable_after_failures: 50,
            connect_timeout_seconds: 5,
            timeout_seconds: 10,
            max_concurrency: 32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GraphqlConfig {
    /// Serve GraphiQL at `GET /graphql` (embedded; no CDN).
    pub playground: bool,
    /// Answer introspection queries (`__schema`, `__type`).
    pub introspection: bool,
    pub max_depth: usize,
    /// List fields cost their `limit` times their children.
    pub max_complexity: usize,
    /// Operations per batched request.
    pub max_batch: usize,
    /// Largest response body; a larger answer is replaced by one error.
    pub max_response_bytes: usize,
}

impl Default for GraphqlConfig {
    fn default() -> Self {
        GraphqlConfig {
            playground: false,
            introspection: true,
            max_depth: 10,
            max_complexity: 1000,
            max_batch: 10,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// `false` disables the post, user, list, prefix and GraphQL response
    /// caches (for benchmarks); the auth caches stay on.
    pub enabled: bool,
    /// Most posts (and slugs) kept.
    pub posts_capacity: u64,
    /// Most users kept.
    pub users_capacity: u64,
    /// Seconds an entry lives at most (writes invalidate at once anyway).
    pub ttl_seconds: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            posts_capacity: 10_000,
            users_capacity: 10_000,
            ttl_seconds: 300,
        }
    }
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// HMAC secret for access tokens (at least 32 bytes). Empty: a random
    /// secret is generated once and kept in `<data_dir>/jwt_secret`.
    pub jwt_secret: Secret,
    /// `HS256`, `HS384` or `HS512`.
    pub jwt_algorithm: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_seconds: u64,
    /// Clock skew tolerated on `exp`/`nbf`.
    pub leeway_seconds: u64,
    pub refresh_idle_days: u32,
    pub refresh_absolute_days: u32,
    /// argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Concurrent password hashes; 0 means one per CPU core. The hashing
    /// threads run at a lower OS priority, so they use idle CPU but yield
    /// to request handling.
    pub hash_concurrency: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: Secret::default(),
            jwt_algorithm: "HS256".into(),
            issuer: "folio".into(),
            audience: "folio".into(),
            access_token_ttl_seconds: 900,
            leeway_seconds: 5,
            refresh_idle_days: 7,
            refresh_absolute_days: 30,
            argon2_memory_kib: 19456,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            hash_concurrency: 0,
        }
    }
}

impl AuthConfig {
    pub fn hash_concurrency(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// `false` turns every limit off (for benchmarks only).
    pub enabled: bool,
    /// The `default` policy: requests per window per API key, user or IP.
    pub default_requests: u32,
    pub default_window_seconds: u32,
    /// The `auth` policy: register, login, refresh, password, setup per IP.
    pub auth_requests: u32,
    pub auth_window_seconds: u32,
    /// Failed logins allowed per account per window.
    pub failed_login_attempts: u32,
    pub failed_login_window_seconds: u32,
    /// Most keys remembered per policy (the oldest are evicted).
    pub max_tracked_keys: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            default_requests: 300,
            default_window_seconds: 60,
            auth_requests: 10,
            auth_window_seconds: 60,
            failed_login_attempts: 5,
            failed_login_window_seconds: 900,
            max_tracked_keys: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CorsConfig {
    /// Origins allowed to call the API from a browser, e.g.
    /// `["https://app.example.com"]`. Empty: no cross-origin access.
    pub allowed_origins: Vec<String>,
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
    /// Proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// Send `Strict-Transport-Security` (enable behind an HTTPS proxy).
    pub hsts: bool,
    /// Seconds a client gets to send a request's headers, counted from the
    /// connection's start or its previous response (so also the idle
    /// keep-alive time); 0: no limit.
    pub header_timeout_seconds: u64,
    /// Seconds a client gets to send a request's body; 0: no limit.
    pub body_timeout_seconds: u64,
    /// Connections served at once; more wait to be accepted. 0: no cap.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            address: "127.0.0.1".into(),
            port: 8000,
            body_limit: 1024 * 1024,
            shutdown_grace_seconds: 10,
            workers: 0,
            trusted_proxies: Vec::new(),
            hsts: false,
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
            max_connections: 10_000,
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
    /// How many read connections one large search ranks on at once; 0 is
    /// twice the cores, at most half of `read_pool_size` (never more than
    /// `read_pool_size`).
    pub search_parallelism: u32,
    /// Read connections all searches together use at once (the others stay
    /// free for other reads); 0 is half of `read_pool_size`, at least 1.
    pub search_reads: u32,
    /// Milliseconds one read of a search may run before it is stopped and
    /// the search answered `400` (at least 1).
    pub search_timeout_ms: u64,
    /// MiB of the database file the read connections memory-map (0: none,
    /// every page is read with `pread`); at most [`MAX_MMAP_MIB`].
    pub mmap_mib: u32,
    pub synchronous: Synchronous,
    /// How long a connection waits on a lock before giving up.
    pub busy_timeout_ms: u64,
    /// Seconds between WAL checkpoints when no writes happened in between.
    pub checkpoint_interval_seconds: u64,
}

/// The most `database.mmap_mib` can be: the bundled SQLite's
/// `SQLITE_MAX_MMAP_SIZE` (0x7fff0000 bytes), rounded down to whole MiB.
pub const MAX_MMAP_MIB: u32 = 2047;

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            path: None,
            read_pool_size: 8,
            search_parallelism: 0,
            search_reads: 0,
            search_timeout_ms: 1000,
            mmap_mib: 0,
            synchronous: Synchronous::Full,
            busy_timeout_ms: 5000,
            checkpoint_interval_seconds: 30,
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
        if self.database.mmap_mib > MAX_MMAP_MIB {
            problems.push(format!(
                "  - key `database.mmap_mib`: {} is more than SQLite maps ({MAX_MMAP_MIB} MiB at most)",
                self.database.mmap_mib
            ));
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
        let secret = self.auth.jwt_secret.expose();
        if !secret.is_empty() && secret.len() < 32 {
            problems.push(
                "  - key `auth.jwt_secret`: must be at least 32 bytes (or empty to generate one)"
                    .to_string(),
            );
        }
        if !matches!(
            self.auth.jwt_algorithm.as_str(),
            "HS256" | "HS384" | "HS512"
        ) {
            problems.push(format!(
                "  - key `auth.jwt_algorithm`: `{}` is not one of HS256, HS384, HS512",
                self.auth.jwt_algorithm
            ));
        }
        if self.auth.access_token_ttl_seconds == 0 || self.auth.leeway_seconds > 30 {
            problems.push(
                "  - key `auth.access_token_ttl_seconds`/`auth.leeway_seconds`: ttl must be positive and leeway at most 30 s".to_string(),
            );
        }
        if argon2::Params::new(
            self.auth.argon2_memory_kib,
            self.auth.argon2_iterations,
            self.auth.argon2_parallelism,
            None,
        )
        .is_err()
        {
            problems.push("  - key `auth.argon2_*`: not valid argon2 parameters".to_string());
        }
        let rl = &self.rate_limit;
        if rl.default_requests == 0
            || rl.auth_requests == 0
            || rl.failed_login_attempts == 0
            || rl.default_window_seconds == 0
            || rl.auth_window_seconds == 0
            || rl.failed_login_window_seconds == 0
        {
            problems
                .push("  - key `rate_limit.*`: quotas and windows must be positive".to_string());
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
        c.auth.jwt_secret = mask(&c.auth.jwt_secret);
        c.metrics.token = mask(&c.metrics.token);
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

fn mask(secret: &Secret) -> Secret {
    if secret.is_empty() {
        Secret::default()
    } else {
        Secret::new("********")
    }
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
