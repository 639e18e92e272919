//! Reaching a connection's `fts5_api`, the table of FTS5's extension
//! functions, and SQLite result codes as rusqlite errors.

use std::ffi::{c_int, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use rusqlite::{ffi, Connection};

/// `Err` with `rc` unless it is `SQLITE_OK`; `what` names the step.
pub(super) fn check(rc: c_int, what: &str) -> rusqlite::Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(failure(rc, what))
    }
}

/// An SQLite failure with result code `rc`.
pub(super) fn failure(rc: c_int, what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(format!("{what} failed")))
}

/// A function of an FTS5 table that SQLite left out (never, in the bundled
/// build): a misuse error rather than a null call.
pub(super) fn present<T>(f: Option<T>, what: &str) -> rusqlite::Result<T> {
    f.ok_or_else(|| failure(ffi::SQLITE_MISUSE, what))
}

/// A connection's `fts5_api`, valid while the connection is borrowed.
pub(super) struct Fts5Api<'conn> {
    ptr: NonNull<ffi::fts5_api>,
    _conn: PhantomData<&'conn Connection>,
}

impl<'conn> Fts5Api<'conn> {
    /// Looks it up the documented way: `SELECT fts5(?1)` with a pointer to
    /// a pointer bound as type `"fts5_api_ptr"`.
    pub(super) fn of(conn: &'conn Connection) -> rusqlite::Result<Self> {
        let mut api: *mut ffi::fts5_api = ptr::null_mut();
        // SAFETY: the handle is the live connection's, borrowed for this
        // call; the statement is prepared, stepped and finalized here and
        // never escapes; the bound pointer is to `api`, a local that
        // outlives the statement, and SQLite writes one pointer through it.
        let rc = unsafe {
            let db = conn.handle();
            let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
            let rc = ffi::sqlite3_prepare_v2(
                db,
                c"SELECT fts5(?1)".as_ptr(),
                -1,
                &mut stmt,
                ptr::null_mut(),
            );
            if rc != ffi::SQLITE_OK {
                rc
            } else {
                let mut rc = ffi::sqlite3_bind_pointer(
                    stmt,
                    1,
                    (&raw mut api).cast::<c_void>(),
                    c"fts5_api_ptr".as_ptr(),
                    None,
                );
                if rc == ffi::SQLITE_OK {
                    rc = ffi::sqlite3_step(stmt);
                    if rc == ffi::SQLITE_ROW || rc == ffi::SQLITE_DONE {
                        rc = ffi::SQLITE_OK;
                    }
                }
                let finalized = ffi::sqlite3_finalize(stmt);
                if rc == ffi::SQLITE_OK {
                    finalized
                } else {
                    rc
                }
            }
        };
        check(rc, "looking up the FTS5 API")?;
        let ptr = NonNull::new(api).ok_or_else(|| failure(ffi::SQLITE_ERROR, "finding FTS5"))?;
        Ok(Self {
            ptr,
            _conn: PhantomData,
        })
    }

    /// The raw table, for the calls the wrappers make.
    pub(super) fn as_ptr(&self) -> *mut ffi::fts5_api {
        self.ptr.as_ptr()
    }

    /// The table's contents.
    pub(super) fn table(&self) -> &ffi::fts5_api {
        // SAFETY: `ptr` came from FTS5 for this connection, which outlives
        // `self` and frees the table only when it closes.
        unsafe { self.ptr.as_ref() }
    }
}
