//! WAL checkpoints on their own thread (with `synchronous = NORMAL`), so
//! the writer rarely waits for them.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL
//! past 1,000 frames, on the committing connection: it copies the frames into
//! the database file and `fsync`s both, and on the single writer every queued
//! write waits for it.
//!
//! The writer's connection registers a WAL hook instead of the automatic
//! checkpoint (a connection has one or the other). After each commit the
//! hook learns how many frames the WAL holds; once 1,000 of them are not yet
//! in the database file, it wakes the `folio-checkpoint` thread, which runs a
//! `PASSIVE` checkpoint on a connection of its own: it never waits for, and
//! never blocks, the writer or the readers.
//!
//! A checkpoint beside a writer that keeps committing never copies the
//! last frame, and SQLite restarts the WAL from its beginning only once every
//! frame is in the database file. So the thread chases the writer (it is
//! woken again while `CHASE_FRAMES` or more are new), and when fewer are
//! left, the writer copies them itself between batches
//! ([`Hook::finish_on_writer`], a short `RESTART` checkpoint); its next
//! transaction then restarts the WAL. Past `FINISH_AT_FRAMES` (~16 MiB of
//! WAL) the writer finishes the round whatever is left; when readers
//! outlast that finish, it retries after a delay that doubles while they
//! keep doing so (`RETRY_FIRST` to `RETRY_MAX`). So the WAL stays bounded
//! under any load but one where readers keep it busy all along; past 32 MiB
//! the maintenance task's TRUNCATE (`app.rs`) then waits them out.

use std::cell::{Cell, RefCell};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::hooks::Wal;
use rusqlite::Connection;

/// Frames not yet copied into the database file that call for a checkpoint
/// (SQLite's own automatic threshold).
pub const THRESHOLD_FRAMES: i64 = 1000;

#[derive(Debug, Default)]
pub struct CheckpointStats {
    /// Checkpoints run (each copied at least one frame or found none to copy).
    pub runs: AtomicU64,
    /// Frames copied into the database file.
    pub frames: AtomicU64,
    /// Sum of checkpoint durations in microseconds.
    pub busy_micros: AtomicU64,
    /// Rounds the writer finished itself (the last few frames, then the
    /// WAL restarts; see [`Hook::finish_on_writer`]).
    pub finishes: AtomicU64,
    /// The writer's finishes that readers (or another connection's
    /// checkpoint) kept from completing; the writer retries after a delay
    /// ([`RETRY_FIRST`] to [`RETRY_MAX`]).
    pub finish_waits: AtomicU64,
    /// Checkpoints that failed (an I/O error, or another connection's
    /// checkpoint running at the same moment).
    pub failed: AtomicU64,
}

#[derive(Default)]
struct State {
    wanted: bool,
    stop: bool,
}

/// What the writer's WAL hook and the checkpoint thread share.
#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Frames of the WAL already copied by the last checkpoint (its
    /// `checkpointed` count), so the hook can tell how many are new.
    backfilled: AtomicI64,
    /// Frames in the WAL after the writer's last commit.
    log: AtomicI64,
    stats: CheckpointStats,
    /// Held while a checkpoint runs here (see [`Checkpointer::gate`]).
    running: Arc<Mutex<()>>,
}

impl Shared {
    /// Called by the hook on the writer's thread after a commit.
    fn committed(&self, frames: i64) {
        self.log.store(frames, Ordering::Relaxed);
        let mut done = self.backfilled.load(Ordering::Relaxed);
        if frames < done {
            // Fewer frames than were copied: the WAL restarted from its
            // start, and none of its frames is copied yet.
            self.backfilled.store(0, Ordering::Relaxed);
            done = 0;
        }
        // A round started (some frames are copied): the thread chases the
        // writer until fewer than `CHASE_FRAMES` are left, which the writer
        // then copies itself (`Hook::finish_on_writer`).
        let due = if done > 0 {
            CHASE_FRAMES
        } else {
            THRESHOLD_FRAMES
        };
        if frames - done < due {
            return;
        }
        if let Ok(mut state) = self.state.lock() {
            if !state.wanted {
                state.wanted = true;
                self.wake.notify_one();
            }
        }
    }

    /// Records what a passive checkpoint of the thread reported.
    fn checkpointed(&self, busy: bool, copied: i64) {
        if copied < 0 {
            // It did not start (another checkpoint was running), and what is
            // copied is unknown: the count stays as it was.
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let before = self.backfilled.swap(copied, Ordering::Relaxed);
        // The count is of the WAL since it last restarted.
        let new = if copied >= before {
            copied - before
        } else {
            copied
        };
        if busy {
            // Another connection (a TRUNCATE checkpoint on the writer, the
            // CLI) was checkpointing: the next commit past the threshold
            // asks again.
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.runs.fetch_add(1, Ordering::Relaxed);
            self.stats
                .frames
                .fetch_add(u64::try_from(new).unwrap_or(0), Ordering::Relaxed);
        }
    }
}

thread_local! {
    /// The checkpointer a connection's WAL hook reports to. The hook is a
    /// plain function (rusqlite passes no context to it) and runs on the
    /// thread that commits: the writer sets this on its own thread.
    static HOOK_TARGET: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

fn on_commit(_wal: &Wal, frames: c_int) -> rusqlite::Result<()> {
    HOOK_TARGET.with(|target| {
        if let Some(shared) = target.borrow().as_ref() {
            shared.committed(i64::from(frames));
        }
    });
    Ok(())
}

/// Frames left by the checkpoint thread that the writer copies itself.
pub const CHASE_FRAMES: i64 = 256;

/// WAL frames at which the writer copies the rest itself even if the chase
/// has not come close (it may not under a heavy write load, each round
/// taking one or two `fsync`s): ~16 MiB, so the WAL stays bounded.
pub const FINISH_AT_FRAMES: i64 = 4 * THRESHOLD_FRAMES;

/// The checkpoint thread; stopped by [`Checkpointer::shutdown`] or on drop.
pub struct Checkpointer {
    shared: Arc<Shared>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

/// Given to the writer's thread: turns the automatic checkpoint of the
/// connection it commits on into wake-ups of the checkpoint thread.
pub struct Hook {
    shared: Arc<Shared>,
    /// The writer connection's busy timeout, restored after a checkpoint.
    busy_timeout: Duration,
    /// Set when readers kept the writer's last finish from completing: no
    /// new attempt before then, and the delay after the next one that fails.
    retry: Cell<Option<(Instant, Duration)>>,
}

/// How long the writer's closing checkpoint waits for readers.
const RESTART_WAIT: Duration = Duration::from_millis(2);

/// Past [`FINISH_AT_FRAMES`], how long the writer leaves the finish alone
/// after readers outlasted [`RESTART_WAIT`], doubled after each further
/// failure up to [`RETRY_MAX`] and reset by a finish that completes.
/// Without it, a reader that holds one snapshot for long (a backup, a
/// search over every post of a large database) would make every batch wait
/// those 2 ms.
const RETRY_FIRST: Duration = Duration::from_millis(5);
const RETRY_MAX: Duration = Duration::from_millis(80);

impl Hook {
    fn new(shared: Arc<Shared>, busy_timeout: Duration) -> Hook {
        Hook {
            shared,
            busy_timeout,
            retry: Cell::new(None),
        }
    }

    /// Run by the writer between batches. A checkpoint on another
    /// connection can never catch up with a writer that keeps committing,
    /// and SQLite restarts the WAL from its beginning only when every frame
    /// is in the database file; so once the checkpoint thread has copied all
    /// but a few frames, the writer copies those itself (a short `RESTART`
    /// checkpoint), and its next transaction restarts the WAL.
    pub fn finish_on_writer(&self, conn: &Connection) {
        let shared = &self.shared;
        let log = shared.log.load(Ordering::Relaxed);
        let done = shared.backfilled.load(Ordering::Relaxed);
        // Past `FINISH_AT_FRAMES` the round is stuck: a reader holds an old
        // snapshot, the thread cannot keep up, or its first checkpoint of the
        // round is slow.
        let forced = log >= FINISH_AT_FRAMES;
        if !forced && (done == 0 || log < done || log - done >= CHASE_FRAMES) {
            return;
        }
        // Near the end of a round, a finish that readers outlast is tried
        // again at the next batches, which soon gets past short reads and
        // keeps the WAL small. Past `FINISH_AT_FRAMES` the writer backs off.
        if let Some((at, _)) = self.retry.get() {
            if forced && Instant::now() < at {
                return;
            }
        }
        // While the checkpoint thread is at it, the next batch looks again;
        // but past `FINISH_AT_FRAMES` the writer waits for its round to end
        // (the thread, woken by every commit, might never pause otherwise).
        let alone = if forced {
            shared.running.lock().ok()
        } else {
            shared.running.try_lock().ok()
        };
        let Some(_alone) = alone else {
            return;
        };
        // RESTART also waits for the readers still on the copied frames to
        // move on, so that the next transaction does restart the WAL; but
        // not for long (a search can take a while), or the queued writes
        // would wait with it: the next round tries again.
        let _ = conn.busy_timeout(RESTART_WAIT);
        let result = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| {
            Ok((r.get::<_, i64>(0)? != 0, r.get::<_, i64>(2)?))
        });
        let _ = conn.busy_timeout(self.busy_timeout);
        match result {
            Ok((busy, copied)) => {
                // -1: another connection was checkpointing, nothing is
                // known of what is copied.
                if copied >= 0 {
                    shared.backfilled.store(copied, Ordering::Relaxed);
                }
                if busy {
                    shared.stats.finish_waits.fetch_add(1, Ordering::Relaxed);
                    if forced {
                        let delay = match self.retry.get() {
                            Some((_, last)) => (last * 2).min(RETRY_MAX),
                            None => RETRY_FIRST,
                        };
                        self.retry.set(Some((Instant::now() + delay, delay)));
                    }
                } else {
                    self.retry.set(None);
                    shared.stats.finishes.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }

    /// Registers the hook on `conn`; call on the thread that commits on it.
    /// It replaces the automatic checkpoint (`wal_autocheckpoint`), which
    /// must not be set on `conn` afterwards.
    pub fn install(&self, conn: &Connection) {
        HOOK_TARGET.with(|target| *target.borrow_mut() = Some(self.shared.clone()));
        conn.wal_hook(Some(on_commit));
    }
}

impl Checkpointer {
    /// Starts the thread on `conn`, a read-write connection to the database
    /// the writer commits to, and returns the hook for the writer.
    pub fn start(
        conn: Connection,
        busy_timeout: Duration,
    ) -> std::io::Result<(Checkpointer, Hook)> {
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("folio-checkpoint".into())
            .spawn(move || run(&conn, &thread_shared))?;
        let hook = Hook::new(shared.clone(), busy_timeout);
        Ok((
            Checkpointer {
                shared,
                handle: Mutex::new(Some(handle)),
            },
            hook,
        ))
    }

    pub fn stats(&self) -> &CheckpointStats {
        &self.shared.stats
    }

    /// Held by this thread while it checkpoints: another checkpoint on this
    /// process's connections takes it first, since SQLite fails a checkpoint
    /// at once, without waiting, while another one runs.
    pub fn gate(&self) -> Arc<Mutex<()>> {
        self.shared.running.clone()
    }

    /// Stops the thread after the checkpoint it is running, and waits for it.
    pub fn shutdown(&self) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.stop = true;
            self.shared.wake.notify_one();
        }
        let handle = self.handle.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            if handle.join().is_err() {
                tracing::error!("the checkpoint thread panicked");
            }
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let Ok(mut state) = shared.state.lock() else {
                return;
            };
            while !state.wanted && !state.stop {
                state = match shared.wake.wait(state) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if state.stop {
                return;
            }
            state.wanted = false;
        }
        let Ok(_running) = shared.running.lock() else {
            return;
        };
        let started = Instant::now();
        match passive_checkpoint(conn) {
            Ok((busy, copied)) => shared.checkpointed(busy, copied),
            Err(e) => {
                shared.stats.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
        shared
            .stats
            .busy_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

/// `(busy, frames copied)`, as `PRAGMA wal_checkpoint` reports them.
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(bool, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(0)? != 0, r.get(2)?))
    })
}

#[cfg(test)]
mod tests;
