//! Logging setup, correlation ids and the one-line-per-request log.

use std::borrow::Cow;
use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};
use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::AsLog;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::config::Config;
use crate::logwriter::LogGuard;

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Installs the global `tracing` subscriber (JSON or pretty, per config).
/// A second call (tests build many apps in one process) is a no-op and
/// returns `None`.
///
/// Lines are formatted on the thread that logs them and written to stdout
/// by one `folio-log` thread in batches (see [`crate::logwriter`]): one
/// syscall per request line under the stdout lock cost 7 % of a cached GET,
/// and a wake-up of the writing thread per line most of what remained
/// (BENCHMARKS.md). Nothing is dropped. The returned guard writes out what
/// is queued when dropped: keep it until the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> Option<LogGuard> {
    // Rocket logs through `log` at a chatty level; its events are ours to
    // log (the request line), so it is silenced unless asked for by name.
    let mut directives = config.log.level.clone();
    let rocket_asked = directives.contains("rocket");
    if !rocket_asked {
        directives.push_str(",rocket=off");
    }
    let filter =
        EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,rocket=off"));
    let max_level = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let (writer, guard, error) = crate::logwriter::start(Box::new(std::io::stdout()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if config.log_is_json() {
        tracing::subscriber::set_global_default(builder.event_format(JsonLine).finish())
    } else {
        tracing::subscriber::set_global_default(builder.compact().finish())
    };
    // Already installed: keep the first one (this call's thread stops when
    // its guard is dropped here).
    result.ok()?;
    // Records of the `log` crate become events. Rocket logs a few per
    // request at `info`; unless asked for, they are dropped at the bridge
    // by a prefix test instead of by the filter, whose matching of their
    // targets was ~1 % of a cached GET's samples.
    let mut bridge = tracing_log::LogTracer::builder().with_max_level(max_level.as_log());
    if !rocket_asked {
        bridge = bridge.ignore_crate("rocket");
    }
    if let Err(e) = bridge.init() {
        tracing::warn!(error = %e, "cannot route the log crate's records to the log");
    }
    if let Some(e) = error {
        // Through the subscriber just installed, which then writes each
        // line itself.
        tracing::warn!(error = %e, "cannot start the log thread; log lines are written one by one");
    }
    Some(guard)
}

/// One JSON object per line: `timestamp`, `level`, the event's fields
/// (`message` among them) and `target`. The same shape as tracing-subscriber's
/// `json().flatten_event(true)`, which was 9 % of a cached GET's CPU: it
/// collects every field into a map through `Debug` strings before writing
/// them. This writes each field straight into the line. Folio opens no
/// spans, so none are written.
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut out: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = String::with_capacity(320);
        line.push_str("{\"timestamp\":\"");
        SystemTime.format_time(&mut Writer::new(&mut line))?;
        line.push_str("\",\"level\":\"");
        line.push_str(event.metadata().level().as_str());
        line.push('"');
        let mut fields = JsonFields {
            line: &mut line,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        line.push_str(",\"target\":");
        push_json_str(&mut line, event.metadata().target());
        line.push_str("}\n");
        out.write_str(&line)
    }
}

struct JsonFields<'a> {
    line: &'a mut String,
    result: fmt::Result,
}

impl JsonFields<'_> {
    fn key(&mut self, field: &Field) {
        self.line.push(',');
        push_json_str(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        push_json_str(self.line, value);
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.result = self.result.and(write!(self.line, "{value}"));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.result = self.result.and(write!(self.line, "{value}"));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.line.push_str(if value { "true" } else { "false" });
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            self.result = self.result.and(write!(self.line, "{value}"));
        } else {
            self.line.push_str("null");
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.line.push('"');
        self.result = self
            .result
            .and(write!(JsonEscaped(&mut *self.line), "{value:?}"));
        self.line.push('"');
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_str(line: &mut String, s: &str) {
    line.push('"');
    escape_into(line, s);
    line.push('"');
}

/// Appends `s` with JSON's string escapes (quote, backslash, control
/// characters).
fn escape_into(line: &mut String, s: &str) {
    let mut rest = s;
    // By byte: the characters to escape are ASCII, and no byte of a
    // multi-byte UTF-8 sequence is below 0x80 (`i` is a char boundary).
    while let Some(i) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < b' ')
    {
        line.push_str(&rest[..i]);
        let c = rest[i..].chars().next().unwrap_or(' ');
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            other => {
                let _ = write!(line, "\\u{:04x}", u32::from(other));
            }
        }
        rest = &rest[i + c.len_utf8()..];
    }
    line.push_str(rest);
}

/// A `fmt::Write` that JSON-escapes what goes through it.
struct JsonEscaped<'a>(&'a mut String);

impl fmt::Write for JsonEscaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
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
        let route = route_label(req);
        let status = res.status().code;
        let ctx = req.rocket().state::<crate::ctx::Ctx>();
        let duration_ms = meta.started.elapsed().as_secs_f64() * 1000.0;
        // What the client asked for, also when a rate limit rewrote it.
        let (method, path) = crate::auth::ratelimit::sent_target(req);
        tracing::info!(
            target: "folio::request",
            method = method.as_str(),
            path,
            route = route.as_ref(),
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
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::{is_sane_correlation_id, JsonLine};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// Every line is one JSON object with the event's fields, typed, and
    /// strings escaped.
    #[test]
    fn json_lines_are_json() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .event_format(JsonLine)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "folio::request",
                method = %"GET",
                path = "/a\"b\\c\nd\u{1}é",
                status = 200u16,
                delta = -3i64,
                ok = true,
                ms = 1.5f64,
                nan = f64::NAN,
                "request {}",
                7
            );
            tracing::warn!(error = ?Some("x"), "plain");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let a = &lines[0];
        assert_eq!(a["level"], "INFO");
        assert_eq!(a["target"], "folio::request");
        assert_eq!(a["message"], "request 7");
        assert_eq!(a["method"], "GET");
        assert_eq!(a["path"], "/a\"b\\c\nd\u{1}é");
        assert_eq!(a["status"], 200);
        assert_eq!(a["delta"], -3);
        assert_eq!(a["ok"], true);
        assert_eq!(a["ms"], 1.5);
        assert!(a["nan"].is_null());
        let ts = a["timestamp"].as_str().unwrap();
        assert!(
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).is_ok(),
            "{ts}"
        );
        assert_eq!(lines[1]["level"], "WARN");
        assert_eq!(lines[1]["message"], "plain");
        assert_eq!(lines[1]["error"], "Some(\"x\")");
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
