//! The `folio` binary: allocator settings, then the command line, whose
//! types and commands are in `folio::cli`.

use std::process::ExitCode;

use clap::Parser;
use folio::cli::{self, Cli};

/// Rust's allocations go to mimalloc, whose per-thread heaps take no lock:
/// glibc's arenas are shared (see `tune_malloc`), so the async workers and
/// reader threads waited on each other. SQLite still allocates through glibc.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    #[cfg(feature = "mimalloc")]
    tune_mimalloc();
    tune_malloc();
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("folio: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Tunes glibc's allocator, which SQLite uses (see `ALLOC`): large blocks
/// are mapped directly, so freeing one returns it to the OS, and few arenas
/// mean few per-thread heaps holding on to freed fragments. glibc's own
/// malloc tunables in `GLIBC_TUNABLES` win.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_malloc() {
    if std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc.")) {
        return;
    }
    // SAFETY: mallopt only changes allocator settings; it runs first thing
    // in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 4);
        // Keep up to 2 MiB free at the top of a heap, so the statement
        // journal's 128 KiB block per write job (`db::STATEMENT_JOURNAL_SPILL`)
        // does not shrink and regrow the heap, with page faults, every time.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// names only some of the options); a test checks it by its default.
#[cfg(feature = "mimalloc")]
const MI_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// `mi_option_arena_eager_commit`, likewise.
#[cfg(all(test, feature = "mimalloc"))]
const MI_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// How long mimalloc keeps a freed page before returning it to the OS (ms).
#[cfg(feature = "mimalloc")]
const PURGE_DELAY_MS: std::os::raw::c_long = 20;

/// Freed pages go back to the OS after [`PURGE_DELAY_MS`], not mimalloc's
/// default second, so RSS follows the live heap; not at once, so the pages of
/// the requests in flight (allocated on a reader thread, freed on an async
/// worker) are reused rather than returned and faulted in again, each return
/// an `madvise` and a TLB shootdown. `MIMALLOC_PURGE_DELAY` in the
/// environment wins.
#[cfg(feature = "mimalloc")]
#[allow(unsafe_code)]
fn tune_mimalloc() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: sets a process-wide option; mimalloc reads it on every purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    use super::*;

    /// The option numbers are mimalloc's enum positions: if an update moved
    /// them, these defaults would no longer read back.
    #[test]
    #[allow(unsafe_code)]
    fn mimalloc_options_are_the_ones_meant() {
        // SAFETY: reads process-wide options.
        let (delay, eager) = unsafe {
            (
                libmimalloc_sys::mi_option_get(MI_PURGE_DELAY),
                libmimalloc_sys::mi_option_get(MI_ARENA_EAGER_COMMIT),
            )
        };
        assert_eq!(delay, 1000, "mimalloc's default purge delay (ms)");
        // 2 (commit arenas up front on Linux) unless `.cargo/config.toml`'s
        // CFLAGS reached mimalloc's build.
        assert_eq!(eager, 0, "arenas are committed on demand");
        // Here, not in a test of its own: tests run in parallel, and the
        // default above must be read before this changes it.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            tune_mimalloc();
            // SAFETY: reads a process-wide option.
            let tuned = unsafe { libmimalloc_sys::mi_option_get(MI_PURGE_DELAY) };
            assert_eq!(tuned, PURGE_DELAY_MS, "Folio's purge delay took effect");
        }
    }
}
