//! The JSON line format: one object per line, written field by field.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

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
pub(crate) fn open_line(level: &str) -> Result<String, fmt::Error> {
    let mut line = String::with_capacity(320);
    line.push_str("{\"timestamp\":\"");
    push_timestamp(&mut line, std::time::SystemTime::now())?;
    line.push_str("\",\"level\":");
    push_json_str(&mut line, level);
    Ok(line)
}

/// Ends a JSON line begun by [`open_line`] with its target.
pub(crate) fn close_line(line: &mut String, target: &str) {
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
pub(crate) fn push_f64(line: &mut String, value: f64) -> fmt::Result {
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
pub(crate) fn push_json_str(line: &mut String, s: &str) {
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

/// A log destination tests can read back.
#[cfg(test)]
pub(crate) mod capture {
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

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
}

#[cfg(test)]
mod tests {
    use super::capture::Captured;
    use super::JsonLine;

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
}
