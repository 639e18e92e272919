//! The read side: reader threads, each running one queued read at a time on
//! a pooled read-only connection.

use r2d2_sqlite::SqliteConnectionManager;

use super::store::{StoreError, Tx};
use super::Db;

/// A read queued to the reader threads ([`Db::read`]).
pub(super) type ReadJob = Box<dyn FnOnce(&r2d2::Pool<SqliteConnectionManager>) + Send>;

/// Starts `count` threads that run queued reads, each on a pooled connection.
///
/// One thread per connection: no read waits for a connection, a busy thread
/// takes the next queued read without sleeping, and the thread count stays
/// fixed. Reads beyond the threads wait in the queue.
pub(super) fn start_readers(
    pool: &r2d2::Pool<SqliteConnectionManager>,
    count: u32,
) -> std::io::Result<crossbeam_channel::Sender<ReadJob>> {
    let (tx, rx) = crossbeam_channel::unbounded::<ReadJob>();
    for n in 0..count.max(1) {
        let (rx, pool) = (rx.clone(), pool.clone());
        std::thread::Builder::new()
            .name(format!("folio-read-{n}"))
            .spawn(move || {
                // Ends when the last `Db` handle (the sender) is gone.
                while let Ok(job) = rx.recv() {
                    let run = std::panic::AssertUnwindSafe(|| job(&pool));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("a database read panicked");
                    }
                }
            })?;
    }
    Ok(tx)
}

impl Db {
    /// Runs `f` with a read-only pooled connection on a reader thread.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.inner
            .reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: ReadJob = Box::new(move |pool| {
            // Its request is gone (the client hung up while the read was
            // queued): nobody to answer, so no work to do.
            if reply.is_closed() {
                return;
            }
            let result = match pool.get() {
                Ok(conn) => f(&mut Tx::sqlite(&conn)),
                Err(e) => Err(E::from(StoreError::other(e))),
            };
            // The caller may have gone meanwhile: nobody to answer.
            let _ = reply.send(result);
        });
        self.inner
            .readers
            .send(job)
            .map_err(|_| StoreError::other("the database read threads have stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::other("a database read failed without an answer"))?
    }

    /// How many read jobs ran so far (tests count round trips with it).
    pub fn reads(&self) -> u64 {
        self.inner.reads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Like [`Db::read`] but blocking, for CLI commands and startup work.
    pub fn read_blocking<T, E>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let conn = self.inner.pool.get().map_err(StoreError::other)?;
        f(&mut Tx::sqlite(&conn))
    }
}
