//! Logging setup, correlation ids and the one-line-per-request log.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rocket::http::Header;
use rocket::{Request, Response};
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
use crate::ctx::Ctx;
use crate::logwriter::{LogGuard, LogWriter};

pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Installs the global `tracing` subscriber (JSON or pretty, per config).
/// A second call (tests build many apps in one process) is a no-op and
/// returns `None`.
///
/// Lines are formatted on the thread that logs them and written to stdout
/// by one `folio-log` thread in batches (see [`crate::logwriter`]), so a
/// request's thread makes no system call for its line. Nothing is dropped.
/// The returned guard writes out what is queued when dropped: keep it until
/// the process ends.
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
        .with_writer(writer.clone());
    let result = if config.log_is_json() {
        tracing::subscriber::set_global_default(builder.event_format(JsonLine).finish())
    } else {
        tracing::subscriber::set_global_default(builder.compact().finish())
    };
    // Already installed: keep the first one (this call's thread stops when
    // its guard is dropped here).
    result.ok()?;
    // The filter is fixed from here on, so whether request lines are
    // logged is known now.
    if config.log_is_json() && tracing::enabled!(target: "folio::request", tracing::Level::INFO) {
        let _ = REQUEST_SINK.set(writer);
    }
    // Records of the `log` crate become events. Rocket logs a few per
    // request at `info`; unless asked for, they are dropped at the bridge
    // by a prefix test, cheaper than matching their targets in the filter.
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
/// (`message` among them) and `target`: the shape of tracing-subscriber's
/// `json().flatten_event(true)`, but each field is written straight into the
/// line instead of into a map through `Debug` strings first. Folio opens no
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
        let mut line = open_line(event.metadata().level().as_str())?;
        let mut fields = JsonFields {
            line: &mut line,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        close_line(&mut line, event.metadata().target());
        out.write_str(&line)
    }
}

/// A JSON line up to its level: `{"timestamp":"…","level":"INFO"`. Shared
/// by [`JsonLine`] and the request line, which must write the same shape.
fn open_line(level: &str) -> Result<String, fmt::Error> {
    let mut line = String::with_capacity(320);
    line.push_str("{\"timestamp\":\"");
    push_timestamp(&mut line, std::time::SystemTime::now())?;
    line.push_str("\",\"level\":");
    push_json_str(&mut line, level);
    Ok(line)
}

/// Ends a JSON line begun by [`open_line`] with its target.
fn close_line(line: &mut String, target: &str) {
    line.push_str(",\"target\":");
    push_json_str(line, target);
    line.push_str("}\n");
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
        self.result = self.result.and(push_f64(self.line, value));
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

/// Appends `at` as tracing-subscriber's `SystemTime` timer writes it
/// (`2026-12-06T10:54:31.119144Z`). The part up to the second is formatted
/// once a second per thread and reused, since `fmt` is costly next to the
/// rest of a request line.
fn push_timestamp(line: &mut String, at: std::time::SystemTime) -> fmt::Result {
    thread_local! {
        /// (second since the epoch, `YYYY-MM-DDTHH:MM:SS.` for it)
        static SECOND: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let since = at.duration_since(std::time::UNIX_EPOCH).ok();
    // Before 1970 or past 9999 (a clock set wrong): the timer's own text,
    // which is always of the current time (`at` is the current time but in
    // tests).
    let Some(since) = since.filter(|d| d.as_secs() < 253_402_300_800) else {
        return SystemTime.format_time(&mut Writer::new(line));
    };
    let secs = since.as_secs();
    SECOND.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            let t = time::OffsetDateTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            cached.1.clear();
            write!(
                cached.1,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )?;
            cached.0 = secs;
        }
        line.push_str(&cached.1);
        Ok::<(), fmt::Error>(())
    })?;
    push_padded(line, since.subsec_micros(), 6);
    line.push('Z');
    Ok(())
}

/// Appends `n` zero-padded to `width` digits.
fn push_padded(line: &mut String, n: u32, width: usize) {
    let mut digits = itoa::Buffer::new();
    let text = digits.format(n);
    for _ in text.len()..width {
        line.push('0');
    }
    line.push_str(text);
}

/// Appends `value` as `Display` writes it (`null` when not finite). A value
/// with at most three decimals, such as the request line's `duration_ms`,
/// is written from integers, which is cheaper than `fmt`'s float printing.
/// Such a value is the double nearest `k / 1000`, so that decimal is the
/// shortest one that reads back as it, which is what `Display` prints.
fn push_f64(line: &mut String, value: f64) -> fmt::Result {
    if !value.is_finite() {
        line.push_str("null");
        return Ok(());
    }
    if value.is_sign_positive() && value < 1e12 {
        let thousandths = (value * 1000.0).round();
        if thousandths / 1000.0 == value {
            let k = thousandths as u64;
            let mut digits = itoa::Buffer::new();
            line.push_str(digits.format(k / 1000));
            let mut frac = (k % 1000) as u32;
            if frac != 0 {
                let mut width = 3;
                while frac.is_multiple_of(10) {
                    frac /= 10;
                    width -= 1;
                }
                line.push('.');
                push_padded(line, frac, width);
            }
            return Ok(());
        }
    }
    write!(line, "{value}")
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

/// Where request lines go without passing through `tracing`: set by
/// [`init`] when lines are JSON and `folio::request` is logged at `info`.
/// The line is the same bytes [`JsonLine`] writes for [`RequestLine::log`]'s
/// event (a unit test compares them), and it is queued on the same writer,
/// so it keeps its place among the other lines. It skips `tracing`'s dispatch
/// of the event and the visit of its fields, most of what a line costs.
static REQUEST_SINK: std::sync::OnceLock<LogWriter> = std::sync::OnceLock::new();

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
/// [`crate::http::pipeline`]).
pub fn begin(req: &Request<'_>) {
    meta(req);
}

/// Sets the correlation id header, logs the request line and counts the
/// request in the metrics (step of [`crate::http::pipeline`]).
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
    let (method, path) = crate::auth::ratelimit::sent_target(req);
    let line = RequestLine {
        method: method.as_str(),
        path,
        route: &route,
        status,
        duration_ms: (duration_ms * 1000.0).round() / 1000.0,
        correlation_id: &meta.correlation_id,
    };
    match REQUEST_SINK.get() {
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
    use std::sync::{Arc, Mutex};

    use super::{is_sane_correlation_id, JsonLine, RequestCounter, RequestLine};

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
    fn timestamps_match_the_timer() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        for (secs, micros) in [
            (0, 0),
            (1_796_554_471, 119_144),
            (1_796_554_471, 999_999), // the same second again: from the cache
            (1_796_554_472, 7),
            (1_709_251_199, 999_999), // 2024-02-29T23:59:59
            (253_402_300_799, 1),     // 9999-12-31T23:59:59
        ] {
            let at = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros);
            let mut line = String::new();
            super::push_timestamp(&mut line, at).unwrap();
            let expected = time::OffsetDateTime::from(at).format(&format).unwrap();
            assert_eq!(line, expected);
        }
        // Out of range: the timer's text for now (1970 or later, since the
        // clock here is right), not the time asked for.
        let mut line = String::new();
        super::push_timestamp(&mut line, UNIX_EPOCH - Duration::from_secs(1)).unwrap();
        assert!(line.ends_with('Z') && !line.starts_with("1969"), "{line}");
        let mut now = String::new();
        super::push_timestamp(&mut now, SystemTime::now()).unwrap();
        assert_eq!(now.len(), "2026-12-06T10:54:31.119144Z".len());
    }

    #[test]
    fn floats_are_written_as_display_writes_them() {
        let check = |v: f64| {
            let mut line = String::new();
            super::push_f64(&mut line, v).unwrap();
            let expected = if v.is_finite() {
                format!("{v}")
            } else {
                "null".to_string()
            };
            assert_eq!(line, expected, "{v:?}");
        };
        for k in (0..3_000_000u64).step_by(7).chain([1000, 10_000, 100_500]) {
            check(k as f64 / 1000.0);
        }
        for v in [
            0.0,
            -0.0,
            -1.5,
            0.1234,
            1e-7,
            2.5e-4,
            123_456_789.012,
            999_999_999_999.999,
            1e12,
            1e21,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ] {
            check(v);
        }
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
