//! Values read at scrape time from the state that already holds them (the
//! caches, the writer, the read pool, the outbox, the process), encoded by
//! a `prometheus-client` collector.
//!
//! A collector over a snapshot rather than gauges set before each scrape:
//! most of these are counters kept elsewhere (a `Counter` cannot be set),
//! some series exist only in some setups (the checkpoint thread, `/proc`),
//! and two scrapes at once each encode their own snapshot instead of
//! overwriting shared gauges.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::TypedMetric;
use prometheus_client::registry::Unit;

use crate::cache::CacheStats;
use crate::ctx::Ctx;
use crate::error::{ApiResult, StorageFault};

/// What one scrape read; encoded in the order `/metrics` has always listed.
#[derive(Debug, Default)]
pub(super) struct Scrape {
    caches: Vec<(&'static str, CacheStats)>,
    /// Read-pool connections (in use, idle).
    read_connections: (u32, u32),
    reads_queued: usize,
    storage_fault: Option<StorageFault>,
    write_batches: u64,
    write_jobs: u64,
    write_seconds: f64,
    /// Only with `synchronous = normal`, where a thread checkpoints.
    checkpoints: Option<Checkpoints>,
    events_pending: i64,
    /// Webhook deliveries by outcome, as the outbox groups them.
    deliveries: Vec<(String, i64)>,
    sse_subscribers: usize,
    resident_bytes: Option<u64>,
    open_fds: Option<usize>,
    uptime_seconds: u64,
}

#[derive(Debug, Default)]
struct Checkpoints {
    runs: u64,
    frames: u64,
    seconds: f64,
    finishes: u64,
    finish_waits: u64,
    failed: u64,
}

fn seconds(micros: &AtomicU64) -> f64 {
    micros.load(Ordering::Relaxed) as f64 / 1e6
}

impl Scrape {
    pub(super) async fn read(ctx: &Ctx) -> Scrape {
        let w = ctx.db.writer_stats();
        let checkpoints = ctx.db.checkpoint_stats().map(|c| Checkpoints {
            runs: c.runs.load(Ordering::Relaxed),
            frames: c.frames.load(Ordering::Relaxed),
            seconds: seconds(&c.busy_micros),
            finishes: c.finishes.load(Ordering::Relaxed),
            finish_waits: c.finish_waits.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        });
        // A failed read shows an empty outbox rather than failing the scrape.
        let (events_pending, deliveries) = ctx
            .db
            .read(|c| -> ApiResult<_> {
                Ok((c.events().pending_count()?, c.webhooks().outcome_counts()?))
            })
            .await
            .unwrap_or((0, Vec::new()));
        let (resident_bytes, open_fds) = process_stats().await;
        Scrape {
            caches: ctx.caches.stats(),
            read_connections: ctx.db.pool_state(),
            reads_queued: ctx.db.reads_queued(),
            storage_fault: ctx.db.storage_fault(),
            write_batches: w.batches.load(Ordering::Relaxed),
            write_jobs: w.jobs.load(Ordering::Relaxed),
            write_seconds: seconds(&w.busy_micros),
            checkpoints,
            events_pending,
            deliveries,
            sse_subscribers: ctx.hub.subscribers(),
            resident_bytes,
            open_fds,
            uptime_seconds: ctx.started.elapsed().as_secs(),
        }
    }
}

fn proc_status(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn count_open_fds() -> Option<usize> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count())
}

/// Resident memory and open descriptors, read from `/proc` on the blocking
/// pool rather than an async worker.
async fn process_stats() -> (Option<u64>, Option<usize>) {
    rocket::tokio::task::spawn_blocking(|| (proc_status("VmRSS:"), count_open_fds()))
        .await
        .unwrap_or((None, None))
}

/// A family: its name (without the unit and `_total`, which the encoder
/// adds), help text and unit.
struct Desc(&'static str, &'static str, Option<Unit>);

const SECONDS: Option<Unit> = Some(Unit::Seconds);

const CACHE_HITS: Desc = Desc("folio_cache_hits", "Cache hits by cache.", None);
const CACHE_MISSES: Desc = Desc("folio_cache_misses", "Cache misses by cache.", None);
const CACHE_ENTRIES: Desc = Desc("folio_cache_entries", "Entries by cache.", None);
const READ_CONNECTIONS: Desc = Desc(
    "folio_db_read_connections",
    "Read-pool connections by state.",
    None,
);
const READS_QUEUED: Desc = Desc(
    "folio_db_reads_queued",
    "Reads waiting for a reader thread (one per read connection).",
    None,
);
const STORAGE_FAILING: Desc = Desc(
    "folio_db_storage_failing",
    "1 while database writes fail because the storage is full or unavailable (read-only, I/O errors).",
    None,
);
const WRITE_TRANSACTIONS: Desc = Desc(
    "folio_db_write_transactions",
    "Committed write batches (group commits).",
    None,
);
const WRITE_JOBS: Desc = Desc(
    "folio_db_write_jobs",
    "Write jobs (one per change) run by the writer.",
    None,
);
const WRITE_SECONDS: Desc = Desc(
    "folio_db_write",
    "Time spent in write transactions.",
    SECONDS,
);
const CHECKPOINTS: Desc = Desc(
    "folio_db_checkpoints",
    "WAL checkpoints run by the checkpoint thread (synchronous = normal).",
    None,
);
const CHECKPOINT_FRAMES: Desc = Desc(
    "folio_db_checkpoint_frames",
    "WAL frames the checkpoint thread copied into the database file.",
    None,
);
const CHECKPOINT_SECONDS: Desc = Desc(
    "folio_db_checkpoint",
    "Time the checkpoint thread spent checkpointing.",
    SECONDS,
);
const CHECKPOINT_FINISHES: Desc = Desc(
    "folio_db_checkpoint_finishes",
    "Checkpoint rounds the writer finished (the WAL then restarts).",
    None,
);
const CHECKPOINT_FINISH_WAITS: Desc = Desc(
    "folio_db_checkpoint_finish_waits",
    "Rounds the writer could not finish because readers were still on the WAL (it retries after 5 to 80 ms).",
    None,
);
const CHECKPOINT_FAILURES: Desc = Desc(
    "folio_db_checkpoint_failures",
    "Checkpoints of the checkpoint thread that failed or found another running.",
    None,
);
const EVENTS_PENDING: Desc = Desc(
    "folio_events_pending",
    "Webhook deliveries waiting to be delivered.",
    None,
);
const WEBHOOK_DELIVERIES: Desc = Desc(
    "folio_webhook_deliveries",
    "Webhook deliveries by outcome.",
    None,
);
const SSE_SUBSCRIBERS: Desc = Desc("folio_sse_subscribers", "Open /api/events streams.", None);
const RESIDENT_MEMORY: Desc = Desc(
    "process_resident_memory",
    "Resident memory.",
    Some(Unit::Bytes),
);
const OPEN_FDS: Desc = Desc("process_open_fds", "Open file descriptors.", None);
const UPTIME: Desc = Desc("folio_uptime", "Seconds since start.", SECONDS);

/// One series without labels.
fn one<M: EncodeMetric + TypedMetric>(
    e: &mut DescriptorEncoder,
    d: &Desc,
    metric: M,
) -> fmt::Result {
    metric.encode(e.encode_descriptor(d.0, d.1, d.2.as_ref(), M::TYPE)?)
}

/// One series per value of the label `key`.
fn by<'v, M: EncodeMetric + TypedMetric>(
    e: &mut DescriptorEncoder,
    d: &Desc,
    key: &str,
    rows: impl IntoIterator<Item = (&'v str, M)>,
) -> fmt::Result {
    let mut family = e.encode_descriptor(d.0, d.1, d.2.as_ref(), M::TYPE)?;
    for (value, metric) in rows {
        metric.encode(family.encode_family(&[(key, value)])?)?;
    }
    Ok(())
}

fn counter<N>(n: N) -> ConstCounter<N> {
    ConstCounter::new(n)
}

fn gauge<N>(n: N) -> ConstGauge<N> {
    ConstGauge::new(n)
}

impl Scrape {
    fn encode_caches_and_db(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        let caches = || self.caches.iter();
        let hits = caches().map(|(name, s)| (*name, counter(s.hits)));
        by(e, &CACHE_HITS, "cache", hits)?;
        let misses = caches().map(|(name, s)| (*name, counter(s.misses)));
        by(e, &CACHE_MISSES, "cache", misses)?;
        let entries = caches().map(|(name, s)| (*name, gauge(s.entries)));
        by(e, &CACHE_ENTRIES, "cache", entries)?;

        let (in_use, idle) = self.read_connections;
        let states = [("in_use", gauge(in_use)), ("idle", gauge(idle))];
        by(e, &READ_CONNECTIONS, "state", states)?;
        one(e, &READS_QUEUED, gauge(self.reads_queued))?;
        let failing = |f: StorageFault| (f.code(), gauge(u32::from(self.storage_fault == Some(f))));
        let faults = [StorageFault::Full, StorageFault::Unavailable].map(failing);
        by(e, &STORAGE_FAILING, "code", faults)?;

        one(e, &WRITE_TRANSACTIONS, counter(self.write_batches))?;
        one(e, &WRITE_JOBS, counter(self.write_jobs))?;
        one(e, &WRITE_SECONDS, counter(self.write_seconds))?;
        if let Some(c) = &self.checkpoints {
            one(e, &CHECKPOINTS, counter(c.runs))?;
            one(e, &CHECKPOINT_FRAMES, counter(c.frames))?;
            one(e, &CHECKPOINT_SECONDS, counter(c.seconds))?;
            one(e, &CHECKPOINT_FINISHES, counter(c.finishes))?;
            one(e, &CHECKPOINT_FINISH_WAITS, counter(c.finish_waits))?;
            one(e, &CHECKPOINT_FAILURES, counter(c.failed))?;
        }
        Ok(())
    }

    fn encode_events_and_process(&self, e: &mut DescriptorEncoder) -> fmt::Result {
        one(e, &EVENTS_PENDING, gauge(self.events_pending))?;
        let outcomes = ["pending", "delivered", "failed"].map(|outcome| {
            let n = self.deliveries.iter().find(|(s, _)| s == outcome);
            (outcome, gauge(n.map_or(0, |(_, n)| *n)))
        });
        by(e, &WEBHOOK_DELIVERIES, "outcome", outcomes)?;
        one(e, &SSE_SUBSCRIBERS, gauge(self.sse_subscribers))?;
        if let Some(rss) = self.resident_bytes {
            one(e, &RESIDENT_MEMORY, gauge(rss))?;
        }
        if let Some(fds) = self.open_fds {
            one(e, &OPEN_FDS, gauge(fds))?;
        }
        one(e, &UPTIME, gauge(self.uptime_seconds))
    }
}

impl Collector for Scrape {
    fn encode(&self, mut e: DescriptorEncoder) -> fmt::Result {
        self.encode_caches_and_db(&mut e)?;
        self.encode_events_and_process(&mut e)
    }
}
