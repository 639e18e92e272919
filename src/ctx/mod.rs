//! `Ctx`: everything a service needs — database, configuration, password
//! hasher, token keys, caches and rate limiters — built once per server and
//! managed as Rocket state. REST, GraphQL and the CLI all hand it to the same
//! service functions.

pub mod caches;

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::auth::client_ip::TrustedProxies;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::Hasher;
use crate::auth::ratelimit::RateLimits;
use crate::auth::setup::SetupSlot;
use crate::config::Config;
use crate::db::Db;
use crate::error::ApiResult;
use caches::Caches;

#[derive(Clone)]
pub struct Ctx(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    pub hasher: Hasher,
    pub jwt: JwtKeys,
    pub caches: Caches,
    pub limits: RateLimits,
    pub proxies: TrustedProxies,
    pub setup: SetupSlot,
    pub hub: Arc<crate::events::hub::Hub>,
    pub webhooks: Arc<crate::events::dispatcher::Dispatch>,
    pub started: Instant,
    pub requests: crate::http::request_log::RequestCounter,
    pub metrics: crate::metrics::Metrics,
    /// How many parts a large search is ranked in at once
    /// (`database.search_parallelism`; by default twice the cores, at most
    /// half the read pool), never more than the read pool's size.
    pub search_parts: usize,
    /// The search connection cap and time budget (`database.search_reads`,
    /// `database.search_timeout_ms`).
    pub search_limits: crate::posts::search::sqlite::limits::SearchLimits,
    key_touches: Mutex<HashMap<String, Instant>>,
}

impl Deref for Ctx {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// `database.search_parallelism`, with 0 resolved: twice the cores, so a part
/// that waits for a core holds up less of the search, and at most half the
/// read pool, so one search leaves other reads connections.
fn search_parts(db: &crate::config::DatabaseConfig) -> usize {
    let pool = db.read_pool_size.max(1) as usize;
    match db.search_parallelism {
        0 => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            (2 * cores).min(pool / 2).max(1)
        }
        n => (n as usize).min(pool),
    }
}

/// How often an API key's `last_used_at` is written at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl Ctx {
    pub fn new(config: Config, db: Db) -> ApiResult<Ctx> {
        Ok(Ctx(Arc::new(Inner {
            hasher: Hasher::new(&config.auth)?,
            jwt: JwtKeys::from_config(&config)?,
            caches: Caches::new(&config.cache),
            limits: RateLimits::new(&config.rate_limit),
            proxies: TrustedProxies::new(&config.server.trusted_proxies),
            setup: SetupSlot::default(),
            hub: crate::events::hub::Hub::new(
                config.events.subscriber_buffer,
                config.events.max_subscribers,
            ),
            webhooks: Arc::new(crate::events::dispatcher::Dispatch::default()),
            started: Instant::now(),
            requests: Default::default(),
            metrics: Default::default(),
            search_parts: search_parts(&config.database),
            search_limits: crate::posts::search::sqlite::limits::SearchLimits::new(
                &config.database,
            ),
            key_touches: Mutex::new(HashMap::new()),
            db,
            config,
        })))
    }

    /// Records that an API key was used, writing at most once a minute.
    pub fn api_key_used(&self, id: &str) {
        let now = Instant::now();
        {
            let Ok(mut touches) = self.key_touches.lock() else {
                return;
            };
            if touches
                .get(id)
                .is_some_and(|t| now.duration_since(*t) < TOUCH_EVERY)
            {
                return;
            }
            if touches.len() > 10_000 {
                touches.retain(|_, t| now.duration_since(*t) < TOUCH_EVERY);
            }
            touches.insert(id.to_string(), now);
        }
        let db = self.db.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let key = id.clone();
            if let Err(e) = db.write(move |c| c.auth().touch_api_key(&key)).await {
                tracing::warn!(api_key_id = %id, error = %e, "could not record API key use");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseConfig;

    #[test]
    fn search_parts_follow_the_cores_and_leave_the_pool_room() {
        let db = |read_pool_size, search_parallelism| DatabaseConfig {
            read_pool_size,
            search_parallelism,
            ..DatabaseConfig::default()
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(search_parts(&db(8, 0)), (2 * cores).min(4));
        assert_eq!(search_parts(&db(64, 0)), (2 * cores).min(32));
        assert_eq!(search_parts(&db(1, 0)), 1);
        assert_eq!(search_parts(&db(8, 1)), 1);
        assert_eq!(search_parts(&db(8, 6)), 6);
        assert_eq!(search_parts(&db(4, 6)), 4);
    }
}
