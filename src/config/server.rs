//! `[server]` and `[cors]`: how the HTTP listener accepts connections and
//! whom it answers.

use serde::{Deserialize, Serialize};

use crate::net::Cidr;

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
