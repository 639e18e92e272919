//! The server's background jobs. Each runs as its own task until shutdown,
//! and what it does on a tick is one function the tests call directly.

use std::time::{Duration, Instant};

use rocket::Shutdown;
use tokio::time::{interval, MissedTickBehavior};

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::{admin, auth, events};

/// WAL size past which the checkpoint job truncates it even under load
/// (checked every half second, so the WAL stays well under the 64 MiB
/// `journal_size_limit`).
pub const WAL_SOFT_LIMIT: u64 = 32 * 1024 * 1024;

/// How often the WAL's size and other processes' writes are looked at.
const WATCH_EVERY: Duration = Duration::from_millis(500);

const HOURLY: Duration = Duration::from_secs(3600);

/// Starts every job; each stops when `shutdown` fires.
pub fn spawn_all(ctx: &Ctx, shutdown: &Shutdown) {
    tokio::spawn(checkpoints(ctx.clone(), shutdown.clone()));
    tokio::spawn(foreign_writes(ctx.clone(), shutdown.clone()));
    tokio::spawn(hourly(ctx.clone(), shutdown.clone()));
    let minutes = ctx.config.backup.interval_minutes;
    if minutes > 0 {
        let every = Duration::from_secs(60 * minutes);
        tokio::spawn(backups(ctx.clone(), every, shutdown.clone()));
    }
}

/// Keeps the WAL short: truncated once writes have gone quiet for
/// `database.checkpoint_interval_seconds`, and at once past
/// [`WAL_SOFT_LIMIT`] (under sustained reads and writes SQLite's passive
/// checkpoints cannot restart it, and it would grow without bound).
async fn checkpoints(ctx: Ctx, stop: Shutdown) {
    let quiet = Duration::from_secs(ctx.config.database.checkpoint_interval_seconds.max(1));
    let mut watch = interval(WATCH_EVERY);
    let mut quiet_check = interval(quiet);
    watch.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut commits = ctx.db.commits();
    let mut wrote = true;
    let mut last_write = Instant::now();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = commits.changed() => {
                wrote = true;
                last_write = Instant::now();
            }
            _ = watch.tick() => {
                if wrote && ctx.db.wal_size().await > WAL_SOFT_LIMIT && checkpoint(&ctx).await {
                    tracing::debug!("WAL over its soft limit: checkpointed");
                }
            }
            _ = quiet_check.tick() => {
                // TRUNCATE waits for readers, so it runs only once writes
                // have gone quiet.
                if wrote && last_write.elapsed() >= quiet && checkpoint(&ctx).await {
                    wrote = false;
                }
            }
        }
    }
}

/// Truncates the WAL; false (logged) when it could not.
pub async fn checkpoint(ctx: &Ctx) -> bool {
    match ctx.db.checkpoint().await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "WAL checkpoint failed");
            false
        }
    }
}

/// Notices other processes' writes (the CLI while the server runs).
async fn foreign_writes(ctx: Ctx, stop: Shutdown) {
    let mut seen = ctx.db.data_version().await.unwrap_or(-1);
    let mut watch = interval(WATCH_EVERY);
    watch.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = watch.tick() => {
                notice_foreign_writes(&ctx, &mut seen).await;
            }
        }
    }
}

/// When another process committed since `seen`: flushes every cache and
/// applies the search index changes it left queued (the `sqlite3` shell
/// writes posts without Folio's writer). True when it did.
pub async fn notice_foreign_writes(ctx: &Ctx, seen: &mut i64) -> bool {
    let Ok(version) = ctx.db.data_version().await else {
        return false;
    };
    if version == *seen {
        return false;
    }
    *seen = version;
    ctx.caches.flush();
    if let Err(e) = ctx.db.write(|_| Ok::<_, ApiError>(())).await {
        tracing::warn!(error = %e, "applying queued search index changes failed");
    }
    tracing::debug!("another process wrote to the database: caches flushed");
    true
}

/// Hourly upkeep: planner statistics, expired refresh tokens, events past
/// retention.
async fn hourly(ctx: Ctx, stop: Shutdown) {
    let mut ticks = interval(HOURLY);
    // Start-up refreshed the statistics: the first tick only purges.
    let mut first = true;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => {
                purge(&ctx).await;
                // Cheap (`stats::refresh` bounds each analysis), and a table
                // that grew tenfold is planned from its new size within the
                // hour.
                if !std::mem::take(&mut first) {
                    if let Err(e) = ctx.db.optimize().await {
                        tracing::warn!(error = %e, "refreshing planner statistics failed");
                    }
                }
            }
        }
    }
}

/// Deletes expired refresh tokens and events (and deliveries) past
/// `events.retention_days`; the counts deleted.
pub async fn purge(ctx: &Ctx) -> (usize, usize, usize) {
    let tokens = match auth::service::purge_expired(ctx).await {
        Ok(0) => 0,
        Ok(n) => {
            tracing::info!(deleted = n, "purged expired refresh tokens");
            n
        }
        Err(e) => {
            tracing::warn!(error = %e, "purging refresh tokens failed");
            0
        }
    };
    let (events, deliveries) = match events::purge_old(ctx).await {
        Ok((0, 0)) => (0, 0),
        Ok((e, d)) => {
            tracing::info!(events = e, deliveries = d, "purged events past retention");
            (e, d)
        }
        Err(e) => {
            tracing::warn!(error = %e, "purging old events failed");
            (0, 0)
        }
    };
    (tokens, events, deliveries)
}

/// Scheduled backups (`backup.interval_minutes`).
async fn backups(ctx: Ctx, every: Duration, stop: Shutdown) {
    let mut ticks = interval(every);
    // The first tick fires at once; the first backup is one period in.
    ticks.tick().await;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticks.tick() => {
                backup_and_prune(&ctx).await;
            }
        }
    }
}

/// Takes a backup, then deletes the oldest beyond `backup.keep`; false
/// (logged) when the backup failed.
pub async fn backup_and_prune(ctx: &Ctx) -> bool {
    match admin::service::run_backup(ctx).await {
        Ok(_) => {
            let keep = ctx.config.backup.keep.max(1);
            let removed = crate::db::backup::prune(&ctx.config.data_dir, keep);
            if removed > 0 {
                tracing::info!(removed, "deleted old backups");
            }
            true
        }
        Err(e) => {
            tracing::error!(error = %e, "scheduled backup failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::db::{Db, DbOptions};

    fn ctx(dir: &tempfile::TempDir, keep: usize) -> Ctx {
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        config.backup.keep = keep;
        let opts = DbOptions::from_config(&config, super::super::STORAGE_HOOKS);
        let db = Db::open(&config.database_path(), opts).unwrap();
        Ctx::new(config, db).unwrap()
    }

    #[tokio::test]
    async fn a_write_by_another_process_flushes_the_caches() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(&dir, 1);
        let mut seen = ctx.db.data_version().await.unwrap();
        assert!(
            !notice_foreign_writes(&ctx, &mut seen).await,
            "nothing happened yet"
        );
        let ticket = ctx.caches.slugs.ticket();
        ctx.caches
            .slugs
            .insert(ticket, "s".into(), crate::ids::PostId::new());
        // Folio's own writes are not another process's.
        ctx.db.write(|_| Ok::<_, ApiError>(())).await.unwrap();
        assert!(!notice_foreign_writes(&ctx, &mut seen).await);
        assert!(ctx.caches.slugs.get(&"s".to_string()).is_ok());
        let opts = DbOptions::from_config(&ctx.config, crate::db::Hooks::NONE);
        let other = crate::db::open_connection(ctx.db.path(), &opts).unwrap();
        other
            .execute_batch("CREATE TABLE elsewhere (x INTEGER)")
            .unwrap();
        assert!(notice_foreign_writes(&ctx, &mut seen).await);
        assert!(ctx.caches.slugs.get(&"s".to_string()).is_err(), "flushed");
        assert!(
            !notice_foreign_writes(&ctx, &mut seen).await,
            "noticed once"
        );
        ctx.db.close();
    }

    #[tokio::test]
    async fn backups_keep_only_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(&dir, 2);
        for _ in 0..3 {
            assert!(backup_and_prune(&ctx).await);
            // Backup names carry the second they were taken.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        assert_eq!(crate::db::backup::list(&ctx.config.data_dir).len(), 2);
        ctx.db.close();
    }

    #[tokio::test]
    async fn checkpoints_truncate_the_wal_and_purges_report_nothing_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(&dir, 1);
        ctx.db
            .write(|tx| -> crate::db::StoreResult<()> {
                tx.sqlite_conn()
                    .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")?;
                Ok(())
            })
            .await
            .unwrap();
        assert!(ctx.db.wal_size().await > 0);
        assert!(checkpoint(&ctx).await);
        assert_eq!(ctx.db.wal_size().await, 0);
        assert_eq!(purge(&ctx).await, (0, 0, 0));
        ctx.db.close();
    }
}
