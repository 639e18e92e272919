//! Recording events inside the writer's transaction: if the change commits,
//! its event exists; if it rolls back, so does the event.

use serde::Serialize;

use crate::db::Tx;
use crate::error::{ApiError, ApiResult};
use crate::ids::EventId;

/// Records one event with `data` as its JSON; call it inside the same
/// `Db::write` job as the change.
pub fn record<T: Serialize + ?Sized>(tx: &mut Tx<'_>, kind: &str, data: &T) -> ApiResult<EventId> {
    let id = EventId::new();
    let data = serde_json::to_string(data).map_err(ApiError::internal)?;
    tx.events()
        .insert(&id, kind, &crate::clock::now_string(), &data)?;
    Ok(id)
}
