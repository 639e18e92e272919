//! Change events: the transactional outbox every write records into, the
//! live stream, and webhooks.

pub mod dispatcher;
pub mod egress;
pub mod hub;
pub mod outbox;
pub mod repo;
pub mod rest;
pub mod sse;
pub mod webhook_repo;
pub mod webhooks;

use crate::ctx::Ctx;
use crate::error::ApiResult;

/// Every event type an event can have, for filters and subscriptions.
pub const EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "post.created",
    "post.updated",
    "post.published",
    "post.unpublished",
    "post.deleted",
];

/// Deletes events and finished deliveries past `events.retention_days`.
pub async fn purge_old(ctx: &Ctx) -> ApiResult<(usize, usize)> {
    let days = i64::from(ctx.config.events.retention_days.max(1));
    let cutoff = crate::clock::format(crate::clock::now() - time::Duration::days(days));
    // A read first, so an idle server opens no write transaction.
    let at = cutoff.clone();
    if !ctx.db.read(move |c| c.events().any_before(&at)).await? {
        return Ok((0, 0));
    }
    Ok(ctx
        .db
        .write(move |c| c.events().delete_before(&cutoff))
        .await?)
}
