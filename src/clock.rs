//! Timestamps as the contract writes them: RFC 3339, UTC, milliseconds
//! (`2026-11-27T15:04:05.123Z`). Stored in SQLite as the same text, which
//! sorts chronologically.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(FORMAT)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_string())
}

pub fn now_string() -> String {
    format(now())
}

/// `now + d` as stored text.
pub fn in_future(d: Duration) -> String {
    format(now() + d)
}

pub fn unix_seconds() -> i64 {
    now().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_795_000_000_123_456_789).unwrap();
        let s = format(t);
        assert!(s.ends_with('Z') && s.len() == 24, "{s}");
        assert!(s.contains(".123Z"), "{s}");
    }
}
