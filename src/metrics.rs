//! `GET /metrics`: Prometheus text format.
//!
//! A small registry of our own rather than the `metrics` crates: the series
//! are few and fixed, request counting must stay cheap on the hot path (a
//! read lock and an atomic add), and everything else is read at scrape time
//! from the state that already exists (caches, writer, pool, outbox).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use rocket::http::{ContentType, Status};
use rocket::outcome::Outcome;
use rocket::request::{self, FromRequest};
use rocket::{get, routes, Request, Route, State};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult, AuthFailure, StorageFault};

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Default)]
struct Histogram {
    /// Observations per bucket: each in the first bucket whose bound holds
    /// it (one atomic add instead of one per bound above it); made
    /// cumulative when read.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    /// Sum in microseconds.
    sum_micros: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: BUCKETS.iter().map(|_| AtomicU64::new(0)).collect(),
            ..Default::default()
        }
    }

    fn observe(&self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// Cumulative bucket counts (Prometheus' `le`) and the total count,
    /// never below the last bucket even while an observation is half
    /// recorded.
    fn snapshot(&self) -> (Vec<u64>, u64) {
        let mut running = 0;
        let buckets = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        (buckets, self.count.load(Ordering::Relaxed).max(running))
    }
}

/// Everything counted for one route template.
struct RouteSeries {
    /// (method, status) → count. Few entries; a linear scan beats hashing.
    counts: std::sync::Mutex<Vec<(&'static str, u16, u64)>>,
    duration: Histogram,
}

#[derive(Default)]
pub struct Metrics {
    /// Route template → its series; looked up by `&str`, so the hot path
    /// allocates nothing once a route has been seen.
    routes: RwLock<HashMap<String, RouteSeries>>,
    rate_limited: RwLock<HashMap<&'static str, AtomicU64>>,
}

fn bump<K: std::hash::Hash + Eq + Clone>(map: &RwLock<HashMap<K, AtomicU64>>, key: &K) {
    if let Ok(m) = map.read() {
        if let Some(c) = m.get(key) {
            c.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    if let Ok(mut m) = map.write() {
        m.entry(key.clone())
            .or_default()
            .fetch_add(1, Ordering::Relaxed);
    }
}

fn method_name(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        _ => "OTHER",
    }
}

impl RouteSeries {
    fn record(&self, method: &'static str, status: u16, seconds: f64) {
        self.duration.observe(seconds);
        if let Ok(mut c) = self.counts.lock() {
            match c.iter_mut().find(|(m, s, _)| *m == method && *s == status) {
                Some(entry) => entry.2 += 1,
                None => c.push((method, status, 1)),
            }
        }
    }
}

impl Metrics {
    /// One served request; `route` is the route template, never the raw path.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_name(method);
        if let Ok(m) = self.routes.read() {
            if let Some(series) = m.get(route) {
                series.record(method, status, seconds);
                return;
            }
        }
        if let Ok(mut m) = self.routes.write() {
            m.entry(route.to_string())
                .or_insert_with(|| RouteSeries {
                    counts: std::sync::Mutex::new(Vec::new()),
                    duration: Histogram::new(),
                })
                .record(method, status, seconds);
        }
    }

    pub fn rate_limited(&self, policy: &'static str) {
        bump(&self.rate_limited, &policy);
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn proc_status(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count())
}

/// Resident memory and open descriptors, read from `/proc` on the blocking
/// pool rather than an async worker.
async fn process_stats() -> (Option<u64>, Option<usize>) {
    rocket::tokio::task::spawn_blocking(|| (proc_status("VmRSS:"), open_fds()))
        .await
        .unwrap_or((None, None))
}

/// A route's series copied out for rendering: template, (method, status,
/// count)s, bucket counts, count, sum in microseconds.
type RouteSnapshot = (String, Vec<(&'static str, u16, u64)>, Vec<u64>, u64, u64);

/// Renders every series.
pub async fn render(ctx: &Ctx) -> String {
    let mut out = String::with_capacity(8192);
    let m = &ctx.metrics;
    let _ = writeln!(
        out,
        "# HELP folio_build_info Build information.\n# TYPE folio_build_info gauge"
    );
    let _ = writeln!(
        out,
        "folio_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );

    let _ = writeln!(out, "# HELP folio_http_requests_total Requests by method, route template and status.\n# TYPE folio_http_requests_total counter");
    let routes: Vec<RouteSnapshot> = match m.routes.read() {
        Ok(r) => {
            let mut rows: Vec<_> = r
                .iter()
                .map(|(route, s)| {
                    let counts = s.counts.lock().map(|c| c.clone()).unwrap_or_default();
                    let (buckets, count) = s.duration.snapshot();
                    (
                        route.clone(),
                        counts,
                        buckets,
                        count,
                        s.duration.sum_micros.load(Ordering::Relaxed),
                    )
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        }
        Err(_) => Vec::new(),
    };
    for (route, counts, _, _, _) in &routes {
        let mut counts = counts.clone();
        counts.sort();
        for (method, status, n) in counts {
            let _ = writeln!(
                out,
                "folio_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
    }
    let _ = writeln!(out, "# HELP folio_http_request_duration_seconds Request duration by route template.\n# TYPE folio_http_request_duration_seconds histogram");
    for (route, _, buckets, count, sum) in &routes {
        let r = escape(route);
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "folio_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "folio_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "folio_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
            *sum as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "folio_http_request_duration_seconds_count{{route=\"{r}\"}} {count}"
        );
    }
    let _ = writeln!(out, "# HELP folio_rate_limited_total Requests rejected by a rate limit, by policy.\n# TYPE folio_rate_limited_total counter");
    for policy in ["default", "auth", "failed_login"] {
        let n = m
            .rate_limited
            .read()
            .ok()
            .and_then(|r| r.get(policy).map(|c| c.load(Ordering::Relaxed)))
            .unwrap_or(0);
        let _ = writeln!(out, "folio_rate_limited_total{{policy=\"{policy}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP folio_cache_hits_total Cache hits by cache.\n# TYPE folio_cache_hits_total counter"
    );
    let stats = ctx.caches.stats();
    for (name, s) in &stats {
        let _ = writeln!(out, "folio_cache_hits_total{{cache=\"{name}\"}} {}", s.hits);
    }
    let _ = writeln!(out, "# HELP folio_cache_misses_total Cache misses by cache.\n# TYPE folio_cache_misses_total counter");
    for (name, s) in &stats {
        let _ = writeln!(
            out,
            "folio_cache_misses_total{{cache=\"{name}\"}} {}",
            s.misses
        );
    }
    let _ = writeln!(
        out,
        "# HELP folio_cache_entries Entries by cache.\n# TYPE folio_cache_entries gauge"
    );
    for (name, s) in &stats {
        let _ = writeln!(out, "folio_cache_entries{{cache=\"{name}\"}} {}", s.entries);
    }
    let (in_use, idle) = ctx.db.pool_state();
    let _ = writeln!(out, "# HELP folio_db_read_connections Read-pool connections by state.\n# TYPE folio_db_read_connections gauge");
    let _ = writeln!(out, "folio_db_read_connections{{state=\"in_use\"}} {in_use}\nfolio_db_read_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(out, "# HELP folio_db_reads_queued Reads waiting for a reader thread (one per read connection).\n# TYPE folio_db_reads_queued gauge\nfolio_db_reads_queued {}", ctx.db.reads_queued());
    let (full, unavailable) = match ctx.db.storage_fault() {
        Some(StorageFault::Full) => (1, 0),
        Some(StorageFault::Unavailable) => (0, 1),
        None => (0, 0),
    };
    let _ = writeln!(out, "# HELP folio_db_storage_failing 1 while database writes fail because the storage is full or unavailable (read-only, I/O errors).\n# TYPE folio_db_storage_failing gauge\nfolio_db_storage_failing{{code=\"storage_full\"}} {full}\nfolio_db_storage_failing{{code=\"storage_unavailable\"}} {unavailable}");
    let w = ctx.db.writer_stats();
    let _ = writeln!(out, "# HELP folio_db_write_transactions_total Committed write batches (group commits).\n# TYPE folio_db_write_transactions_total counter");
    let _ = writeln!(
        out,
        "folio_db_write_transactions_total {}",
        w.batches.load(Ordering::Relaxed)
    );
    let _ = writeln!(out, "# HELP folio_db_write_jobs_total Write jobs (one per change) run by the writer.\n# TYPE folio_db_write_jobs_total counter");
    let _ = writeln!(
        out,
        "folio_db_write_jobs_total {}",
        w.jobs.load(Ordering::Relaxed)
    );
    let _ = writeln!(out, "# HELP folio_db_write_seconds_total Time spent in write transactions.\n# TYPE folio_db_write_seconds_total counter");
    let _ = writeln!(
        out,
        "folio_db_write_seconds_total {}",
        w.busy_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    if let Some(c) = ctx.db.checkpoint_stats() {
        let _ = writeln!(out, "# HELP folio_db_checkpoints_total WAL checkpoints run by the checkpoint thread (synchronous = normal).\n# TYPE folio_db_checkpoints_total counter\nfolio_db_checkpoints_total {}", c.runs.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP folio_db_checkpoint_frames_total WAL frames the checkpoint thread copied into the database file.\n# TYPE folio_db_checkpoint_frames_total counter\nfolio_db_checkpoint_frames_total {}", c.frames.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP folio_db_checkpoint_seconds_total Time the checkpoint thread spent checkpointing.\n# TYPE folio_db_checkpoint_seconds_total counter\nfolio_db_checkpoint_seconds_total {}", c.busy_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "# HELP folio_db_checkpoint_finishes_total Checkpoint rounds the writer finished (the WAL then restarts).\n# TYPE folio_db_checkpoint_finishes_total counter\nfolio_db_checkpoint_finishes_total {}", c.finishes.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP folio_db_checkpoint_finish_waits_total Rounds the writer could not finish because readers were still on the WAL (it retries after 5 to 80 ms).\n# TYPE folio_db_checkpoint_finish_waits_total counter\nfolio_db_checkpoint_finish_waits_total {}", c.finish_waits.load(Ordering::Relaxed));
        let _ = writeln!(out, "# HELP folio_db_checkpoint_failures_total Checkpoints of the checkpoint thread that failed or found another running.\n# TYPE folio_db_checkpoint_failures_total counter\nfolio_db_checkpoint_failures_total {}", c.failed.load(Ordering::Relaxed));
    }
    let outcomes = ctx
        .db
        .read(|c| -> ApiResult<_> {
            Ok((
                crate::events::repo::pending_count(c)?,
                crate::events::webhook_repo::outcome_counts(c)?,
            ))
        })
        .await
        .unwrap_or((0, Vec::new()));
    let _ = writeln!(out, "# HELP folio_events_pending Webhook deliveries waiting to be delivered.\n# TYPE folio_events_pending gauge");
    let _ = writeln!(out, "folio_events_pending {}", outcomes.0);
    let _ = writeln!(out, "# HELP folio_webhook_deliveries Webhook deliveries by outcome.\n# TYPE folio_webhook_deliveries gauge");
    for status in ["pending", "delivered", "failed"] {
        let n = outcomes
            .1
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "folio_webhook_deliveries{{outcome=\"{status}\"}} {n}");
    }
    let _ = writeln!(out, "# HELP folio_sse_subscribers Open /api/events streams.\n# TYPE folio_sse_subscribers gauge");
    let _ = writeln!(out, "folio_sse_subscribers {}", ctx.hub.subscribers());
    let (rss, fds) = process_stats().await;
    if let Some(rss) = rss {
        let _ = writeln!(out, "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}");
    }
    if let Some(fds) = fds {
        let _ = writeln!(out, "# HELP process_open_fds Open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds {fds}");
    }
    let _ = writeln!(out, "# HELP folio_uptime_seconds Seconds since start.\n# TYPE folio_uptime_seconds gauge\nfolio_uptime_seconds {}", ctx.started.elapsed().as_secs());
    out
}

/// `metrics.token`, when set, must be presented as a bearer token.
pub struct MetricsAccess;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MetricsAccess {
    type Error = ApiError;
    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ApiError> {
        let Some(ctx) = req.rocket().state::<Ctx>() else {
            return Outcome::Success(MetricsAccess);
        };
        let want = ctx.config.metrics.token.expose();
        if want.is_empty() {
            return Outcome::Success(MetricsAccess);
        }
        let given = req
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or("");
        if crate::auth::principal::constant_time_eq(given.trim().as_bytes(), want.as_bytes()) {
            Outcome::Success(MetricsAccess)
        } else {
            let f = if given.is_empty() {
                AuthFailure::MissingCredentials
            } else {
                AuthFailure::InvalidToken
            };
            Outcome::Error(crate::http::error::stash(req, ApiError::Unauthorized(f)))
        }
    }
}

#[get("/metrics")]
async fn metrics(
    ctx: &State<Ctx>,
    _access: MetricsAccess,
) -> ApiResult<(Status, (ContentType, String))> {
    let body = render(ctx).await;
    let ct =
        ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]);
    Ok((Status::Ok, (ct, body)))
}

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new();
        for seconds in [0.0002, 0.003, 0.003, 0.0005, 7.0] {
            h.observe(seconds);
        }
        let (buckets, count) = h.snapshot();
        assert_eq!(count, 5);
        // le=0.0005, 0.001, 0.0025, 0.005, ..., 5: a bound holds its own value.
        assert_eq!(&buckets[..4], &[2, 2, 2, 4]);
        assert_eq!(buckets.last(), Some(&4), "7 s is only in +Inf");
        assert!(buckets.windows(2).all(|w| w[0] <= w[1]));
    }
}
