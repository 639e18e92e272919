//! The connection's FTS5 extension API, which rusqlite does not wrap, and
//! SQLite result codes as rusqlite errors.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::ptr;

use rusqlite::{ffi, Connection};

pub(in crate::posts::search) fn check(rc: c_int, what: &str) -> rusqlite::Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(rc),
            Some(format!("{what} failed")),
        ))
    }
}

/// The connection's `fts5_api`, obtained the documented way: `SELECT
/// fts5(?1)` with a pointer bound as type "fts5_api_ptr".
pub(in crate::posts::search) fn fts5_api(
    conn: &Connection,
) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    // SAFETY: the statement is prepared, used and finalized here on the
    // connection's own handle; `api` outlives the statement.
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
            return check(rc, "preparing SELECT fts5(?1)").map(|_| api);
        }
        let mut rc = ffi::sqlite3_bind_pointer(
            stmt,
            1,
            (&mut api as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        if rc == ffi::SQLITE_OK {
            rc = ffi::sqlite3_step(stmt);
            if rc == ffi::SQLITE_ROW || rc == ffi::SQLITE_DONE {
                rc = ffi::SQLITE_OK;
            }
        }
        let fin = ffi::sqlite3_finalize(stmt);
        if rc == ffi::SQLITE_OK {
            fin
        } else {
            rc
        }
    };
    check(rc, "looking up the FTS5 API")?;
    if api.is_null() {
        return check(ffi::SQLITE_ERROR, "looking up the FTS5 API (no FTS5)").map(|_| api);
    }
    Ok(api)
}
