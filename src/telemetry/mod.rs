//! Logging setup: the global subscriber, its filter and its line format
//! ([`json`]).

pub mod json;

use tracing_log::AsLog;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

use crate::config::Config;
use crate::logwriter::{LogGuard, LogWriter};
use json::JsonLine;

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

/// Where request lines go without passing through `tracing`: set by
/// [`init`] when lines are JSON and `folio::request` is logged at `info`.
/// The request log writes the same bytes [`JsonLine`] writes for its event
/// (a unit test compares them) and queues them on the same writer, so a line
/// keeps its place among the others. It skips `tracing`'s dispatch of the
/// event and the visit of its fields, most of what a line costs.
static REQUEST_SINK: std::sync::OnceLock<LogWriter> = std::sync::OnceLock::new();

/// The writer request lines go to directly, when [`init`] set one.
pub fn request_sink() -> Option<&'static LogWriter> {
    REQUEST_SINK.get()
}
