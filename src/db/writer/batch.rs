//! One batch of queued writes: each job in its own SAVEPOINT of one
//! transaction, committed together.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::time::Instant;

use rusqlite::Connection;

use super::{Job, Ran, State};
use crate::db::store::StoreError;

/// Runs one batch; true when it committed and changed rows (counting
/// rows changed by triggers, and by jobs that were rolled back: a false
/// "changed" only costs a needless wake-up).
pub(super) fn run_batch(conn: &Connection, jobs: Vec<Job>, state: State<'_>) -> bool {
    let State {
        stats,
        health,
        before_commit,
    } = state;
    let started = Instant::now();
    let before = conn.total_changes();
    let count = jobs.len() as u64;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let err = StoreError::from(e);
        match &err {
            StoreError::Fault { fault, cause } => {
                health.failed(*fault, cause);
            }
            other => tracing::error!(error = %other, "could not begin a write transaction"),
        }
        for job in jobs {
            (job(Err(err.clone())).finish)(Err(err.clone()));
        }
        return false;
    }
    let mut finishers = Vec::with_capacity(jobs.len());
    let (mut wrote, mut fault, mut aborted) = (false, None, None::<StoreError>);
    for job in jobs {
        if let Some(err) = &aborted {
            finishers.push(job(Err(err.clone())).finish);
            continue;
        }
        let ran = run_job(conn, job);
        wrote |= ran.wrote;
        fault = fault.or(ran.fault);
        finishers.push(ran.finish);
        // SQLite may roll the whole transaction back on a full disk or an
        // I/O error: the earlier jobs' changes are gone with it.
        if conn.is_autocommit() {
            aborted = Some(
                fault
                    .clone()
                    .unwrap_or_else(|| StoreError::other("the write transaction was rolled back")),
            );
        }
    }
    // The features' last work (the search index flush) runs inside the
    // same transaction, once per batch.
    let commit = match aborted {
        Some(err) => Err(err),
        None => before_commit
            .iter()
            .try_for_each(|hook| hook(conn))
            .and_then(|()| conn.execute_batch("COMMIT"))
            .map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                StoreError::from(e)
            }),
    };
    if let Err(e) = &commit {
        stats.failed_commits.fetch_add(1, Ordering::Relaxed);
        if fault.is_none() && matches!(e, StoreError::Fault { .. }) {
            fault = Some(e.clone());
        }
    }
    match &fault {
        Some(StoreError::Fault { fault, cause }) => {
            health.failed(*fault, cause);
        }
        _ if commit.is_ok() && wrote => {
            health.succeeded();
        }
        _ => {}
    }
    let changed = commit.is_ok() && conn.total_changes() != before;
    if changed {
        stats.committed.fetch_add(1, Ordering::AcqRel);
    }
    for finish in finishers {
        finish(commit.clone());
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.jobs.fetch_add(count, Ordering::Relaxed);
    stats
        .busy_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    changed
}

/// Runs one job inside a SAVEPOINT, rolling back its changes on error or panic.
fn run_job(conn: &Connection, job: Job) -> Ran {
    if let Err(e) = exec_cached(conn, "SAVEPOINT job") {
        return job(Err(StoreError::from(e)));
    }
    let before = conn.total_changes();
    match catch_unwind(AssertUnwindSafe(|| job(Ok(conn)))) {
        Ok(mut ran) if ran.ok => {
            if let Err(e) = exec_cached(conn, "RELEASE job") {
                tracing::error!(error = %e, "releasing a savepoint failed");
            }
            ran.wrote = conn.total_changes() != before;
            ran
        }
        Ok(ran) => {
            rollback_savepoint(conn);
            ran
        }
        Err(_) => {
            tracing::error!("a write job panicked; its changes were rolled back");
            rollback_savepoint(conn);
            // The job's reply channel was dropped with the panic: its caller
            // sees "writer stopped" as an internal error.
            Ran {
                ok: false,
                wrote: false,
                fault: None,
                finish: Box::new(|_| {}),
            }
        }
    }
}

/// Runs a statement kept prepared (the per-job savepoint statements would
/// otherwise be parsed twice per job).
fn exec_cached(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

fn rollback_savepoint(conn: &Connection) {
    // Nothing to roll back when SQLite ended the transaction itself.
    if conn.is_autocommit() {
        return;
    }
    if let Err(e) = conn.execute_batch("ROLLBACK TO job; RELEASE job") {
        tracing::error!(error = %e, "rolling back a savepoint failed");
    }
}
