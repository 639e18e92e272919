//! `folio_rank()`: an FTS5 auxiliary function computing the same BM25 score
//! as FTS5's built-in `bm25()`, except that the caller supplies each phrase's
//! document frequency.
//!
//! Why: `bm25()` learns how many rows contain each phrase by running the
//! phrase over the whole index (`xQueryPhrase`) in every statement, however
//! few rows are ranked. [`super::repo::document_frequency`] finds the figure
//! with bounded work instead; for very common phrases an estimate is as
//! good, since BM25's IDF floors at a tiny constant once a phrase is in half
//! the rows.
//!
//! Called as `folio_rank(posts_fts, sz, df_0, df_1, …)`: `sz` is the row's
//! `posts_fts_docsize.sz` (FTS5's per-row token counts, one varint per
//! column; joining it in is cheaper than asking FTS5 per row, which runs a
//! statement each time; NULL falls back to asking), then one document
//! frequency per phrase of the MATCH expression, in the order the phrases
//! appear in it. Like `bm25()`, it returns the negated score: lower is
//! better.
//!
//! `folio_freq(posts_fts)` gives one phrase's weighted frequency in a row,
//! for the decoded posting lists of [`super::postings`].
//!
//! SQLite's FTS5 extension API is C and rusqlite does not wrap auxiliary
//! functions, hence `unsafe` here; every pointer used comes from SQLite for
//! the duration of the call.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::ptr;

use rusqlite::{ffi, Connection};

/// The weights of the `title` and `content` columns.
pub const COLUMN_WEIGHTS: [f64; 2] = [10.0, 1.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Registers `folio_rank` and `folio_freq` on a connection (every pooled
/// connection gets them).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let api = fts5_api(conn)?;
    for (name, function) in [
        (c"folio_rank", folio_rank as AuxFunction),
        (c"folio_freq", folio_freq as AuxFunction),
    ] {
        // SAFETY: `api` is the live fts5_api of this connection's database
        // handle (checked non-null); the name is a NUL-terminated static
        // string.
        let rc = unsafe {
            match (*api).xCreateFunction {
                Some(create) => create(api, name.as_ptr(), ptr::null_mut(), Some(function), None),
                None => ffi::SQLITE_MISUSE,
            }
        };
        check(rc, "registering an FTS5 function")?;
    }
    Ok(())
}

type AuxFunction = unsafe extern "C" fn(
    *const ffi::Fts5ExtensionApi,
    *mut ffi::Fts5Context,
    *mut ffi::sqlite3_context,
    c_int,
    *mut *mut ffi::sqlite3_value,
);

pub(super) fn check(rc: c_int, what: &str) -> rusqlite::Result<()> {
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
pub(super) fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut ffi::fts5_api> {
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

/// Per-statement constants, kept with `xSetAuxdata`.
struct Constants {
    idf: Vec<f64>,
    avgdl: f64,
}

/// BM25's inverse document frequency, floored like FTS5's.
pub fn idf(rows: i64, df: i64) -> f64 {
    let (n, df) = (rows as f64, df.clamp(0, rows.max(0)) as f64);
    let idf = ((n - df + 0.5) / (df + 0.5)).ln();
    if idf <= 0.0 {
        1e-6
    } else {
        idf
    }
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

unsafe extern "C" fn folio_rank(
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

/// BM25 of a row of `d` tokens from each phrase's (weighted frequency, IDF):
/// one formula for `folio_rank` and for [`super::postings`], so both give
/// the same bits.
pub fn bm25(phrases: impl Iterator<Item = (f64, f64)>, d: f64, avgdl: f64) -> f64 {
    let norm = K1 * (1.0 - B + B * d / avgdl);
    phrases
        .map(|(f, idf)| idf * (f * (K1 + 1.0)) / (f + norm))
        .sum()
}

/// BM25's average row length, as FTS5 gives it to `folio_rank`: the
/// index's token total over its row count.
pub fn average_length(rows: i64, tokens: i64) -> f64 {
    if rows > 0 {
        (tokens as f64 / rows as f64).max(1.0)
    } else {
        1.0
    }
}

/// `folio_freq(posts_fts)`: the row's weighted frequency of the expression's
/// first phrase (each instance counts its column's weight), for
/// [`super::postings`].
unsafe extern "C" fn folio_freq(
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

/// Sums the SQLite-style varints (as FTS5 writes them) in `blob`; `None`
/// when one is cut short.
pub fn sum_varints(mut blob: &[u8]) -> Option<u64> {
    let mut total = 0u64;
    while !blob.is_empty() {
        let (v, used) = varint(blob)?;
        total = total.saturating_add(v);
        blob = &blob[used..];
    }
    Some(total)
}

/// The SQLite-style varint at the start of `blob`, and its length in bytes.
pub fn varint(blob: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let b = *blob.get(i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE posts_fts USING fts5(title, content,
                 tokenize = 'porter unicode61 remove_diacritics 2');
             INSERT INTO posts_fts (title, content) VALUES
                 ('rust server', 'a small rust backend with sqlite'),
                 ('cooking', 'rust on a cast iron pan, and some sqlite jokes'),
                 ('sqlite notes', 'wal mode, checkpoints and a server'),
                 ('rust rust rust', 'rust'),
                 ('gardening', 'tomatoes and beans, nothing else at all here');",
        )
        .unwrap();
        conn
    }

    /// With exact document frequencies, folio_rank is bm25(10, 1).
    #[test]
    fn equals_bm25_given_exact_frequencies() {
        let conn = db();
        for (expr, phrases) in [
            ("\"rust\"", vec!["\"rust\""]),
            (
                "\"rust\" AND (\"sqlite\" OR \"server\")",
                vec!["\"rust\"", "\"sqlite\"", "\"server\""],
            ),
            ("(\"sqlite\") NOT \"rust\"", vec!["\"sqlite\"", "\"rust\""]),
        ] {
            let dfs: Vec<i64> = phrases
                .iter()
                .map(|p| {
                    conn.query_row(
                        "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?1",
                        [p],
                        |r| r.get(0),
                    )
                    .unwrap()
                })
                .collect();
            let args: String = (0..dfs.len()).map(|i| format!(", ?{}", i + 2)).collect();
            let sql = format!(
                "SELECT posts_fts.rowid, bm25(posts_fts, 10.0, 1.0), folio_rank(posts_fts, d.sz{args}),
                        folio_rank(posts_fts, NULL{args})
                 FROM posts_fts JOIN posts_fts_docsize d ON d.id = posts_fts.rowid
                 WHERE posts_fts MATCH ?1 ORDER BY posts_fts.rowid"
            );
            let mut values: Vec<rusqlite::types::Value> = vec![expr.to_string().into()];
            values.extend(dfs.iter().map(|&d| d.into()));
            let mut stmt = conn.prepare(&sql).unwrap();
            let rows: Vec<(i64, f64, f64, f64)> = stmt
                .query_map(rusqlite::params_from_iter(values), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(!rows.is_empty(), "{expr} matched nothing");
            for (rowid, bm25, ours, asked) in rows {
                assert!(
                    (bm25 - ours).abs() < 1e-9,
                    "{expr} row {rowid}: {bm25} vs {ours}"
                );
                assert!(
                    (ours - asked).abs() < 1e-12,
                    "{expr} row {rowid}: sz vs xColumnSize"
                );
            }
        }
    }

    /// (rowid, rank) of every row matching `expr`, ranked by `call` in a
    /// statement of its own (calls in one statement share their constants).
    fn ranks(conn: &Connection, call: &str, expr: &str) -> Vec<(i64, f64)> {
        let sql =
            format!("SELECT rowid, {call} FROM posts_fts WHERE posts_fts MATCH ?1 ORDER BY rowid");
        conn.prepare(&sql)
            .unwrap()
            .query_map([expr], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Given too few or too many frequencies, every phrase ranks with an
    /// IDF of 1: bm25's score divided by the phrase's IDF.
    #[test]
    fn wrong_number_of_frequencies_ranks_with_a_neutral_idf() {
        let conn = db();
        // "server" is in rows 1 and 3 of 5: an IDF well above the floor.
        let expr = "\"server\"";
        let bm25 = ranks(&conn, "bm25(posts_fts, 10.0, 1.0)", expr);
        assert_eq!(bm25.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 3]);
        let exact = ranks(&conn, "folio_rank(posts_fts, NULL, 2)", expr);
        let idf_server = idf(5, 2);
        assert!(idf_server > 0.1, "{idf_server}");
        for call in [
            "folio_rank(posts_fts, NULL)",
            "folio_rank(posts_fts, NULL, 2, 7)",
        ] {
            let neutral = ranks(&conn, call, expr);
            assert_eq!(neutral.len(), 2, "{call}");
            for (((row, ours), (_, bm25)), (_, exact)) in neutral.iter().zip(&bm25).zip(&exact) {
                assert!((exact - bm25).abs() < 1e-9, "row {row}: {exact} vs {bm25}");
                let expected = bm25 / idf_server;
                assert!(
                    (ours - expected).abs() < 1e-9,
                    "{call} row {row}: {ours}, neutral IDF gives {expected}"
                );
            }
            assert_ne!(neutral[0].1, neutral[1].1, "{call}: still ranks by row");
        }
    }

    #[test]
    fn varints_are_summed() {
        assert_eq!(sum_varints(&[]), Some(0));
        assert_eq!(sum_varints(&[3, 40]), Some(43));
        assert_eq!(sum_varints(&[0x81, 0x00, 5]), Some(133));
        assert_eq!(sum_varints(&[0x81]), None);
    }

    #[test]
    fn idf_floors_like_fts5() {
        assert_eq!(idf(100, 60), 1e-6);
        assert!((idf(100, 1) - (99.5f64 / 1.5).ln()).abs() < 1e-12);
        assert!(idf(100, 500) > 0.0);
    }
}
