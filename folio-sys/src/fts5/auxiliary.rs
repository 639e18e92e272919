//! FTS5 auxiliary functions written in safe Rust: [`register_aux`] takes a
//! closure, and each call hands it an [`AuxContext`] (the FTS5 extension
//! API's questions about the current row and query) and its SQL arguments.
//!
//! The closure runs inside a C callback, so a panic is caught there and
//! becomes the statement's error: unwinding must not cross into SQLite.

use std::any::Any;
use std::ffi::{c_int, c_void, CString};
use std::panic::{self, AssertUnwindSafe};
use std::slice;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{ffi, Connection};

use super::api::{check, failure, present, Fts5Api};

/// Registers `f` as the FTS5 auxiliary function `name` on `conn`'s FTS5
/// tables, called as `name(table, args...)` in a query that has a `MATCH`
/// on `table`. What `f` returns is the call's value; an `Err` (or a panic)
/// is the statement's error. `f` is dropped when the connection closes.
///
/// Registering a name again replaces the function for later statements.
pub fn register_aux<F, R>(conn: &Connection, name: &str, f: F) -> rusqlite::Result<()>
where
    F: for<'a> Fn(&AuxContext<'a>, Args<'a>) -> rusqlite::Result<R> + Send + 'static,
    R: Into<Value>,
{
    let api = Fts5Api::of(conn)?;
    let create = present(api.table().xCreateFunction, "FTS5's xCreateFunction")?;
    let name =
        CString::new(name).map_err(|_| failure(ffi::SQLITE_MISUSE, "an aux name with NUL"))?;
    let user_data = Box::into_raw(Box::new(f));
    // SAFETY: `api` is this connection's live fts5_api; FTS5 copies the
    // name; `user_data` is a `Box<F>` that `call::<F, R>` reads and
    // `destroy::<F>` frees, both instantiated for the same `F`.
    let rc = unsafe {
        create(
            api.as_ptr(),
            name.as_ptr(),
            user_data.cast::<c_void>(),
            Some(call::<F, R>),
            Some(destroy::<F>),
        )
    };
    if rc != ffi::SQLITE_OK {
        // SAFETY: FTS5 keeps neither the pointer nor the destructor when it
        // fails (fts5CreateAux), so the box is still only ours.
        drop(unsafe { Box::from_raw(user_data) });
    }
    check(rc, "registering an FTS5 auxiliary function")
}

/// One call's view of FTS5: the query's phrases, the current row's
/// matches and sizes, and the table's totals. It lives only for the call.
pub struct AuxContext<'a> {
    api: &'a ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
}

/// One match of a phrase in the current row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// The phrase's index in the query (0-based, in the order of the query).
    pub phrase: usize,
    /// The column it is in (0-based).
    pub column: usize,
    /// Its first token's offset in the column.
    pub offset: usize,
}

/// `-1` (every column) for `None`, else the index as SQLite's int.
fn column_arg(column: Option<usize>) -> rusqlite::Result<c_int> {
    match column {
        None => Ok(-1),
        Some(c) => c_int::try_from(c).map_err(|_| failure(ffi::SQLITE_RANGE, "a column index")),
    }
}

/// A non-negative int from SQLite as a `usize`.
fn index(v: c_int, what: &str) -> rusqlite::Result<usize> {
    usize::try_from(v).map_err(|_| failure(ffi::SQLITE_CORRUPT, what))
}

impl AuxContext<'_> {
    /// How many phrases the `MATCH` expression has.
    pub fn phrase_count(&self) -> usize {
        match self.api.xPhraseCount {
            // SAFETY: `f` is from the API table SQLite passed to the call in
            // progress and `fts` is that call's context; both stay valid
            // until the call returns, which `self` does not outlive.
            Some(f) => usize::try_from(unsafe { f(self.fts) }).unwrap_or(0),
            None => 0,
        }
    }

    /// How many columns the table has.
    pub fn column_count(&self) -> usize {
        match self.api.xColumnCount {
            // SAFETY: as for `phrase_count`.
            Some(f) => usize::try_from(unsafe { f(self.fts) }).unwrap_or(0),
            None => 0,
        }
    }

    /// The current row's rowid.
    pub fn rowid(&self) -> rusqlite::Result<i64> {
        let f = present(self.api.xRowid, "FTS5's xRowid")?;
        // SAFETY: as for `phrase_count`.
        Ok(unsafe { f(self.fts) })
    }

    /// How many rows the table has.
    pub fn row_count(&self) -> rusqlite::Result<i64> {
        let f = present(self.api.xRowCount, "FTS5's xRowCount")?;
        let mut n: i64 = 0;
        // SAFETY: as for `phrase_count`; the out pointer is a local.
        check(unsafe { f(self.fts, &mut n) }, "counting rows")?;
        Ok(n)
    }

    /// The tokens in `column` (or, for `None`, in every column) over all
    /// rows of the table.
    pub fn column_total_size(&self, column: Option<usize>) -> rusqlite::Result<i64> {
        let f = present(self.api.xColumnTotalSize, "FTS5's xColumnTotalSize")?;
        let (column, mut n) = (column_arg(column)?, 0_i64);
        // SAFETY: as for `row_count`.
        let rc = unsafe { f(self.fts, column, &mut n) };
        check(rc, "summing column sizes")?;
        Ok(n)
    }

    /// The tokens in `column` (or, for `None`, in every column) of the
    /// current row.
    pub fn column_size(&self, column: Option<usize>) -> rusqlite::Result<i64> {
        let f = present(self.api.xColumnSize, "FTS5's xColumnSize")?;
        let (column, mut n) = (column_arg(column)?, 0 as c_int);
        // SAFETY: as for `row_count`.
        let rc = unsafe { f(self.fts, column, &mut n) };
        check(rc, "sizing a column")?;
        Ok(i64::from(n))
    }

    /// How many phrase matches the current row has.
    pub fn inst_count(&self) -> rusqlite::Result<usize> {
        let f = present(self.api.xInstCount, "FTS5's xInstCount")?;
        let mut n: c_int = 0;
        // SAFETY: as for `row_count`.
        check(unsafe { f(self.fts, &mut n) }, "counting matches")?;
        index(n, "a match count")
    }

    /// The current row's `i`th phrase match (`i < inst_count()`).
    pub fn inst(&self, i: usize) -> rusqlite::Result<Instance> {
        let f = present(self.api.xInst, "FTS5's xInst")?;
        let i = c_int::try_from(i).map_err(|_| failure(ffi::SQLITE_RANGE, "a match index"))?;
        let (mut phrase, mut column, mut offset): (c_int, c_int, c_int) = (0, 0, 0);
        // SAFETY: as for `row_count`; FTS5 checks `i` (SQLITE_RANGE).
        let rc = unsafe { f(self.fts, i, &mut phrase, &mut column, &mut offset) };
        check(rc, "reading a match")?;
        Ok(Instance {
            phrase: index(phrase, "a phrase index")?,
            column: index(column, "a column index")?,
            offset: index(offset, "a token offset")?,
        })
    }

    /// A value kept for every call of this function in the same query
    /// (FTS5's auxdata): computed by `init` on the first call, borrowed on
    /// later ones. Asking for another type than the one kept is an error.
    pub fn cached<T: Any + Send>(
        &self,
        init: impl FnOnce() -> rusqlite::Result<T>,
    ) -> rusqlite::Result<&T> {
        if let Some(slot) = self.slot()? {
            return downcast(slot);
        }
        let value = init()?;
        // `init` may have filled the slot itself (through a nested call);
        // keep that rather than replace it, so no borrow of it dangles.
        if let Some(slot) = self.slot()? {
            return downcast(slot);
        }
        let set = present(self.api.xSetAuxdata, "FTS5's xSetAuxdata")?;
        let slot: *mut Slot = Box::into_raw(Box::new(Box::new(value)));
        // SAFETY: the slot is empty, so nothing is replaced; FTS5 owns the
        // box from here and frees it with `drop_slot`, when the query ends
        // or, if it fails, at once.
        let rc = unsafe { set(self.fts, slot.cast::<c_void>(), Some(drop_slot)) };
        check(rc, "keeping aux data")?;
        // SAFETY: FTS5 keeps the slot until the query ends, after this
        // call; it is never replaced once set (above).
        downcast(unsafe { &*slot })
    }

    /// This function's kept value in this query, if any.
    fn slot(&self) -> rusqlite::Result<Option<&Slot>> {
        let get = present(self.api.xGetAuxdata, "FTS5's xGetAuxdata")?;
        // SAFETY: as for `phrase_count`; 0 leaves the value in place.
        let p = unsafe { get(self.fts, 0) }.cast::<Slot>();
        // SAFETY: only `cached` sets this function's auxdata, always to a
        // `Box<Slot>`, and it lives until the query ends.
        Ok(unsafe { p.as_ref() })
    }
}

/// What `cached` keeps: a thin pointer to any value.
type Slot = Box<dyn Any + Send>;

fn downcast<T: Any>(slot: &Slot) -> rusqlite::Result<&T> {
    slot.downcast_ref::<T>()
        .ok_or_else(|| failure(ffi::SQLITE_MISUSE, "aux data kept with another type"))
}

unsafe extern "C" fn drop_slot(p: *mut c_void) {
    // A value's `Drop` that panics must not unwind into SQLite.
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        if !p.is_null() {
            // SAFETY: `p` is the `Box<Slot>` given to xSetAuxdata in
            // `cached`, which FTS5 frees exactly once.
            drop(unsafe { Box::from_raw(p.cast::<Slot>()) });
        }
    }));
}

/// A call's SQL arguments after the table, borrowed for the call.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    values: &'a [*mut ffi::sqlite3_value],
}

impl<'a> Args<'a> {
    /// How many there are.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The `i`th argument (0-based), `None` past the end.
    pub fn get(&self, i: usize) -> Option<ValueRef<'a>> {
        let v = *self.values.get(i)?;
        // SAFETY: `v` is one of the call's argument values, alive until the
        // call returns ('a). Only the representation it already has is read
        // (text as UTF-8, like rusqlite), so no earlier borrow is changed.
        Some(unsafe { value_ref(v) })
    }
}

/// A borrowed view of an `sqlite3_value`.
///
/// SAFETY: `v` must be valid for `'a` and read only in its own type.
unsafe fn value_ref<'a>(v: *mut ffi::sqlite3_value) -> ValueRef<'a> {
    // SAFETY: per the function's contract; pointer and length are read in
    // the order SQLite documents (the pointer first), and a null pointer
    // (out of memory, or an empty blob) is never made a slice.
    unsafe {
        match ffi::sqlite3_value_type(v) {
            ffi::SQLITE_INTEGER => ValueRef::Integer(ffi::sqlite3_value_int64(v)),
            ffi::SQLITE_FLOAT => ValueRef::Real(ffi::sqlite3_value_double(v)),
            ffi::SQLITE_TEXT => {
                let p = ffi::sqlite3_value_text(v);
                match usize::try_from(ffi::sqlite3_value_bytes(v)) {
                    Ok(n) if !p.is_null() => ValueRef::Text(slice::from_raw_parts(p, n)),
                    _ => ValueRef::Null,
                }
            }
            ffi::SQLITE_BLOB => {
                let p = ffi::sqlite3_value_blob(v).cast::<u8>();
                match usize::try_from(ffi::sqlite3_value_bytes(v)) {
                    Ok(n) if !p.is_null() => ValueRef::Blob(slice::from_raw_parts(p, n)),
                    _ => ValueRef::Blob(&[]),
                }
            }
            _ => ValueRef::Null,
        }
    }
}

/// The C entry point of a function registered by `register_aux`.
unsafe extern "C" fn call<F, R>(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    vals: *mut *mut ffi::sqlite3_value,
) where
    F: for<'a> Fn(&AuxContext<'a>, Args<'a>) -> rusqlite::Result<R>,
    R: Into<Value>,
{
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: SQLite passes this call's API table; it outlives the call.
        let api = unsafe { api.as_ref() }.ok_or_else(|| failure(ffi::SQLITE_MISUSE, "no API"))?;
        let user_data = present(api.xUserData, "FTS5's xUserData")?;
        // SAFETY: the user data of a function registered by `register_aux`
        // with this instantiation is a live `Box<F>` (freed only when the
        // connection closes, after every call).
        let f = unsafe { user_data(fts).cast::<F>().as_ref() }
            .ok_or_else(|| failure(ffi::SQLITE_MISUSE, "no function"))?;
        let values = match usize::try_from(n_val) {
            // SAFETY: SQLite passes `n_val` argument values at `vals`,
            // alive for the call.
            Ok(n) if n > 0 && !vals.is_null() => unsafe { slice::from_raw_parts(vals, n) },
            _ => &[],
        };
        f(&AuxContext { api, fts }, Args { values }).map(Into::into)
    }));
    // SAFETY: `ctx` is this call's result context.
    unsafe {
        match outcome {
            Ok(Ok(value)) => set_result(ctx, value),
            Ok(Err(e)) => set_error(ctx, &e),
            Err(_) => set_error(
                ctx,
                &failure(ffi::SQLITE_ERROR, "an FTS5 function (it panicked)"),
            ),
        }
    }
}

/// Frees a `register_aux` function when the connection closes.
unsafe extern "C" fn destroy<F>(p: *mut c_void) {
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        if !p.is_null() {
            // SAFETY: `p` is the `Box<F>` made in `register_aux`; FTS5
            // calls this once, after the last call.
            drop(unsafe { Box::from_raw(p.cast::<F>()) });
        }
    }));
}

/// Sets a call's value.
///
/// SAFETY: `ctx` must be the result context of a call in progress.
unsafe fn set_result(ctx: *mut ffi::sqlite3_context, value: Value) {
    // SAFETY: per the contract; text and blobs are copied by SQLite
    // (SQLITE_TRANSIENT) before the Rust value is dropped.
    unsafe {
        match value {
            Value::Null => ffi::sqlite3_result_null(ctx),
            Value::Integer(i) => ffi::sqlite3_result_int64(ctx, i),
            Value::Real(r) => ffi::sqlite3_result_double(ctx, r),
            Value::Text(s) => ffi::sqlite3_result_text64(
                ctx,
                s.as_ptr().cast(),
                s.len() as u64,
                ffi::SQLITE_TRANSIENT(),
                ffi::SQLITE_UTF8 as u8,
            ),
            Value::Blob(b) => ffi::sqlite3_result_blob64(
                ctx,
                b.as_ptr().cast(),
                b.len() as u64,
                ffi::SQLITE_TRANSIENT(),
            ),
        }
    }
}

/// Makes a call fail with `e`'s message and result code.
///
/// SAFETY: as for [`set_result`].
unsafe fn set_error(ctx: *mut ffi::sqlite3_context, e: &rusqlite::Error) {
    let code = match e {
        rusqlite::Error::SqliteFailure(f, _) => f.extended_code,
        _ => ffi::SQLITE_ERROR,
    };
    let message = e.to_string();
    let len = c_int::try_from(message.len()).unwrap_or(c_int::MAX);
    // SAFETY: per the contract; SQLite copies the message. The code is set
    // after the message, which resets it to SQLITE_ERROR.
    unsafe {
        ffi::sqlite3_result_error(ctx, message.as_ptr().cast(), len);
        ffi::sqlite3_result_error_code(ctx, code);
    }
}
