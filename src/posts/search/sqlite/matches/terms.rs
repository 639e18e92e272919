//! What the index knows about terms: how many posts contain a phrase
//! (exact, or estimated when common), and which indexed tokens a prefix
//! matches.

use rusqlite::{params, Connection};

use crate::db::StoreResult;

/// Up to this many rows, a phrase's document frequency is counted exactly.
pub const DF_EXACT: i64 = 2_000;

/// The smallest and largest post rowids (drafts included), for
/// [`document_frequency`]'s density estimate.
pub fn rowid_span(conn: &Connection) -> StoreResult<Option<(i64, i64)>> {
    let (first, last): (Option<i64>, Option<i64>) = conn
        // Two subqueries: SQLite answers a lone min() or max() from the end
        // of the b-tree, but both in one SELECT scan the table.
        .prepare_cached("SELECT (SELECT min(rowid) FROM posts), (SELECT max(rowid) FROM posts)")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(first.zip(last))
}

/// How many indexed posts contain `phrase` (a one-phrase MATCH expression),
/// for BM25's IDF: exact up to [`DF_EXACT`]; above, estimated from how
/// densely the newest `DF_EXACT` matches sit in the rowid `span` (see
/// [`rowid_span`]), so the work stays bounded however common the phrase is.
pub fn document_frequency(
    conn: &Connection,
    phrase: &str,
    span: Option<(i64, i64)>,
) -> StoreResult<i64> {
    let (n, lowest): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(rid) FROM (SELECT rowid AS rid FROM posts_fts
             WHERE posts_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)",
        )?
        .query_row(params![phrase, DF_EXACT], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (Some(lowest), Some((first, last))) = (lowest.filter(|_| n >= DF_EXACT), span) else {
        return Ok(n);
    };
    let window = (last - lowest + 1).max(1) as f64;
    let all = (last - first + 1).max(1) as f64;
    Ok((n as f64 * all / window).round() as i64)
}

/// The indexed tokens that start with `prefix` (a token as the index's
/// tokenizer makes it), in order, with how many posts contain each; at most
/// `limit` of them.
pub fn tokens_with_prefix(
    conn: &Connection,
    prefix: &str,
    limit: usize,
) -> StoreResult<Vec<(String, i64)>> {
    // Every string starting with `prefix` sorts before `prefix` with its last
    // character incremented (UTF-8 byte order is code point order).
    let upper = prefix.chars().last().and_then(|last| {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32)?;
        let mut upper = prefix[..prefix.len() - last.len_utf8()].to_string();
        upper.push(next);
        Some(upper)
    });
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Both bounds as plain constraints, so fts5vocab seeks to the range and
    // stops at its end (it counts each token's posts as it goes).
    let (sql, bound) = match &upper {
        Some(upper) => (
            "SELECT term, doc FROM posts_fts_vocab
             WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT ?3",
            upper.as_str(),
        ),
        None => (
            "SELECT term, doc FROM posts_fts_vocab
             WHERE term >= ?1 AND ?2 = ?2 ORDER BY term LIMIT ?3",
            "",
        ),
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![prefix, bound, limit], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (term, docs) = row?;
        if !term.starts_with(prefix) {
            break;
        }
        out.push((term, docs));
    }
    Ok(out)
}
