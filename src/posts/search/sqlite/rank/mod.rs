//! `folio_rank()`: an FTS5 auxiliary function computing the same BM25 score
//! as FTS5's built-in `bm25()`, except that the caller supplies each phrase's
//! document frequency.
//!
//! Why: `bm25()` learns how many rows contain each phrase by running the
//! phrase over the whole index (`xQueryPhrase`) in every statement, however
//! few rows are ranked. [`super::matches::document_frequency`] finds the figure
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
//! `functions.rs` holds the two functions' bodies (FTS5's extension API,
//! which is C, is reached through `folio_sys::fts5`), `bm25.rs` the
//! arithmetic they share with the posting lists, and `varint.rs` the
//! decoding of FTS5's varints.

use rusqlite::Connection;

mod bm25;
mod functions;
#[cfg(test)]
mod tests;
mod varint;

pub use bm25::{average_length, bm25, idf};
pub use varint::{sum_varints, varint};

/// Registers `folio_rank` and `folio_freq` on a connection (every pooled
/// connection gets them).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    folio_sys::fts5::register_aux(conn, "folio_rank", functions::folio_rank)?;
    folio_sys::fts5::register_aux(conn, "folio_freq", functions::folio_freq)
}
