//! The request's side of the log: its correlation id, the one line logged
//! per request, and the per-minute request counts.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rocket::http::Header;
use rocket::{Request, Response};

use crate::ctx::Ctx;
use crate::telemetry::json::{close_line, open_line, push_f64, push_json_str};

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

/// One request, as logged.
struct RequestLine<'a> {
    method: &'a str,
    path: &'a str,
    route: &'a str,
    status: u16,
    duration_ms: f64,
    correlation_id: &'a str,
}

impl RequestLine<'_> {
    /// The line as an event: what the `pretty` format and the tests see.
    fn log(&self) {
        tracing::info!(
            target: "folio::request",
            method = self.method,
            path = self.path,
            route = self.route,
            status = self.status,
            duration_ms = self.duration_ms,
            correlation_id = self.correlation_id,
            "request"
        );
    }

    /// The line as [`JsonLine`] writes [`Self::log`]'s event.
    fn json(&self) -> String {
        // Only a `fmt::Write` into a `String` could fail, and it does not.
        let mut line = open_line("INFO").unwrap_or_default();
        line.push_str(",\"message\":\"request\",\"method\":");
        push_json_str(&mut line, self.method);
        line.push_str(",\"path\":");
        push_json_str(&mut line, self.path);
        line.push_str(",\"route\":");
        push_json_str(&mut line, self.route);
        line.push_str(",\"status\":");
        line.push_str(itoa::Buffer::new().format(self.status));
        line.push_str(",\"duration_ms\":");
        let _ = push_f64(&mut line, self.duration_ms);
        line.push_str(",\"correlation_id\":");
        push_json_str(&mut line, self.correlation_id);
        close_line(&mut line, "folio::request");
        line
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
    let line = RequestLine {
        method: method.as_str(),
        path,
        route: &route,
        status,
        duration_ms: (duration_ms * 1000.0).round() / 1000.0,
        correlation_id: &meta.correlation_id,
    };
    match crate::telemetry::request_sink() {
        Some(sink) => sink.push(line.json().as_bytes()),
        None => line.log(),
    }
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
    use super::{is_sane_correlation_id, RequestCounter, RequestLine};
    use crate::telemetry::json::capture::Captured;
    use crate::telemetry::json::JsonLine;

    /// The request line written directly is the line `JsonLine` writes for
    /// its event, to the byte (the timestamps aside).
    #[test]
    fn direct_request_line_matches_the_event() {
        let line = RequestLine {
            method: "GET",
            path: "/api/posts/a\"b\\c\u{1}é",
            route: "/api/posts/<key>",
            status: 404,
            duration_ms: 12.05,
            correlation_id: "c-1",
        };
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .event_format(JsonLine)
            .finish();
        tracing::subscriber::with_default(subscriber, || line.log());
        let via_event = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let direct = line.json();
        let after_timestamp = |l: &str| l[l.find("\",\"level\"").unwrap()..].to_string();
        assert_eq!(after_timestamp(&direct), after_timestamp(&via_event));
        assert!(direct.ends_with("}\n") && !direct[..direct.len() - 1].contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&direct).unwrap();
        assert_eq!(v["duration_ms"], 12.05);
        assert_eq!(v["path"], "/api/posts/a\"b\\c\u{1}é");
    }

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
