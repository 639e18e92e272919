//! Admin-only reads: dashboard statistics and the effective configuration.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};

fn admin(who: &Principal) -> ApiResult<()> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// `GET /api/admin/stats`. Fields in name order, as the body has always
/// had them.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub cache: CacheFigures,
    pub db_size_bytes: u64,
    pub posts: i64,
    pub published_posts: i64,
    pub requests: RequestFigures,
    pub uptime_seconds: u64,
    pub users: i64,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CacheFigures {
    pub entries: u64,
    pub hits: u64,
    pub misses: u64,
}

#[derive(Debug, Serialize)]
pub struct RequestFigures {
    pub per_minute: Vec<u64>,
    pub total: u64,
}

pub async fn stats(ctx: &Ctx, who: &Principal) -> ApiResult<Stats> {
    admin(who)?;
    let (users, (posts, published)) = ctx
        .db
        .read(|c| -> ApiResult<_> { Ok((c.users().total()?, c.posts().counts()?)) })
        .await?;
    let db_size = ctx.db.size_bytes().await?;
    let cache = ctx.caches.totals();
    Ok(Stats {
        cache: CacheFigures {
            entries: cache.entries,
            hits: cache.hits,
            misses: cache.misses,
        },
        db_size_bytes: db_size,
        posts,
        published_posts: published,
        requests: RequestFigures {
            per_minute: ctx.requests.per_minute(),
            total: ctx.requests.total(),
        },
        uptime_seconds: ctx.started.elapsed().as_secs(),
        users,
        version: env!("CARGO_PKG_VERSION"),
    })
}

pub fn config(ctx: &Ctx, who: &Principal) -> ApiResult<Value> {
    admin(who)?;
    serde_json::to_value(ctx.config.masked()).map_err(ApiError::internal)
}

/// `POST /api/admin/backup`: a verified snapshot while the server serves.
pub async fn backup(ctx: &Ctx, who: &Principal) -> ApiResult<crate::db::backup::BackupInfo> {
    admin(who)?;
    run_backup(ctx).await
}

pub async fn run_backup(ctx: &Ctx) -> ApiResult<crate::db::backup::BackupInfo> {
    let db = ctx.db.path().to_path_buf();
    let target =
        crate::db::backup::dir(&ctx.config.data_dir).join(crate::db::backup::default_name());
    let info = tokio::task::spawn_blocking(move || crate::db::backup::snapshot(&db, &target))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    tracing::info!(name = %info.name, size_bytes = info.size_bytes, duration_ms = info.duration_ms, "backup written");
    Ok(info)
}

pub async fn backups(ctx: &Ctx, who: &Principal) -> ApiResult<Vec<crate::db::backup::BackupInfo>> {
    admin(who)?;
    let data_dir = ctx.config.data_dir.clone();
    tokio::task::spawn_blocking(move || crate::db::backup::list(&data_dir))
        .await
        .map_err(ApiError::internal)
}

/// The path of a backup to download, after checking its name.
pub async fn backup_file(ctx: &Ctx, who: &Principal, name: &str) -> ApiResult<PathBuf> {
    admin(who)?;
    if !crate::db::backup::valid_name(name) {
        return Err(ApiError::not_found("Backup"));
    }
    let path = crate::db::backup::dir(&ctx.config.data_dir).join(name);
    let is_file = rocket::tokio::fs::metadata(&path)
        .await
        .is_ok_and(|m| m.is_file());
    if is_file {
        Ok(path)
    } else {
        Err(ApiError::not_found("Backup"))
    }
}
