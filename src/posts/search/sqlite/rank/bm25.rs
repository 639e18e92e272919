//! BM25 arithmetic: one formula for `folio_rank` and for the decoded posting
//! lists, so both give the same bits.

/// The weights of the `title` and `content` columns.
pub const COLUMN_WEIGHTS: [f64; 2] = [10.0, 1.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

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

/// BM25 of a row of `d` tokens from each phrase's (weighted frequency, IDF):
/// one formula for `folio_rank` and for [`crate::posts::search::sqlite::postings`], so both give
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
