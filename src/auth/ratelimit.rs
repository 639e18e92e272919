//! Rate limits: GCRA per policy and key, bounded in memory, with the IETF
//! `RateLimit-Policy` / `RateLimit` fields on every `/api` and `/graphql`
//! response.
//!
//! Written here rather than with `governor` because Folio needs two things
//! its keyed limiter does not offer directly: giving back a request (the
//! failed-login limit reserves an attempt and returns it on success) and the
//! remaining quota and reset time for the response fields. Keys live in a
//! moka cache with a capacity bound and time-to-idle of one window (after
//! which a bucket is full again anyway), so memory stays bounded under any
//! key churn.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;

use crate::config::RateLimitConfig;

pub struct Limiter {
    pub name: &'static str,
    pub quota: u32,
    pub window: Duration,
    interval: Duration,
    keys: Cache<String, Arc<Mutex<Instant>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub policy: &'static str,
    pub quota: u32,
    pub window_secs: u64,
    pub allowed: bool,
    pub remaining: u32,
    pub reset_secs: u64,
    pub retry_after: u64,
}

impl Decision {
    pub fn policy_header(&self) -> String {
        field(
            self.policy,
            ";q=",
            u64::from(self.quota),
            ";w=",
            self.window_secs,
        )
    }

    pub fn limit_header(&self) -> String {
        field(
            self.policy,
            ";r=",
            u64::from(self.remaining),
            ";t=",
            self.reset_secs,
        )
    }
}

/// `"policy"<a><x><b><y>`, built without `format!` (every limited
/// response carries two of these).
fn field(policy: &str, a: &str, x: u64, b: &str, y: u64) -> String {
    let mut digits = itoa::Buffer::new();
    let mut out = String::with_capacity(policy.len() + 32);
    out.push('"');
    out.push_str(policy);
    out.push('"');
    out.push_str(a);
    out.push_str(digits.format(x));
    out.push_str(b);
    out.push_str(digits.format(y));
    out
}

fn ceil_secs(d: Duration) -> u64 {
    let s = d.as_secs();
    if d.subsec_nanos() > 0 {
        s + 1
    } else {
        s
    }
}

impl Limiter {
    pub fn new(name: &'static str, quota: u32, window_secs: u32, max_keys: u64) -> Limiter {
        let quota = quota.max(1);
        let window = Duration::from_secs(u64::from(window_secs.max(1)));
        Limiter {
            name,
            quota,
            window,
            interval: window / quota,
            keys: Cache::builder()
                .max_capacity(max_keys)
                .time_to_idle(window)
                .build(),
        }
    }

    /// Would `cost` more requests be allowed now? When they would, they are
    /// counted; a refusal counts nothing.
    fn decide(&self, key: &str, cost: u32) -> Decision {
        let now = Instant::now();
        // A known key is looked up by reference; only a new one is copied.
        let cell = match self.keys.get(key) {
            Some(cell) => cell,
            None => self
                .keys
                .get_with(key.to_string(), || Arc::new(Mutex::new(now))),
        };
        let mut tat = match cell.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let start = (*tat).max(now);
        let next = start + self.interval.saturating_mul(cost);
        let limit = now + self.window;
        let base = Decision {
            policy: self.name,
            quota: self.quota,
            window_secs: self.window.as_secs(),
            allowed: true,
            remaining: 0,
            reset_secs: 0,
            retry_after: 0,
        };
        if next > limit {
            return Decision {
                allowed: false,
                reset_secs: ceil_secs(start - now),
                retry_after: ceil_secs(next - limit).max(1),
                ..base
            };
        }
        *tat = next;
        let left = limit.saturating_duration_since(next);
        Decision {
            remaining: (left.as_nanos() / self.interval.as_nanos().max(1)) as u32,
            reset_secs: ceil_secs(next - now),
            ..base
        }
    }

    /// Spends one request when allowed.
    pub fn check(&self, key: &str) -> Decision {
        self.decide(key, 1)
    }

    /// Spends `n` requests when all of them are allowed; a refusal spends
    /// none (a GraphQL request with several logins is all or nothing).
    pub fn check_n(&self, key: &str, n: u32) -> Decision {
        self.decide(key, n)
    }

    /// Gives back one request spent by [`Limiter::check`] (a reservation
    /// that turned out not to count).
    pub fn refund(&self, key: &str) {
        let Some(cell) = self.keys.get(key) else {
            return;
        };
        let mut tat = match cell.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A time before now means a full bucket, like now itself.
        if let Some(earlier) = tat.checked_sub(self.interval) {
            *tat = earlier;
        }
    }
}

pub struct RateLimits {
    pub enabled: bool,
    pub default: Limiter,
    pub auth: Limiter,
    pub failed_login: Limiter,
}

impl RateLimits {
    pub fn new(cfg: &RateLimitConfig) -> RateLimits {
        RateLimits {
            enabled: cfg.enabled,
            default: Limiter::new(
                "default",
                cfg.default_requests,
                cfg.default_window_seconds,
                cfg.max_tracked_keys,
            ),
            auth: Limiter::new(
                "auth",
                cfg.auth_requests,
                cfg.auth_window_seconds,
                cfg.max_tracked_keys,
            ),
            failed_login: Limiter::new(
                "failed_login",
                cfg.failed_login_attempts,
                cfg.failed_login_window_seconds,
                cfg.max_tracked_keys,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcra_allows_quota_then_rejects() {
        let l = Limiter::new("t", 3, 60, 100);
        let a = l.check("k");
        assert!(a.allowed);
        assert_eq!(a.remaining, 2);
        assert!(l.check("k").allowed);
        let c = l.check("k");
        assert!(c.allowed);
        assert_eq!(c.remaining, 0);
        let d = l.check("k");
        assert!(!d.allowed);
        assert!(d.retry_after >= 1 && d.retry_after <= 20, "{d:?}");
        assert!(l.check("other").allowed, "keys are independent");
        assert_eq!(d.policy_header(), "\"t\";q=3;w=60");
        assert_eq!(d.limit_header(), format!("\"t\";r=0;t={}", d.reset_secs));
        assert!(d.reset_secs >= 59, "{d:?}");
    }

    #[test]
    fn check_n_spends_all_or_nothing() {
        let l = Limiter::new("t", 3, 60, 100);
        let a = l.check_n("k", 2);
        assert!(a.allowed);
        assert_eq!(a.remaining, 1);
        let b = l.check_n("k", 2);
        assert!(!b.allowed, "only one left");
        assert!(b.retry_after >= 1);
        assert!(l.check("k").allowed, "the refusal spent nothing");
        assert!(!l.check("k").allowed);
        assert!(
            !l.check_n("other", 4).allowed,
            "more than the quota never fits"
        );
        assert!(l.check_n("other", 3).allowed);
    }

    #[test]
    fn refund_gives_back_one_request() {
        let l = Limiter::new("t", 2, 60, 100);
        assert!(l.check("k").allowed);
        assert!(l.check("k").allowed);
        assert!(!l.check("k").allowed);
        l.refund("k");
        assert!(l.check("k").allowed, "one came back");
        assert!(!l.check("k").allowed, "only one");
        l.refund("unknown");
        assert!(l.check("unknown").allowed);
    }
}
