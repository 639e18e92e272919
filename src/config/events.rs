//! `[events]` and `[webhooks]`: the event stream's retention and
//! subscribers, and outgoing webhook deliveries.

use serde::{Deserialize, Serialize};

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
