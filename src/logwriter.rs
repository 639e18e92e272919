//! The log sink: threads that log append their formatted lines to one
//! buffer, and one `folio-log` thread writes it out in one `write` every
//! [`INTERVAL`], or as soon as it holds [`FLUSH_BYTES`].
//!
//! Not `tracing-appender`'s non-blocking writer, whose thread wakes (and
//! writes) for nearly every line: here a line costs a lock and a copy, and
//! the thread is signalled at most twice per batch it writes.
//!
//! Nothing is dropped. Past [`MAX_BYTES`] queued, loggers wait for the
//! thread to catch up; once the guard is dropped and the thread has written
//! what was queued, later lines are written directly, after it. A line
//! reaches the sink within [`INTERVAL`] of being logged, unless the sink is
//! slow to take the batch before it (and is lost only if the process is
//! killed before then).

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Longest a line waits in the buffer.
pub const INTERVAL: Duration = Duration::from_millis(50);
/// Queued bytes that make the thread write at once.
pub const FLUSH_BYTES: usize = 256 * 1024;
/// Queued bytes past which loggers wait.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

#[derive(Default)]
struct State {
    buf: Vec<u8>,
    /// The guard was dropped: the thread writes what is queued and leaves.
    closed: bool,
    /// The thread has written its last batch (or never started): lines
    /// now go straight to the sink.
    done: bool,
    /// The thread is waiting for a first line (and must be woken by it).
    idle: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the thread: a first line, a full buffer, or shutdown.
    work: Condvar,
    /// Wakes loggers waiting for room.
    room: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A logger that panicked mid-copy left at worst a partial line.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where the `tracing` subscriber writes: see the module docs.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
    sink: Arc<Mutex<Box<dyn Write + Send>>>,
}

/// Writes out what is queued and stops the thread when dropped: keep it
/// until the process ends.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the `folio-log` thread writing to `sink`. When the thread cannot
/// be started, the writer writes each line straight to `sink` and the error
/// is returned beside it.
pub fn start(sink: Box<dyn Write + Send>) -> (LogWriter, LogGuard, Option<io::Error>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        work: Condvar::new(),
        room: Condvar::new(),
    });
    let sink = Arc::new(Mutex::new(sink));
    let spawned = {
        let (shared, sink) = (shared.clone(), sink.clone());
        std::thread::Builder::new()
            .name("folio-log".into())
            .spawn(move || run(&shared, &sink))
    };
    let (thread, error) = match spawned {
        Ok(thread) => (Some(thread), None),
        Err(e) => {
            let mut state = shared.lock();
            state.closed = true;
            state.done = true;
            (None, Some(e))
        }
    };
    let writer = LogWriter {
        shared: shared.clone(),
        sink,
    };
    (writer, LogGuard { shared, thread }, error)
}

fn write_out(sink: &Mutex<Box<dyn Write + Send>>, bytes: &[u8]) {
    let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
    // Nowhere left to report a failing stdout; the lines are gone either way.
    let _ = sink.write_all(bytes).and_then(|()| sink.flush());
}

fn run(shared: &Shared, sink: &Mutex<Box<dyn Write + Send>>) {
    let mut spare = Vec::new();
    loop {
        let mut state = shared.lock();
        while state.buf.is_empty() && !state.closed {
            state.idle = true;
            state = shared.work.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        state.idle = false;
        // Gather lines for up to one interval, unless the buffer fills.
        state = shared
            .work
            .wait_timeout_while(state, INTERVAL, |s| s.buf.len() < FLUSH_BYTES && !s.closed)
            .map(|(s, _)| s)
            .unwrap_or_else(|p| p.into_inner().0);
        if state.closed {
            // The last batch is written under the lock, and only then are
            // loggers told to write directly, so no line gets ahead of the
            // ones still queued.
            let last = std::mem::take(&mut state.buf);
            write_out(sink, &last);
            state.done = true;
            drop(state);
            shared.room.notify_all();
            return;
        }
        std::mem::swap(&mut state.buf, &mut spare);
        drop(state);
        shared.room.notify_all();
        if !spare.is_empty() {
            write_out(sink, &spare);
        }
        spare.clear();
        if spare.capacity() > 2 * FLUSH_BYTES {
            spare = Vec::new();
        }
    }
}

impl LogWriter {
    /// Queues `bytes` (one formatted line), or writes them directly once the
    /// guard is gone.
    pub fn push(&self, bytes: &[u8]) {
        let mut state = self.shared.lock();
        while state.buf.len() >= MAX_BYTES && !state.done {
            state = self
                .shared
                .room
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
        if state.done {
            drop(state);
            write_out(&self.sink, bytes);
            return;
        }
        let before = state.buf.len();
        state.buf.extend_from_slice(bytes);
        // Only the two moments the thread waits for are signalled (a
        // notification is a system call even when nobody waits).
        let wake =
            (state.idle && before == 0) || (before < FLUSH_BYTES && state.buf.len() >= FLUSH_BYTES);
        drop(state);
        if wake {
            self.shared.work.notify_one();
        }
    }
}

/// What the subscriber writes one event through: a borrow, so an event
/// costs no reference-count traffic on the shared writer.
pub struct EventWriter<'a>(&'a LogWriter);

impl Write for EventWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.push(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogWriter {
    type Writer = EventWriter<'a>;

    fn make_writer(&'a self) -> EventWriter<'a> {
        EventWriter(self)
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
        self.shared.room.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let mut s = self.0.lock().unwrap();
            s.0.extend_from_slice(b);
            s.1 += 1;
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Sink {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().0.clone()).unwrap()
        }
        fn writes(&self) -> usize {
            self.0.lock().unwrap().1
        }
    }

    #[test]
    fn lines_arrive_in_order_within_an_interval_and_in_few_writes() {
        let sink = Sink::default();
        let (writer, guard, error) = start(Box::new(sink.clone()));
        assert!(error.is_none());
        let started = Instant::now();
        let mut w = writer.make_writer();
        for i in 0..1000 {
            writeln!(w, "line {i}").unwrap();
        }
        while sink.text().lines().count() < 1000 {
            assert!(started.elapsed() < Duration::from_secs(5), "lines lost");
            std::thread::sleep(Duration::from_millis(5));
        }
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(sink.text(), expected);
        assert!(sink.writes() <= 3, "{} writes", sink.writes());
        // A later line, after the thread went idle, still arrives.
        writeln!(w, "late").unwrap();
        while !sink.text().ends_with("late\n") {
            assert!(started.elapsed() < Duration::from_secs(5), "late line lost");
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(guard);
    }

    #[test]
    fn the_guard_writes_out_what_is_queued_and_later_lines_go_straight_out() {
        let sink = Sink::default();
        let (writer, guard, error) = start(Box::new(sink.clone()));
        assert!(error.is_none());
        let mut w = writer.make_writer();
        w.write_all(b"queued\n").unwrap();
        drop(guard);
        assert_eq!(sink.text(), "queued\n", "written before the guard returned");
        w.write_all(b"after\n").unwrap();
        assert_eq!(sink.text(), "queued\nafter\n");
    }

    #[test]
    fn lines_logged_while_the_guard_drops_stay_in_order() {
        for _ in 0..20 {
            let sink = Sink::default();
            let (writer, guard, error) = start(Box::new(sink.clone()));
            assert!(error.is_none());
            let logger = std::thread::spawn(move || {
                let mut w = writer.make_writer();
                for i in 0..20_000 {
                    // One write per line, as the subscriber does.
                    w.write_all(format!("{i}\n").as_bytes()).unwrap();
                }
            });
            std::thread::sleep(Duration::from_millis(1));
            drop(guard);
            logger.join().unwrap();
            let numbers: Vec<u32> = sink.text().lines().map(|l| l.parse().unwrap()).collect();
            assert_eq!(numbers, (0..20_000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn many_threads_lose_nothing_past_the_bound() {
        let sink = Sink::default();
        let (writer, guard, error) = start(Box::new(sink.clone()));
        assert!(error.is_none());
        let line = vec![b'x'; 1023];
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let writer = writer.clone();
                let mut line = line.clone();
                line.push(b'\n');
                std::thread::spawn(move || {
                    let mut w = writer.make_writer();
                    // 4 × 4 MiB: twice the bound, so loggers must wait.
                    for _ in 0..4096 {
                        w.write_all(&line).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        drop(guard);
        let text = sink.text();
        assert_eq!(text.len(), 4 * 4096 * 1024);
        assert!(text.lines().all(|l| l.len() == 1023));
    }
}
