//! The bodies of `folio_rank` and `folio_freq`: per-statement constants
//! kept with `xSetAuxdata`, and each row's weighted phrase frequencies and
//! length, read through the FTS5 API.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use rusqlite::ffi;

use super::bm25::{average_length, bm25, idf, COLUMN_WEIGHTS};
use super::sum_varints;

/// Per-statement constants, kept with `xSetAuxdata`.
struct Constants {
    idf: Vec<f64>,
    avgdl: f64,
}

unsafe extern "C" fn drop_constants(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: `p` came from `Box::into_raw` in `constants` below and
        // SQLite calls this exactly once.
        drop(unsafe { Box::from_raw(p.cast::<Constants>()) });
    }
}

/// Reads (or computes and stores) the statement's constants.
///
/// SAFETY: `api`, `fts` and `vals` are the arguments SQLite passed to the
/// auxiliary function call in progress.
unsafe fn constants<'a>(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_val: c_int,
    vals: *mut *mut ffi::sqlite3_value,
) -> Result<&'a Constants, c_int> {
    let (Some(get), Some(set), Some(phrases), Some(rows), Some(total)) = (
        api.xGetAuxdata,
        api.xSetAuxdata,
        api.xPhraseCount,
        api.xRowCount,
        api.xColumnTotalSize,
    ) else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // SAFETY (whole block): calls into the FTS5 API with the context SQLite
    // handed us; `vals` holds `n_val` values.
    unsafe {
        let existing = get(fts, 0).cast::<Constants>();
        if !existing.is_null() {
            return Ok(&*existing);
        }
        // One frequency per phrase is the contract; should FTS5 ever see a
        // different number of phrases, rank with a neutral IDF rather than
        // fail the search.
        let matched = n_val == phrases(fts) + 1;
        let mut n_rows: i64 = 0;
        let rc = rows(fts, &mut n_rows);
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
        let mut tokens: i64 = 0;
        let rc = total(fts, -1, &mut tokens);
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
        let avgdl = average_length(n_rows, tokens);
        let n_phrase = phrases(fts).max(0) as usize;
        let idf = (0..n_phrase)
            .map(|i| {
                if matched {
                    idf(n_rows, ffi::sqlite3_value_int64(*vals.add(i + 1)))
                } else {
                    1.0
                }
            })
            .collect();
        let boxed = Box::into_raw(Box::new(Constants { idf, avgdl }));
        let rc = set(fts, boxed.cast::<c_void>(), Some(drop_constants));
        if rc != ffi::SQLITE_OK {
            // xSetAuxdata calls the destructor itself when it fails.
            return Err(rc);
        }
        Ok(&*boxed)
    }
}

pub(super) unsafe extern "C" fn folio_rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    vals: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes a valid API table, context and `n_val` values
    // for the duration of this call.
    unsafe {
        match score(&*api, fts, n_val, vals) {
            Ok(s) => ffi::sqlite3_result_double(ctx, -s),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

/// SAFETY: as for [`constants`].
unsafe fn score(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_val: c_int,
    vals: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let Some(column_size) = api.xColumnSize else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // SAFETY: see the function's contract.
    let k = unsafe { constants(api, fts, n_val, vals)? };
    let mut freq = vec![0.0_f64; k.idf.len()];
    // SAFETY: FTS5 API calls on the current row of the cursor.
    unsafe {
        weighted_frequencies(api, fts, &mut freq)?;
        let d = match row_tokens(n_val, vals) {
            Some(t) => t as f64,
            None => {
                let mut tokens: c_int = 0;
                let rc = column_size(fts, -1, &mut tokens);
                if rc != ffi::SQLITE_OK {
                    return Err(rc);
                }
                f64::from(tokens)
            }
        };
        Ok(bm25(
            freq.iter().copied().zip(k.idf.iter().copied()),
            d,
            k.avgdl,
        ))
    }
}

/// Adds each instance on the current row, weighted by its column, to its
/// phrase's entry of `freq` (phrases past its end are skipped).
///
/// SAFETY: `api` and `fts` are those of the auxiliary function call in
/// progress.
unsafe fn weighted_frequencies(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    freq: &mut [f64],
) -> Result<(), c_int> {
    let (Some(inst_count), Some(inst)) = (api.xInstCount, api.xInst) else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // SAFETY: FTS5 API calls on the cursor's current row.
    unsafe {
        let mut n_inst: c_int = 0;
        let rc = inst_count(fts, &mut n_inst);
        if rc != ffi::SQLITE_OK {
            return Err(rc);
        }
        for i in 0..n_inst {
            let (mut phrase, mut col, mut off) = (0, 0, 0);
            let rc = inst(fts, i, &mut phrase, &mut col, &mut off);
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            let w = COLUMN_WEIGHTS.get(col as usize).copied().unwrap_or(1.0);
            if let Some(f) = freq.get_mut(phrase as usize) {
                *f += w;
            }
        }
    }
    Ok(())
}

/// `folio_freq(posts_fts)`: the row's weighted frequency of the expression's
/// first phrase (each instance counts its column's weight), for
/// [`crate::posts::search::sqlite::postings`].
pub(super) unsafe extern "C" fn folio_freq(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    _n_val: c_int,
    _vals: *mut *mut ffi::sqlite3_value,
) {
    let mut freq = [0.0_f64];
    // SAFETY: SQLite passes a valid API table and context for the duration
    // of this call.
    unsafe {
        match weighted_frequencies(&*api, fts, &mut freq) {
            Ok(()) => ffi::sqlite3_result_double(ctx, freq[0]),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

/// The row's token count from its `sz` argument, when that is a blob.
///
/// SAFETY: `vals` holds `n_val` values of the call in progress.
unsafe fn row_tokens(n_val: c_int, vals: *mut *mut ffi::sqlite3_value) -> Option<u64> {
    if n_val < 1 {
        return None;
    }
    // SAFETY: index 0 < n_val; a blob's pointer and length come together
    // from SQLite and stay valid until the value changes (not during this).
    let blob = unsafe {
        let v = *vals;
        if ffi::sqlite3_value_type(v) != ffi::SQLITE_BLOB {
            return None;
        }
        let p = ffi::sqlite3_value_blob(v).cast::<u8>();
        let n = usize::try_from(ffi::sqlite3_value_bytes(v)).ok()?;
        if p.is_null() {
            return None;
        }
        std::slice::from_raw_parts(p, n)
    };
    sum_varints(blob)
}
