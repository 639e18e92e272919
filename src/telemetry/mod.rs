//! Logging setup: the global `tracing` subscriber, its filter, and where
//! its lines go.
//!
//! JSON lines are tracing-subscriber's own format (`timestamp`, `level`,
//! the event's fields, `target`); a `tracing-appender` thread writes them to
//! stdout, so a request's thread makes no system call for its line.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_log::AsLog;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Lines queued for the log thread before loggers wait for it (never
/// dropped).
const QUEUED_LINES: usize = 128 * 1024;

/// Installs the global `tracing` subscriber (JSON or pretty, per config).
/// A second call (tests build many apps in one process) is a no-op and
/// returns `None`.
///
/// The returned guard writes out what is queued when dropped: keep it until
/// the process ends.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(config: &Config) -> Option<WorkerGuard> {
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
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("folio-log")
        .finish(std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let result = if config.log_is_json() {
        let json = builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false);
        tracing::subscriber::set_global_default(json.finish())
    } else {
        tracing::subscriber::set_global_default(builder.compact().finish())
    };
    // Already installed: keep the first one (this call's thread stops when
    // its guard is dropped here).
    result.ok()?;
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
    Some(guard)
}
