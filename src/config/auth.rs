//! `[auth]` and `[rate_limit]`: tokens, password hashing, and the request
//! quotas that protect them.

use serde::{Deserialize, Serialize};

use super::Secret;

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
