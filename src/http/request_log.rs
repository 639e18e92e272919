//! The request's side of the log: its correlation id, the one line logged
//! per request, and the per-minute request counts.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rocket::http::Header;
use rocket::{Request, Response};

use crate::ctx::Ctx;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Is `value` acceptable as a caller-supplied correlation id?
pub fn is_sane_correlation_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

struct RequestMeta {
    correlation_id: String,
    started: Instant,
}

fn meta<'r>(req: &'r Request<'_>) -> &'r RequestMeta {
    req.local_cache(|| RequestMeta {
        correlation_id: req
            .headers()
            .get_one(CORRELATION_HEADER)
            .filter(|v| is_sane_correlation_id(v))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        started: Instant::now(),
    })
}

/// The request's correlation id (the caller's when sane, else a fresh UUID).
pub fn correlation_id<'r>(req: &'r Request<'_>) -> &'r str {
    &meta(req).correlation_id
}

/// The matched route's URI as mounted (`/api/posts/<key>`), or `-`;
/// borrowed unless the route has a query part (only `Display` joins the
/// two).
fn route_label<'r>(req: &'r Request<'_>) -> Cow<'r, str> {
    match req.route() {
        Some(r) if r.uri.origin.query().is_none() => Cow::Borrowed(r.uri.origin.path().as_str()),
        Some(r) => Cow::Owned(r.uri.to_string()),
        None => Cow::Borrowed("-"),
    }
}

/// Notes the request's arrival and its correlation id (first step of
/// [`super::pipeline`]).
pub fn begin(req: &Request<'_>) {
    meta(req);
}

/// Sets the correlation id header, logs the request line and counts the
/// request in the metrics (step of [`super::pipeline`]).
pub fn finish<'r>(ctx: Option<&Ctx>, req: &'r Request<'_>, res: &mut Response<'r>) {
    let meta = meta(req);
    res.set_header(Header::new(
        CORRELATION_HEADER,
        meta.correlation_id.as_str(),
    ));
    let route = route_label(req);
    let status = res.status().code;
    let duration_ms = meta.started.elapsed().as_secs_f64() * 1000.0;
    // What the client asked for, also when a rate limit rewrote it.
    let (method, path) = super::admission::sent_target(req);
    tracing::info!(
        target: "folio::request",
        method = method.as_str(),
        path,
        route = &*route,
        status,
        duration_ms = (duration_ms * 1000.0).round() / 1000.0,
        correlation_id = meta.correlation_id.as_str(),
        "request"
    );
    if let Some(ctx) = ctx {
        ctx.requests.record();
        ctx.metrics
            .request(method.as_str(), &route, status, duration_ms / 1000.0);
    }
}

/// Requests served: a total and per-minute counts for the last hour.
///
/// Lock-free: each minute of the hour has a slot holding the minute it
/// counts (high 32 bits) and its count (low 32), so a request takes two
/// atomic operations and no lock for the async workers to contend on.
pub struct RequestCounter {
    total: AtomicU64,
    slots: [AtomicU64; 60],
}

impl Default for RequestCounter {
    fn default() -> Self {
        RequestCounter {
            total: AtomicU64::new(0),
            slots: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// The current minute since the epoch, as slots record it.
fn current_minute() -> u64 {
    u64::try_from(crate::clock::unix_seconds() / 60).unwrap_or(0)
}

impl RequestCounter {
    pub fn record(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.record_at(current_minute());
    }

    fn record_at(&self, minute: u64) {
        let tag = minute << 32;
        let slot = &self.slots[(minute % 60) as usize];
        let mut seen = slot.load(Ordering::Relaxed);
        loop {
            let next = match (seen >> 32).cmp(&minute) {
                // A count past 2^32 - 1 in one minute would carry into the
                // tag.
                std::cmp::Ordering::Equal => seen + 1,
                // The slot still counts the same minute an hour (or more)
                // ago: it starts afresh.
                std::cmp::Ordering::Less => tag | 1,
                // It counts a later minute: this thread read the clock
                // long ago, or the clock went back. Only the total counts
                // it, rather than wiping out the later minute.
                std::cmp::Ordering::Greater => return,
            };
            match slot.compare_exchange_weak(seen, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => seen = now,
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// 60 counts, oldest first, the last one being the current minute.
    pub fn per_minute(&self) -> Vec<u64> {
        self.per_minute_at(current_minute())
    }

    fn per_minute_at(&self, now: u64) -> Vec<u64> {
        (0..60)
            .map(|i| {
                let Some(minute) = (now + i).checked_sub(59) else {
                    return 0;
                };
                let seen = self.slots[(minute % 60) as usize].load(Ordering::Relaxed);
                if seen >> 32 == minute {
                    seen & 0xffff_ffff
                } else {
                    0
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_sane_correlation_id, RequestCounter};

    #[test]
    fn request_counts_per_minute() {
        let c = RequestCounter::default();
        let m = 29_000_000; // a minute in 2025
        for _ in 0..3 {
            c.record_at(m);
        }
        c.record_at(m + 2);
        assert_eq!(c.per_minute_at(m + 2)[57..], [3, 0, 1]);
        // An hour later the slot of `m` counts afresh.
        c.record_at(m + 60);
        let counts = c.per_minute_at(m + 60);
        assert_eq!(counts[59], 1);
        assert_eq!(counts[1], 1, "m + 2 is still within the hour");
        assert_eq!(counts.iter().sum::<u64>(), 2);
        // A late count for the minute an hour before does not wipe it out.
        c.record_at(m);
        assert_eq!(c.per_minute_at(m + 60), counts);
        assert_eq!(c.per_minute_at(0).iter().sum::<u64>(), 0);
    }

    #[test]
    fn correlation_id_rules() {
        assert!(is_sane_correlation_id("abc-123_x.y"));
        assert!(!is_sane_correlation_id(""));
        assert!(!is_sane_correlation_id("has space"));
        assert!(!is_sane_correlation_id(&"a".repeat(129)));
        assert!(is_sane_correlation_id(&"a".repeat(128)));
    }
}
