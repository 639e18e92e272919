//! The live side of the outbox: one pump task reads newly committed events
//! (woken by the writer's commit signal, not by polling) and broadcasts them
//! to stream subscribers through a bounded channel. A subscriber that falls
//! more than `events.subscriber_buffer` events behind is disconnected.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use super::repo::EventRow;
use crate::db::Db;

pub struct Hub {
    tx: broadcast::Sender<Arc<EventRow>>,
    subscribers: AtomicUsize,
    max_subscribers: usize,
    /// The highest sequence number broadcast so far.
    head: watch::Sender<i64>,
}

/// Holds one subscriber slot until dropped.
pub struct Slot(Arc<Hub>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.subscribers.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Hub {
    pub fn new(buffer: usize, max_subscribers: usize) -> Arc<Hub> {
        let (tx, _) = broadcast::channel(buffer.max(16));
        let (head, _) = watch::channel(0);
        Arc::new(Hub {
            tx,
            subscribers: AtomicUsize::new(0),
            max_subscribers,
            head,
        })
    }

    /// A subscriber slot, or `None` at the cap.
    pub fn join(self: &Arc<Hub>) -> Option<(Slot, broadcast::Receiver<Arc<EventRow>>)> {
        let n = self.subscribers.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(self.clone());
        if n >= self.max_subscribers {
            return None;
        }
        Some((slot, self.tx.subscribe()))
    }

    pub fn subscribers(&self) -> usize {
        self.subscribers.load(Ordering::Acquire)
    }

    /// Wakes when new events were broadcast (for the webhook dispatcher).
    pub fn head(&self) -> watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Moves the head to `seq`, waking its watchers only when it changed.
    fn advance_head(&self, seq: i64) {
        self.head.send_if_modified(|h| {
            let moved = *h != seq;
            *h = seq;
            moved
        });
    }

    /// Reads committed events after each commit and broadcasts them, until
    /// `stop` resolves.
    pub async fn pump(self: Arc<Hub>, db: Db, stop: impl std::future::Future<Output = ()>) {
        let mut commits = db.commits();
        let mut last = db.read(|c| c.events().max_seq()).await.unwrap_or(0);
        self.head.send_replace(last);
        tokio::pin!(stop);
        loop {
            if self.tx.receiver_count() == 0 {
                // Nobody is listening: only the head moves (the webhook
                // dispatcher watches it), without reading the events. The
                // head is read before the second look at the listeners, so a
                // stream that joins in between finds these events in the
                // outbox when it catches up from the head it saw.
                match db.read(|c| c.events().max_seq()).await {
                    Ok(head) if self.tx.receiver_count() == 0 => {
                        last = last.max(head);
                        self.advance_head(last);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reading the event log head failed"),
                }
            }
            while self.tx.receiver_count() > 0 {
                let batch = match db.read(move |c| c.events().after(last, 500)).await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading new events failed");
                        break;
                    }
                };
                let full = batch.len() == 500;
                for event in batch {
                    last = event.seq;
                    // No subscribers is fine: the outbox keeps the event.
                    let _ = self.tx.send(Arc::new(event));
                }
                self.advance_head(last);
                if !full {
                    break;
                }
            }
            tokio::select! {
                _ = &mut stop => break,
                changed = commits.changed() => if changed.is_err() { break },
                // A safety net for commits made by other processes.
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
        }
    }
}
