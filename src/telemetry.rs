//! Logging setup, correlation ids and the one-line-per-request log.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::Config;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Installs the global `tracing` subscriber (JSON or pretty, per config).
/// A second call (tests build many apps in one process) is a no-op and
/// returns `None`.
///
/// Lines are formatted on the thread that logs them and written to stdout
/// by one `folio-log` thread, which writes whatever has queued up in one
/// `write`: one syscall per request line under the stdout lock cost 7 % of
/// a cached GET (BENCHMARKS.md). Nothing is dropped: when 128k lines are
/// queued, loggers wait. The returned guard writes out what is queued when
/// dropped: keep it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> Option<WorkerGuard> {
    // Rocket logs through `log` at a chatty level; its events are ours to
    // log (the request line), so it is silenced unless asked for by name.
    let mut directives = config.log.level.clone();
    if !directives.contains("rocket") {
        directives.push_str(",rocket=off");
    }
    let filter =
        EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,rocket=off"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("folio-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if config.log_is_json() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
    // Already installed: keep the first one.
    result.ok().map(|()| guard)
}

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

/// Assigns correlation ids, sets the response header and logs each request.
pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "Correlation id and request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        meta(req);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let meta = meta(req);
        res.set_header(Header::new(CORRELATION_HEADER, meta.correlation_id.clone()));
        let route = req
            .route()
            .map(|r| r.uri.to_string())
            .unwrap_or_else(|| "-".into());
        let status = res.status().code;
        let ctx = req.rocket().state::<crate::ctx::Ctx>();
        let duration_ms = meta.started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            target: "folio::request",
            method = %req.method(),
            path = %req.uri().path(),
            route = %route,
            status,
            duration_ms = (duration_ms * 1000.0).round() / 1000.0,
            correlation_id = %meta.correlation_id,
            "request"
        );
        if let Some(ctx) = ctx {
            ctx.requests.record();
            ctx.metrics
                .request(req.method().as_str(), &route, status, duration_ms / 1000.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_sane_correlation_id;

    #[test]
    fn correlation_id_rules() {
        assert!(is_sane_correlation_id("abc-123_x.y"));
        assert!(!is_sane_correlation_id(""));
        assert!(!is_sane_correlation_id("has space"));
        assert!(!is_sane_correlation_id(&"a".repeat(129)));
        assert!(is_sane_correlation_id(&"a".repeat(128)));
    }
}

/// Requests served: a total and per-minute counts for the last hour.
#[derive(Default)]
pub struct RequestCounter {
    total: std::sync::atomic::AtomicU64,
    /// (minute since the epoch, count), oldest first, at most 60.
    minutes: std::sync::Mutex<std::collections::VecDeque<(i64, u64)>>,
}

impl RequestCounter {
    pub fn record(&self) {
        self.total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let minute = crate::clock::unix_seconds() / 60;
        if let Ok(mut m) = self.minutes.lock() {
            match m.back_mut() {
                Some((at, n)) if *at == minute => *n += 1,
                _ => m.push_back((minute, 1)),
            }
            while m.len() > 60 {
                m.pop_front();
            }
        }
    }

    pub fn total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// 60 counts, oldest first, the last one being the current minute.
    pub fn per_minute(&self) -> Vec<u64> {
        let now = crate::clock::unix_seconds() / 60;
        let m = match self.minutes.lock() {
            Ok(m) => m.clone(),
            Err(_) => Default::default(),
        };
        (0..60)
            .map(|i| {
                let minute = now - 59 + i;
                m.iter()
                    .find(|(at, _)| *at == minute)
                    .map_or(0, |(_, n)| *n)
            })
            .collect()
    }
}
