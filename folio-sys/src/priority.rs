//! Thread priority: the calling thread's nice value.
//!
//! Folio's password-hashing threads run at a higher nice value than request
//! handling. Linux applies `setpriority(PRIO_PROCESS, tid)` to one thread
//! (each thread is a task with its own nice value); std has no such call,
//! and libc's is `unsafe` as every foreign function is.

use std::io;

/// Sets the calling thread's nice value to `niceness` (higher runs less).
/// Other threads keep theirs. Lowering a nice value needs privileges, so
/// the thread normally only ever moves down in priority. Elsewhere than on
/// Linux nothing changes.
#[cfg(target_os = "linux")]
pub fn set_current_thread_niceness(niceness: i32) -> io::Result<()> {
    // SAFETY: gettid takes no arguments, touches no memory and cannot fail.
    let tid = unsafe { libc::gettid() };
    let tid = libc::id_t::try_from(tid).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
    // SAFETY: setpriority takes three integers and touches no memory of
    // this process; the id is the calling thread's own.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, niceness) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets the calling thread's nice value (Linux only): here, nothing changes.
#[cfg(not(target_os = "linux"))]
pub fn set_current_thread_niceness(_niceness: i32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    /// The calling thread's nice value, from procfs (field 19 of `stat`).
    fn niceness(stat: &str) -> i32 {
        let text = std::fs::read_to_string(stat).unwrap();
        let after_name = &text[text.rfind(')').unwrap() + 1..];
        after_name
            .split_whitespace()
            .nth(16)
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn only_the_calling_thread_changes() {
        let before = niceness("/proc/thread-self/stat");
        let wanted = (before + 3).min(19);
        let after = std::thread::spawn(move || {
            set_current_thread_niceness(wanted).unwrap();
            niceness("/proc/thread-self/stat")
        })
        .join()
        .unwrap();
        assert_eq!(after, wanted);
        assert_eq!(
            niceness("/proc/thread-self/stat"),
            before,
            "this thread kept its own"
        );
    }
}
