use super::*;

fn wanted(shared: &Shared) -> bool {
    std::mem::take(&mut shared.state.lock().unwrap().wanted)
}

/// A round starts at `THRESHOLD_FRAMES` new frames; once some are
/// copied, the thread is woken again from `CHASE_FRAMES` on; a WAL that
/// restarted counts from zero again.
#[test]
fn commits_wake_the_thread_when_frames_pile_up() {
    let shared = Shared::default();
    shared.committed(THRESHOLD_FRAMES - 1);
    assert!(!wanted(&shared));
    shared.committed(THRESHOLD_FRAMES);
    assert!(wanted(&shared));
    shared.backfilled.store(THRESHOLD_FRAMES, Ordering::Relaxed);
    shared.committed(THRESHOLD_FRAMES + CHASE_FRAMES - 1);
    assert!(!wanted(&shared));
    shared.committed(THRESHOLD_FRAMES + CHASE_FRAMES);
    assert!(wanted(&shared));
    // Restarted: 300 frames are 300 new ones, under the threshold.
    shared.committed(300);
    assert!(!wanted(&shared));
    assert_eq!(shared.backfilled.load(Ordering::Relaxed), 0);
    shared.committed(THRESHOLD_FRAMES);
    assert!(wanted(&shared));
}

/// Past `FINISH_AT_FRAMES` the writer finishes the round even when the
/// checkpoint thread has copied nothing of it yet (here there is no
/// thread at all): the WAL restarts instead of growing to the ~25 MB of
/// 6,000 pages.
#[test]
fn past_the_limit_the_writer_finishes_though_the_thread_copied_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.db");
    let mut config = crate::config::Config::default();
    config.database.synchronous = crate::config::Synchronous::Normal;
    let opts = crate::db::DbOptions::from_config(&config, crate::db::Hooks::NONE);
    let conn = crate::db::open_connection(&path, &opts).unwrap();
    let shared = Arc::new(Shared::default());
    let hook = Hook::new(shared.clone(), Duration::from_secs(5));
    hook.install(&conn);
    conn.execute_batch("CREATE TABLE pages (body BLOB NOT NULL)")
        .unwrap();
    let wal = dir.path().join("c.db-wal");
    let mut largest = 0;
    for _ in 0..60 {
        conn.execute_batch(
            "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
             INSERT INTO pages SELECT randomblob(3900) FROM n; COMMIT;",
        )
        .unwrap();
        hook.finish_on_writer(&conn);
        largest = largest.max(std::fs::metadata(&wal).unwrap().len());
    }
    assert!(shared.stats.finishes.load(Ordering::Relaxed) > 0);
    assert!(largest < 20 << 20, "the WAL grew to {largest} bytes");
}

/// A checkpoint that could not start reports -1 frames: the count of
/// copied frames stays, so the hook and the writer do not take the WAL
/// for restarted.
#[test]
fn a_checkpoint_that_did_not_start_leaves_the_count() {
    let shared = Shared::default();
    shared.checkpointed(false, 1200);
    assert_eq!(shared.backfilled.load(Ordering::Relaxed), 1200);
    assert_eq!(shared.stats.frames.load(Ordering::Relaxed), 1200);
    shared.checkpointed(true, -1);
    assert_eq!(shared.backfilled.load(Ordering::Relaxed), 1200);
    assert_eq!(shared.stats.failed.load(Ordering::Relaxed), 1);
    shared.checkpointed(false, 1500);
    assert_eq!(shared.stats.frames.load(Ordering::Relaxed), 1500);
    assert_eq!(shared.stats.runs.load(Ordering::Relaxed), 2);
}
