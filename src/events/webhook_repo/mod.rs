//! The webhooks repo: every SQL statement about webhooks, their deliveries
//! and attempts, and the dispatcher's position in the outbox, behind one
//! trait that each storage backend implements (`sqlite.rs`).

mod sqlite;

use crate::db::{Backend, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub enabled: bool,
    pub consecutive_failures: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub last_response_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// One delivery attempt, as the dispatcher made it.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub delivery_id: &'a str,
    pub webhook_id: &'a str,
    /// The endpoint's status code, when it answered.
    pub code: Option<u16>,
    /// Why the attempt failed, when it did.
    pub error: Option<&'a str>,
    pub duration_ms: u64,
    /// When to try again; `None` when delivered or out of attempts.
    pub next_attempt_at: Option<&'a str>,
    /// The attempt failed and was the last one allowed.
    pub final_failure: bool,
    /// Consecutive failures after which the webhook is disabled.
    pub disable_after: u32,
}

impl Attempt<'_> {
    /// The endpoint took the delivery: no error and a 2xx answer.
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.code.is_some_and(|c| (200..300).contains(&c))
    }

    /// The delivery's status after this attempt.
    pub fn status(&self) -> &'static str {
        if self.delivered() {
            "delivered"
        } else if self.final_failure {
            "failed"
        } else {
            "pending"
        }
    }
}

/// What webhooks and their dispatcher ask of storage.
pub trait WebhooksRepo {
    fn insert(&mut self, id: &str, url: &str, events: &[String], secret: &str) -> StoreResult<()>;
    fn get(&mut self, id: &str) -> StoreResult<Option<Webhook>>;
    /// Every webhook, newest first.
    fn list(&mut self) -> StoreResult<Vec<Webhook>>;
    /// Sets the fields given, keeps the others; enabling clears the
    /// consecutive failures.
    fn update(
        &mut self,
        id: &str,
        url: Option<&str>,
        events: Option<&[String]>,
        enabled: Option<bool>,
    ) -> StoreResult<()>;
    /// True when the webhook existed.
    fn delete(&mut self, id: &str) -> StoreResult<bool>;
    /// Queues a delivery, due now, unless one exists for (webhook, event).
    fn enqueue(
        &mut self,
        webhook_id: &str,
        event_id: &str,
        event_type: &str,
        payload: &str,
    ) -> StoreResult<()>;
    /// Deliveries due now, oldest first, of enabled webhooks only: a
    /// disabled webhook's stay `pending` until it is enabled again, and
    /// never take the slots of the webhooks that are enabled.
    fn due(&mut self, limit: u32) -> StoreResult<Vec<Delivery>>;
    /// A page of a webhook's deliveries, newest first, and their total.
    fn list_deliveries(
        &mut self,
        webhook_id: &str,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<Delivery>, u64)>;
    fn get_delivery(&mut self, webhook_id: &str, id: &str) -> StoreResult<Option<Delivery>>;
    /// Records one attempt, the delivery's new state and the webhook's
    /// failure count; true when this attempt disabled the webhook.
    fn record_attempt(&mut self, attempt: &Attempt<'_>) -> StoreResult<bool>;
    /// Queues a delivery again from now.
    fn requeue(&mut self, id: &str) -> StoreResult<()>;
    /// The last outbox sequence number fanned out; `None` before the first.
    fn dispatcher_seq(&mut self) -> StoreResult<Option<i64>>;
    fn set_dispatcher_seq(&mut self, seq: i64) -> StoreResult<()>;
    /// Is any webhook enabled?
    fn any_enabled(&mut self) -> StoreResult<bool>;
    /// Deliveries by status, for metrics.
    fn outcome_counts(&mut self) -> StoreResult<Vec<(String, i64)>>;
}

impl Tx<'_> {
    /// The webhooks repo of this transaction's backend.
    pub fn webhooks(&mut self) -> &mut dyn WebhooksRepo {
        match self.backend() {
            Backend::Sqlite(s) => s,
        }
    }
}
