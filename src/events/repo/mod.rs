//! The events repo: every SQL statement about the outbox, behind one trait
//! that each storage backend implements (`sqlite.rs`). Events are recorded
//! through `outbox::record`, in the transaction of the change they record.

mod sqlite;

use crate::db::{Backend, StoreResult, Tx};
use crate::ids::EventId;

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub seq: i64,
    pub id: EventId,
    pub kind: String,
    pub occurred_at: String,
    pub data: String,
}

impl EventRow {
    /// The envelope `{id, type, occurred_at, data}` as JSON text.
    pub fn envelope(&self) -> String {
        let data: serde_json::Value =
            serde_json::from_str(&self.data).unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "id": self.id,
            "type": self.kind,
            "occurred_at": self.occurred_at,
            "data": data,
        })
        .to_string()
    }
}

/// What the outbox asks of storage.
pub trait EventsRepo {
    /// Stores one event; `outbox::record` picks its id and time.
    fn insert(
        &mut self,
        id: &EventId,
        kind: &str,
        occurred_at: &str,
        data: &str,
    ) -> StoreResult<()>;
    /// Up to `limit` events after `seq`, in sequence order.
    fn after(&mut self, seq: i64, limit: u32) -> StoreResult<Vec<EventRow>>;
    /// The sequence number of an event still retained.
    fn seq_of(&mut self, id: &EventId) -> StoreResult<Option<i64>>;
    /// The newest sequence number (0 for an empty outbox).
    fn max_seq(&mut self) -> StoreResult<i64>;
    fn by_id(&mut self, id: &EventId) -> StoreResult<Option<EventRow>>;
    /// Is any event, or finished delivery, older than `cutoff` left for
    /// [`EventsRepo::delete_before`]?
    fn any_before(&mut self, cutoff: &str) -> StoreResult<bool>;
    /// Deletes events and finished deliveries older than `cutoff`; returns
    /// how many of each.
    fn delete_before(&mut self, cutoff: &str) -> StoreResult<(usize, usize)>;
    /// Deliveries still to be made, for metrics.
    fn pending_count(&mut self) -> StoreResult<i64>;
}

impl Tx<'_> {
    /// The events repo of this transaction's backend.
    pub fn events(&mut self) -> &mut dyn EventsRepo {
        match self.backend() {
            Backend::Sqlite(s) => s,
        }
    }
}
