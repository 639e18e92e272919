//! The checks on values that parse but make no sense, each reported with
//! its key so that one run lists every problem.

use super::{Config, ConfigError, MAX_MMAP_MIB};

impl Config {
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
}
