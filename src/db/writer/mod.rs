//! The single writer: a thread that owns the read-write connection and runs
//! queued write jobs in group-committed batches.
//!
//! Each batch is one `BEGIN IMMEDIATE … COMMIT`; each job runs in its own
//! SAVEPOINT so a failing job rolls back only its own changes. Callers are
//! answered after COMMIT returns, i.e. once the batch is as durable as the
//! configured `synchronous` makes it. A panicking job is caught and answered
//! with an internal error; the writer keeps running.

use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use super::health::StorageHealth;
use super::store::{JobError, StoreError, StoreResult, Tx};

/// Most jobs committed together.
mod batch;

use batch::run_batch;

const MAX_BATCH: usize = 512;

/// Called after the batch's COMMIT with its outcome; sends the job's result.
type Finish = Box<dyn FnOnce(StoreResult<()>) + Send>;
/// Runs the job on the connection, or, given the error that keeps it from
/// running, only prepares that answer.
type Job = Box<dyn FnOnce(StoreResult<&Connection>) -> Ran + Send>;

/// What running one job tells its batch.
struct Ran {
    ok: bool,
    /// It succeeded and changed rows (set by `run_job`).
    wrote: bool,
    /// Its error, when the storage failed under it.
    fault: Option<StoreError>,
    finish: Finish,
}

impl Ran {
    /// A job answered with `err` without running.
    fn not_run<T: Send + 'static, E: JobError>(
        reply: oneshot::Sender<Result<T, E>>,
        err: StoreError,
    ) -> Ran {
        Ran {
            ok: false,
            wrote: false,
            fault: None,
            finish: Box::new(move |_| {
                let _ = reply.send(Err(E::from(err)));
            }),
        }
    }
}
/// Upkeep run on the writer's connection between batches.
pub type Maintenance = Box<dyn FnOnce(&Connection) -> rusqlite::Result<()> + Send>;

enum Msg {
    Job(Job),
    /// Reads `PRAGMA data_version` on the writer's connection: it changes
    /// only when *another* connection (another process) committed.
    DataVersion(oneshot::Sender<i64>),
    /// Runs a task outside any transaction (checkpoints, statistics).
    Maintenance(Maintenance, oneshot::Sender<Result<(), String>>),
    Shutdown,
}

#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    pub failed_commits: AtomicU64,
    /// Sum of batch durations in microseconds.
    pub busy_micros: AtomicU64,
    /// Batches committed that changed rows; counted after COMMIT returns
    /// and before any of the batch's callers is answered. A batch that
    /// changed nothing (a job that only read, or found nothing to do)
    /// leaves it alone, so it never retires cached answers.
    pub committed: AtomicU64,
}

pub struct Writer {
    commits: watch::Receiver<u64>,
    tx: Mutex<mpsc::Sender<Msg>>,
    handle: Mutex<Option<JoinHandle<()>>>,
    stats: Arc<WriterStats>,
    health: Arc<StorageHealth>,
}

impl Writer {
    /// Starts the writer thread on `conn`; with `hook`, its commits wake the
    /// checkpoint thread instead of checkpointing themselves.
    pub fn start(
        conn: Connection,
        hook: Option<super::checkpointer::Hook>,
        before_commit: &'static [super::Hook],
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let health = Arc::new(StorageHealth::default());
        let thread_health = health.clone();
        let (commit_tx, commits) = watch::channel(0u64);
        let handle = std::thread::Builder::new()
            .name("folio-writer".into())
            .spawn(move || {
                if let Some(hook) = &hook {
                    hook.install(&conn);
                }
                let state = State {
                    stats: &thread_stats,
                    health: &thread_health,
                    before_commit,
                };
                run(conn, rx, state, &commit_tx, hook.as_ref());
            })?;
        Ok(Writer {
            commits,
            tx: Mutex::new(tx),
            handle: Mutex::new(Some(handle)),
            stats,
            health,
        })
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Whether the last writes reached the disk.
    pub fn health(&self) -> &StorageHealth {
        &self.health
    }

    /// Ticks after every committed batch (to wake event consumers).
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    pub async fn submit<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: JobError,
    {
        let (reply, answer) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => f(&mut Tx::sqlite(conn)),
                Err(e) => return Ran::not_run(reply, e),
            };
            let ok = result.is_ok();
            let fault = result.as_ref().err().and_then(JobError::storage_fault);
            let finish: Finish = Box::new(move |commit| {
                let outcome = match commit {
                    Ok(()) => result,
                    Err(e) if ok => Err(E::from(e)),
                    Err(_) => result,
                };
                // The caller may have gone away; nothing to do then.
                let _ = reply.send(outcome);
            });
            Ran {
                ok,
                wrote: false,
                fault,
                finish,
            }
        });
        self.send(Msg::Job(job))?;
        answer.await.map_err(|_| E::from(stopped()))?
    }

    fn send(&self, msg: Msg) -> StoreResult<()> {
        let tx = self
            .tx
            .lock()
            .map_err(|_| StoreError::other("writer queue lock poisoned"))?;
        tx.send(msg).map_err(|_| stopped())
    }

    pub async fn data_version(&self) -> StoreResult<i64> {
        let (reply, answer) = oneshot::channel();
        self.send(Msg::DataVersion(reply))?;
        answer.await.map_err(|_| stopped())
    }

    pub async fn maintenance(&self, task: Maintenance) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.send(Msg::Maintenance(task, reply))?;
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::other)
    }

    /// Finishes the queued jobs, then stops the thread and waits for it.
    pub fn shutdown(&self) {
        if self.send(Msg::Shutdown).is_err() {
            return;
        }
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            if handle.join().is_err() {
                tracing::error!("the database writer thread panicked");
            }
        }
    }
}

fn stopped() -> StoreError {
    StoreError::other("the database writer has stopped")
}

/// What the writer thread counts and records.
#[derive(Clone, Copy)]
struct State<'a> {
    stats: &'a WriterStats,
    health: &'a StorageHealth,
    /// The features' work before each COMMIT ([`super::Hooks`]).
    before_commit: &'static [super::Hook],
}

fn run(
    conn: Connection,
    rx: mpsc::Receiver<Msg>,
    state: State<'_>,
    commits: &watch::Sender<u64>,
    checkpoints: Option<&super::checkpointer::Hook>,
) {
    let mut stop = false;
    while !stop {
        let Ok(first) = rx.recv() else { break };
        let mut jobs = Vec::new();
        match first {
            Msg::Job(job) => jobs.push(job),
            Msg::DataVersion(reply) => {
                let _ = reply.send(data_version(&conn));
                continue;
            }
            Msg::Maintenance(task, reply) => {
                let _ = reply.send(task(&conn).map_err(|e| e.to_string()));
                continue;
            }
            Msg::Shutdown => break,
        }
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => jobs.push(job),
                Ok(Msg::DataVersion(reply)) => {
                    let _ = reply.send(data_version(&conn));
                }
                Ok(Msg::Maintenance(task, reply)) => {
                    let _ = reply.send(task(&conn).map_err(|e| e.to_string()));
                }
                Ok(Msg::Shutdown) => {
                    stop = true;
                    break;
                }
                Err(_) => break,
            }
        }
        // Only batches that changed rows wake the event consumers.
        if run_batch(&conn, jobs, state) {
            commits.send_modify(|n| *n = n.wrapping_add(1));
            if let Some(hook) = checkpoints {
                hook.finish_on_writer(&conn);
            }
        }
    }
    if let Err(e) = super::stats::refresh(&conn) {
        tracing::warn!(error = %e, "refreshing planner statistics at shutdown failed");
    }
    if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);") {
        tracing::warn!(error = %e, "checkpoint at shutdown failed");
    }
    tracing::debug!("database writer stopped");
}

fn data_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .unwrap_or(-1)
}
