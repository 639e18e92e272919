//! The webhook dispatcher: fans committed events out to matching webhooks
//! (one delivery row per webhook and event, persisted, so nothing is lost on
//! a restart), then delivers due deliveries with signed POSTs, retrying with
//! exponential backoff and jitter. Each webhook has at most 4 deliveries in
//! flight, so one slow or dead endpoint never delays the others.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use tokio::sync::Notify;

use super::egress;
use super::webhook_repo::{Attempt, Delivery, Webhook};
use crate::config::WebhooksConfig;
use crate::ctx::Ctx;
use crate::error::ApiResult;

const PER_WEBHOOK: usize = 4;

/// Rounds woken by new events begin at most this often, so under a stream
/// of commits one round takes up many commits' events rather than reading
/// the database after each; a webhook's delivery waits at most this longer.
const MIN_ROUND_GAP: Duration = Duration::from_millis(50);

/// Shared handle: wake the dispatcher, see what is in flight.
#[derive(Default)]
pub struct Dispatch {
    wake: Notify,
    inflight: Mutex<Inflight>,
    /// Rounds finished, so tests can wait for one to have looked at a commit.
    rounds: AtomicU64,
}

#[derive(Default)]
struct Inflight {
    deliveries: HashSet<String>,
    per_webhook: HashMap<String, usize>,
    /// Deliveries finished since the scheduler last read the due list: that
    /// read may predate their committed outcome, so they are not claimed
    /// again from it (an endpoint would get the same event twice).
    finished: HashSet<String>,
}

impl Dispatch {
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Rounds (fan-out, then scheduling) finished so far.
    pub fn rounds(&self) -> u64 {
        self.rounds.load(Ordering::Acquire)
    }

    fn try_claim(&self, d: &Delivery, max: usize) -> bool {
        let Ok(mut f) = self.inflight.lock() else {
            return false;
        };
        let per = f.per_webhook.get(&d.webhook_id).copied().unwrap_or(0);
        if f.deliveries.contains(&d.id)
            || f.finished.contains(&d.id)
            || per >= PER_WEBHOOK
            || f.deliveries.len() >= max
        {
            return false;
        }
        f.deliveries.insert(d.id.clone());
        *f.per_webhook.entry(d.webhook_id.clone()).or_default() += 1;
        true
    }

    /// Called just before the due list is read: everything finished so far
    /// has its outcome committed (attempts release after their write), so
    /// the read will reflect it.
    fn begin_round(&self) {
        if let Ok(mut f) = self.inflight.lock() {
            f.finished.clear();
        }
    }

    fn release(&self, d: &Delivery) {
        if let Ok(mut f) = self.inflight.lock() {
            f.deliveries.remove(&d.id);
            f.finished.insert(d.id.clone());
            if let Some(n) = f.per_webhook.get_mut(&d.webhook_id) {
                *n = n.saturating_sub(1);
            }
        }
    }
}

pub fn client(cfg: &WebhooksConfig) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(cfg.connect_timeout_seconds.max(1)))
        .timeout(Duration::from_secs(cfg.timeout_seconds.max(1)))
        .user_agent(concat!("folio-webhooks/", env!("CARGO_PKG_VERSION")));
    if cfg.block_private_networks {
        // A proxy would resolve and connect in our stead, unchecked.
        b = b.dns_resolver(Arc::new(egress::PublicOnly)).no_proxy();
    }
    b.build()
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn matches(hook: &Webhook, kind: &str) -> bool {
    hook.events.iter().any(|e| e == "*" || e == kind)
}

/// Turns new events into delivery rows; returns how many events it read.
async fn fan_out(ctx: &Ctx) -> usize {
    // A cheap look first, so an idle server never opens write transactions,
    // and neither does a busy one with no webhook enabled (see
    // `webhooks::skip_to_head_if_idle`).
    let pending = ctx
        .db
        .read(|c| -> ApiResult<_> {
            Ok(match c.webhooks().dispatcher_seq()? {
                Some(seq) => seq < c.events().max_seq()? && c.webhooks().any_enabled()?,
                // Never started: nothing to do until a webhook is enabled
                // (which sets the position to the head of the log).
                None => c.webhooks().any_enabled()?,
            })
        })
        .await
        .unwrap_or(true);
    if !pending {
        return 0;
    }
    let result = ctx
        .db
        .write(|c| -> ApiResult<_> {
            let seq = match c.webhooks().dispatcher_seq()? {
                Some(s) => s,
                None => {
                    // First start: webhooks get events from now on.
                    let head = c.events().max_seq()?;
                    c.webhooks().set_dispatcher_seq(head)?;
                    head
                }
            };
            let hooks: Vec<Webhook> = c
                .webhooks()
                .list()?
                .into_iter()
                .filter(|h| h.enabled)
                .collect();
            if hooks.is_empty() {
                // Nobody to deliver to: skip reading the events (a webhook
                // created later only gets events from its creation on).
                let head = c.events().max_seq()?;
                c.webhooks().set_dispatcher_seq(head)?;
                return Ok(0);
            }
            let events = c.events().after(seq, 500)?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(0);
            };
            for e in &events {
                for h in hooks
                    .iter()
                    .filter(|h| matches(h, &e.kind) && e.occurred_at >= h.created_at)
                {
                    c.webhooks().enqueue(&h.id, &e.id, &e.kind, &e.envelope())?;
                }
            }
            c.webhooks().set_dispatcher_seq(last)?;
            Ok(events.len())
        })
        .await;
    match result {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "fanning events out to webhooks failed");
            0
        }
    }
}

fn backoff(cfg: &WebhooksConfig, attempts_done: i64) -> Duration {
    let base = cfg.retry_base_seconds.max(1) as f64;
    let exp = base * 2f64.powi((attempts_done.clamp(1, 20) - 1) as i32);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    Duration::from_secs_f64((exp * jitter).min(86_400.0))
}

async fn attempt(ctx: Ctx, client: reqwest::Client, d: Delivery) {
    let hook = match ctx
        .db
        .read({
            let id = d.webhook_id.clone();
            move |c| c.webhooks().get(&id)
        })
        .await
    {
        Ok(Some(h)) if h.enabled => h,
        _ => return,
    };
    let started = Instant::now();
    let (code, error) = match refused(&ctx.config.webhooks, &hook.url) {
        Some(why) => (None, Some(why)),
        None => send(&client, &hook, &d).await,
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    let cfg = &ctx.config.webhooks;
    let done = d.attempts + 1;
    let final_failure = error.is_some() && done >= i64::from(cfg.max_attempts);
    let next = (error.is_some() && !final_failure)
        .then(|| crate::clock::format(crate::clock::now() + backoff(cfg, done)));
    let disable_after = cfg.disable_after_failures;
    let (id, hook_id) = (d.id.clone(), hook.id.clone());
    let err_text = error.clone();
    let recorded = ctx
        .db
        .write(move |c| {
            c.webhooks().record_attempt(&Attempt {
                delivery_id: &id,
                webhook_id: &hook_id,
                code,
                error: err_text.as_deref(),
                duration_ms,
                next_attempt_at: next.as_deref(),
                final_failure,
                disable_after,
            })
        })
        .await;
    match (recorded, error) {
        (Ok(disabled), Some(e)) => {
            tracing::warn!(webhook_id = %hook.id, delivery_id = %d.id, attempt = done, error = %e, final_failure, "webhook delivery failed");
            if disabled {
                tracing::warn!(webhook_id = %hook.id, "webhook disabled after too many consecutive failures");
            }
        }
        (Ok(_), None) => {
            tracing::debug!(webhook_id = %hook.id, delivery_id = %d.id, "webhook delivered");
        }
        (Err(e), _) => tracing::error!(error = %e, "recording a webhook attempt failed"),
    }
}

/// Why a delivery to `url` may not be attempted: the URL names a blocked
/// address, which the resolver never sees (checked on every delivery, so a
/// webhook made before blocking was turned on is covered too).
fn refused(cfg: &WebhooksConfig, url: &str) -> Option<String> {
    if !cfg.block_private_networks {
        return None;
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) => egress::refuse_url(&parsed).map(|why| format!("refused: {why}")),
        Err(e) => Some(format!("refused: invalid URL: {e}")),
    }
}

/// One signed POST: the answer's status, and the error when it failed.
async fn send(
    client: &reqwest::Client,
    hook: &Webhook,
    d: &Delivery,
) -> (Option<u16>, Option<String>) {
    let t = crate::clock::unix_seconds();
    let res = client
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-folio-event", &d.event_type)
        .header("x-folio-delivery", &d.event_id)
        .header("x-folio-signature", signature(&hook.secret, t, &d.payload))
        .body(d.payload.clone())
        .send()
        .await;
    match res {
        Ok(r) => {
            let status = r.status().as_u16();
            let err = (!r.status().is_success()).then(|| format!("answered {status}"));
            (Some(status), err)
        }
        Err(e) => (None, Some(describe(&e))),
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "redirect refused"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text.chars().take(500).collect()
}

/// Starts due deliveries that are not yet in flight.
async fn schedule(ctx: &Ctx, client: &reqwest::Client) {
    ctx.webhooks.begin_round();
    let due = match ctx.db.read(|c| c.webhooks().due(200)).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "reading due deliveries failed");
            return;
        }
    };
    let max = ctx.config.webhooks.max_concurrency.max(1);
    for d in due {
        if !ctx.webhooks.try_claim(&d, max) {
            continue;
        }
        let (ctx2, client2) = (ctx.clone(), client.clone());
        tokio::spawn(async move {
            let handle = ctx2.clone();
            let claimed = d.clone();
            attempt(ctx2, client2, d).await;
            handle.webhooks.release(&claimed);
            handle.webhooks.wake();
        });
    }
}

/// Runs until `stop` resolves.
pub async fn run(ctx: Ctx, stop: impl std::future::Future<Output = ()>) {
    let client = match client(&ctx.config.webhooks) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; webhooks are not delivered");
            return;
        }
    };
    let mut head = ctx.hub.head();
    tokio::pin!(stop);
    loop {
        let began = Instant::now();
        while fan_out(&ctx).await == 500 {}
        schedule(&ctx, &client).await;
        ctx.webhooks.rounds.fetch_add(1, Ordering::Release);
        let new_events = tokio::select! {
            _ = &mut stop => break,
            _ = head.changed() => true,
            _ = ctx.webhooks.wake.notified() => false,
            _ = tokio::time::sleep(Duration::from_secs(1)) => false,
        };
        if new_events {
            let wait = MIN_ROUND_GAP.saturating_sub(began.elapsed());
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_format() {
        let s = signature("secret", 1700000000, "{}");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
    }

    #[test]
    fn backoff_grows() {
        let cfg = WebhooksConfig::default();
        let a = backoff(&cfg, 1).as_secs_f64();
        let c = backoff(&cfg, 3).as_secs_f64();
        assert!((8.0..=12.0).contains(&a), "{a}");
        assert!((32.0..=48.0).contains(&c), "{c}");
    }
}
