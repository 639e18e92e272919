//! The bodies of `folio_rank` and `folio_freq`: per-query constants kept
//! with the FTS5 context, and each row's weighted phrase frequencies and
//! length, read through [`folio_sys::fts5`].

use folio_sys::fts5::{Args, AuxContext};
use rusqlite::types::ValueRef;

use super::bm25::{average_length, bm25, idf, COLUMN_WEIGHTS};
use super::sum_varints;

/// Per-query constants: one IDF per phrase and the average row length.
struct Constants {
    idf: Vec<f64>,
    avgdl: f64,
}

fn constants(ctx: &AuxContext<'_>, args: Args<'_>) -> rusqlite::Result<Constants> {
    let n_phrase = ctx.phrase_count();
    // One frequency per phrase is the contract; should FTS5 ever see a
    // different number of phrases, rank with a neutral IDF rather than
    // fail the search.
    let matched = args.len() == n_phrase + 1;
    let rows = ctx.row_count()?;
    let avgdl = average_length(rows, ctx.column_total_size(None)?);
    let idf = (0..n_phrase)
        .map(|i| match args.get(i + 1) {
            Some(df) if matched => idf(rows, integer(df)),
            _ => 1.0,
        })
        .collect();
    Ok(Constants { idf, avgdl })
}

/// A value read as SQLite's `sqlite3_value_int64` would (text parsed,
/// reals truncated, anything else 0).
fn integer(v: ValueRef<'_>) -> i64 {
    match v {
        ValueRef::Integer(i) => i,
        ValueRef::Real(r) => r as i64,
        ValueRef::Text(t) => std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
        ValueRef::Null | ValueRef::Blob(_) => 0,
    }
}

/// `folio_rank(posts_fts, sz, df_0, df_1, …)`: the row's negated BM25.
pub(super) fn folio_rank(ctx: &AuxContext<'_>, args: Args<'_>) -> rusqlite::Result<f64> {
    let k = ctx.cached(|| constants(ctx, args))?;
    let mut freq = vec![0.0_f64; k.idf.len()];
    weighted_frequencies(ctx, &mut freq)?;
    let d = match row_tokens(args) {
        Some(t) => t as f64,
        None => ctx.column_size(None)? as f64,
    };
    Ok(-bm25(
        freq.iter().copied().zip(k.idf.iter().copied()),
        d,
        k.avgdl,
    ))
}

/// Adds each instance on the current row, weighted by its column, to its
/// phrase's entry of `freq` (phrases past its end are skipped).
fn weighted_frequencies(ctx: &AuxContext<'_>, freq: &mut [f64]) -> rusqlite::Result<()> {
    for i in 0..ctx.inst_count()? {
        let m = ctx.inst(i)?;
        let w = COLUMN_WEIGHTS.get(m.column).copied().unwrap_or(1.0);
        if let Some(f) = freq.get_mut(m.phrase) {
            *f += w;
        }
    }
    Ok(())
}

/// `folio_freq(posts_fts)`: the row's weighted frequency of the expression's
/// first phrase (each instance counts its column's weight), for
/// [`crate::posts::search::sqlite::postings`].
pub(super) fn folio_freq(ctx: &AuxContext<'_>, _args: Args<'_>) -> rusqlite::Result<f64> {
    let mut freq = [0.0_f64];
    weighted_frequencies(ctx, &mut freq)?;
    Ok(freq[0])
}

/// The row's token count from its `sz` argument, when that is a non-empty
/// blob.
fn row_tokens(args: Args<'_>) -> Option<u64> {
    match args.get(0)? {
        ValueRef::Blob(sz) if !sz.is_empty() => sum_varints(sz),
        _ => None,
    }
}
