//! Webhook management (admins and `admin` keys): validation, secrets shown
//! once, deliveries, ping and redeliver.

use rand::RngCore;
use serde_json::{json, Value};

use super::webhook_repo::{Delivery, Webhook};
use super::EVENT_TYPES;
use crate::auth::Principal;
use crate::ctx::Ctx;
use crate::db::{StoreResult, Tx};
use crate::error::{ApiError, ApiResult, FieldError, Problems};

use crate::values::page::Page;

pub fn webhook_json(w: &Webhook) -> Value {
    json!({
        "id": w.id,
        "url": w.url,
        "events": w.events,
        "enabled": w.enabled,
        "consecutive_failures": w.consecutive_failures,
        "created_at": w.created_at,
        "updated_at": w.updated_at,
    })
}

pub fn delivery_json(d: &Delivery) -> Value {
    json!({
        "id": d.id,
        "webhook_id": d.webhook_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "last_response_code": d.last_response_code,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
    })
}

fn check_url(ctx: &Ctx, raw: &str) -> Result<String, FieldError> {
    let bad = |m: &str| FieldError::new("url", m);
    let url =
        reqwest::Url::parse(raw.trim()).map_err(|_| bad("must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if url.host_str().is_none() {
        return Err(bad("must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain credentials"));
    }
    if ctx.config.webhooks.block_private_networks && super::egress::refuse_url(&url).is_some() {
        return Err(bad("points to a private network address"));
    }
    if raw.len() > 2048 {
        return Err(bad("must be at most 2048 characters"));
    }
    Ok(url.to_string())
}

fn check_events(list: &[String]) -> Result<Vec<String>, FieldError> {
    if list.is_empty() {
        return Err(FieldError::new(
            "events",
            "must name at least one event type",
        ));
    }
    let mut out = Vec::new();
    for e in list {
        let e = e.trim();
        if e != "*" && !EVENT_TYPES.contains(&e) {
            return Err(FieldError::new(
                "events",
                format!(
                    "unknown event type \"{e}\" (known: *, {})",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !out.iter().any(|x: &String| x == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

fn admin(who: &Principal) -> ApiResult<()> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

fn generate_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("whsec_{}", hex::encode(b))
}

/// Before a webhook is created or enabled: when none is enabled, the events
/// so far are nobody's, so the dispatcher starts from the newest one. (With
/// no enabled webhook the dispatcher does not advance its position: that
/// would be a write transaction after every change, for nobody.)
fn skip_to_head_if_idle(tx: &mut Tx<'_>) -> StoreResult<()> {
    if !tx.webhooks().any_enabled()? {
        let head = tx.events().max_seq()?;
        tx.webhooks().set_dispatcher_seq(head)?;
    }
    Ok(())
}

/// Creates a webhook; returns it and its secret (shown once).
pub async fn create(
    ctx: &Ctx,
    who: &Principal,
    url: &str,
    events: &[String],
    secret: Option<String>,
) -> ApiResult<(Webhook, String)> {
    admin(who)?;
    let mut problems = Problems::new();
    let url = problems.check(check_url(ctx, url));
    let events = problems.check(check_events(events));
    let secret = match secret {
        Some(s) if s.len() < 16 || s.len() > 256 => {
            problems.push(FieldError::new("secret", "must be 16 to 256 characters"));
            None
        }
        Some(s) => Some(s),
        None => Some(generate_secret()),
    };
    let ((url, events), secret) = problems.into_value(url.zip(events).zip(secret))?;
    let id = crate::ids::new_uuid();
    let key = secret.clone();
    let hook = ctx
        .db
        .write(move |c| {
            skip_to_head_if_idle(c)?;
            c.webhooks().insert(&id, &url, &events, &key)?;
            c.webhooks()
                .get(&id)?
                .ok_or_else(|| ApiError::internal("webhook vanished"))
        })
        .await?;
    tracing::info!(webhook_id = %hook.id, url = %hook.url, "webhook created");
    Ok((hook, secret))
}

pub async fn list(ctx: &Ctx, who: &Principal) -> ApiResult<Vec<Webhook>> {
    admin(who)?;
    Ok(ctx.db.read(|c| c.webhooks().list()).await?)
}

pub async fn get(ctx: &Ctx, who: &Principal, raw: &str) -> ApiResult<Webhook> {
    admin(who)?;
    let id = crate::ids::parse_uuid(raw).ok_or_else(|| ApiError::not_found("Webhook"))?;
    ctx.db
        .read(move |c| c.webhooks().get(&id))
        .await?
        .ok_or_else(|| ApiError::not_found("Webhook"))
}

pub async fn update(
    ctx: &Ctx,
    who: &Principal,
    raw: &str,
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
) -> ApiResult<Webhook> {
    let hook = get(ctx, who, raw).await?;
    let mut problems = Problems::new();
    let url = problems.check_optional(url.map(|u| check_url(ctx, &u)));
    let events = problems.check_optional(events.map(|e| check_events(&e)));
    problems.into_result()?;
    let id = hook.id.clone();
    let updated = ctx
        .db
        .write(move |c| {
            if enabled == Some(true) {
                skip_to_head_if_idle(c)?;
            }
            c.webhooks()
                .update(&id, url.as_deref(), events.as_deref(), enabled)?;
            c.webhooks()
                .get(&id)?
                .ok_or_else(|| ApiError::not_found("Webhook"))
        })
        .await?;
    ctx.webhooks.wake();
    Ok(updated)
}

pub async fn delete(ctx: &Ctx, who: &Principal, raw: &str) -> ApiResult<()> {
    let hook = get(ctx, who, raw).await?;
    ctx.db.write(move |c| c.webhooks().delete(&hook.id)).await?;
    Ok(())
}

/// A page of a webhook's deliveries, newest first, and their total.
pub async fn deliveries(
    ctx: &Ctx,
    who: &Principal,
    raw: &str,
    page: Page,
) -> ApiResult<(Vec<Delivery>, u64)> {
    let hook = get(ctx, who, raw).await?;
    Ok(ctx
        .db
        .read(move |c| {
            c.webhooks()
                .list_deliveries(&hook.id, page.limit, page.offset())
        })
        .await?)
}

/// Sends a `ping` event to this webhook only.
pub async fn ping(ctx: &Ctx, who: &Principal, raw: &str) -> ApiResult<Delivery> {
    let hook = get(ctx, who, raw).await?;
    let event_id = crate::ids::new_uuid();
    let envelope = json!({
        "id": event_id,
        "type": "ping",
        "occurred_at": crate::clock::now_string(),
        "data": {"webhook_id": hook.id},
    })
    .to_string();
    let hook_id = hook.id.clone();
    let delivery = ctx
        .db
        .write(move |c| {
            c.webhooks()
                .enqueue(&hook_id, &event_id, "ping", &envelope)?;
            let (rows, _) = c.webhooks().list_deliveries(&hook_id, 1, 0)?;
            rows.into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("ping delivery vanished"))
        })
        .await?;
    ctx.webhooks.wake();
    Ok(delivery)
}

pub async fn redeliver(
    ctx: &Ctx,
    who: &Principal,
    raw: &str,
    delivery: &str,
) -> ApiResult<Delivery> {
    let hook = get(ctx, who, raw).await?;
    let delivery_id =
        crate::ids::parse_uuid(delivery).ok_or_else(|| ApiError::not_found("Delivery"))?;
    let d = ctx
        .db
        .write(move |c| {
            c.webhooks()
                .get_delivery(&hook.id, &delivery_id)?
                .ok_or_else(|| ApiError::not_found("Delivery"))?;
            c.webhooks().requeue(&delivery_id)?;
            c.webhooks()
                .get_delivery(&hook.id, &delivery_id)?
                .ok_or_else(|| ApiError::not_found("Delivery"))
        })
        .await?;
    ctx.webhooks.wake();
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked() {
        assert!(check_events(&[]).is_err());
        assert!(check_events(&["post.exploded".into()]).is_err());
        assert_eq!(check_events(&["*".into(), "*".into()]).unwrap(), vec!["*"]);
    }
}
