//! The search SQL: which posts match, how they rank, and the page's posts
//! and snippets.
//!
//! This file ranks and reads the page; `window.rs` finds which posts a
//! search ranks, and `terms.rs` what the index knows about terms.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::db::StoreResult;
use crate::posts::repo::sqlite::from_row;
use crate::posts::search::outcome::{Hit, MARK_CLOSE, MARK_OPEN};

mod terms;
#[cfg(test)]
mod tests;
mod window;

pub use crate::posts::search::outcome::SEARCH_CAP;
pub use terms::{document_frequency, rowid_span, tokens_with_prefix};
pub use window::search_window;

/// Ranked hits (title weighs 10× content) among rowids ≥ `floor`; `dfs`
/// holds the document frequency of each phrase of `expr` (see
/// [`super::rank`]). Ranks on rowids alone first; only the page's rows then
/// get their posts and snippets (a snippet for every match is what makes a
/// common term slow).
pub fn search(
    conn: &Connection,
    expr: &str,
    dfs: &[i64],
    floor: i64,
    limit: u32,
    offset: u64,
) -> StoreResult<Vec<Hit>> {
    let ranked = rank_range(
        conn,
        expr,
        dfs,
        (floor, i64::MAX),
        offset.saturating_add(u64::from(limit)),
    )?;
    hits_for(conn, expr, &merge_ranked(vec![ranked], limit, offset))
}

/// The best `take` of the matches with rowids in `lo..=hi`, as (rowid,
/// score), best first (lower scores are better; ties go to the newer post):
/// one part of a search ranked in parallel, see [`super::search`].
pub fn rank_range(
    conn: &Connection,
    expr: &str,
    dfs: &[i64],
    (lo, hi): (i64, i64),
    take: u64,
) -> StoreResult<Vec<(i64, f64)>> {
    let df_args: String = (0..dfs.len()).map(|i| format!(", ?{}", i + 5)).collect();
    let sql = format!(
        "SELECT posts_fts.rowid AS rid, folio_rank(posts_fts, d.sz{df_args}) AS score
         FROM posts_fts CROSS JOIN posts_fts_docsize d ON d.id = posts_fts.rowid
         WHERE posts_fts MATCH ?1 AND posts_fts.rowid >= ?2 AND posts_fts.rowid <= ?3
         ORDER BY score, rid DESC LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut args: Vec<SqlValue> = vec![
        SqlValue::Text(expr.to_string()),
        SqlValue::Integer(lo),
        SqlValue::Integer(hi),
        SqlValue::Integer(take.min(i64::MAX as u64) as i64),
    ];
    args.extend(dfs.iter().map(|&df| SqlValue::Integer(df)));
    let rows = stmt.query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One page (`limit` after `offset`) of the best of several parts' ranked
/// (rowid, score) pairs, in [`rank_range`]'s order.
pub fn merge_ranked(parts: Vec<Vec<(i64, f64)>>, limit: u32, offset: u64) -> Vec<(i64, f64)> {
    let mut all: Vec<(i64, f64)> = parts.into_iter().flatten().collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
    all.into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect()
}

/// The hits for ranked (rowid, score) pairs, in their order, with their
/// posts and snippets. A post deleted since it was ranked is left out.
/// One lookup per row, by rowid: joined to the ranked page instead, the
/// planner may scan every match of the expression as the outer loop.
pub fn hits_for(conn: &Connection, expr: &str, ranked: &[(i64, f64)]) -> StoreResult<Vec<Hit>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT p.id, p.title, p.slug, p.content, p.author_id, u.username,
            p.published, p.published_at, p.created_at, p.updated_at,
            snippet(posts_fts, -1, '{MARK_OPEN}', '{MARK_CLOSE}', '…', 16)
         FROM posts_fts
         CROSS JOIN posts p ON p.rowid = posts_fts.rowid
         CROSS JOIN users u ON u.id = p.author_id
         WHERE posts_fts MATCH ?1 AND posts_fts.rowid = ?2"
    ))?;
    let mut hits = Vec::with_capacity(ranked.len());
    for &(rowid, score) in ranked {
        let hit = stmt
            .query_row(params![expr, rowid], |r| {
                Ok(Hit {
                    post: from_row(r)?,
                    rank: -score,
                    snippet: r.get(10)?,
                })
            })
            .optional()?;
        hits.extend(hit);
    }
    Ok(hits)
}
