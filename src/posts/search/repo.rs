//! The search SQL: which posts match, how they rank, and the page's posts
//! and snippets.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use crate::error::ApiResult;
use crate::posts::model::Post;
use crate::posts::repo::from_row;

pub struct Hit {
    pub post: Post,
    pub rank: f64,
    pub snippet: String,
}

/// Markers around matches in snippets, replaced by `<mark>` after escaping.
pub const MARK_OPEN: char = '\u{1}';
pub const MARK_CLOSE: char = '\u{2}';

/// Matches counted exactly up to this many; ranking is limited to the
/// newest this-many matches so a query matching everything stays fast.
pub const SEARCH_CAP: u64 = 10_000;

/// The matches of an FTS5 expression that search ranks: the newest
/// `SEARCH_CAP` of them.
#[derive(Debug, PartialEq)]
pub struct Window {
    /// How many posts match, capped at `SEARCH_CAP + 1`.
    pub count: u64,
    /// The rowids of the ranked matches, newest first.
    pub rowids: Vec<i64>,
}

impl Window {
    /// The smallest rowid ranked when more than `SEARCH_CAP` posts match
    /// (ranking stops there); `None` when every match is ranked.
    pub fn floor(&self) -> Option<i64> {
        if self.count > SEARCH_CAP {
            self.rowids.last().copied()
        } else {
            None
        }
    }

    /// Inclusive rowid ranges, newest first, that split the ranked matches
    /// into `parts` runs of about equal size, together covering every rowid
    /// from the floor up (a post added since is in the first range).
    pub fn ranges(&self, parts: usize) -> Vec<(i64, i64)> {
        let n = self.rowids.len();
        let parts = parts.clamp(1, n.max(1));
        let mut out = Vec::with_capacity(parts);
        let mut hi = i64::MAX;
        for i in 1..=parts {
            let lo = if i == parts {
                self.floor().unwrap_or(i64::MIN)
            } else {
                // The oldest rowid of this run.
                self.rowids[n * i / parts - 1]
            };
            out.push((lo, hi));
            hi = lo.saturating_sub(1);
        }
        out
    }
}

/// Which posts match an FTS5 expression, for ranking: one pass over the
/// newest `SEARCH_CAP + 1` matches.
pub fn search_window(conn: &Connection, expr: &str) -> ApiResult<Window> {
    let mut rowids: Vec<i64> = conn
        .prepare_cached(
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2",
        )?
        .query_map(params![expr, SEARCH_CAP as i64 + 1], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let count = rowids.len() as u64;
    rowids.truncate(SEARCH_CAP as usize);
    Ok(Window { count, rowids })
}

/// Up to this many rows, a phrase's document frequency is counted exactly.
pub const DF_EXACT: i64 = 2_000;

/// The smallest and largest post rowids (drafts included), for
/// [`document_frequency`]'s density estimate.
pub fn rowid_span(conn: &Connection) -> ApiResult<Option<(i64, i64)>> {
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
) -> ApiResult<i64> {
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
) -> ApiResult<Vec<(String, i64)>> {
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
) -> ApiResult<Vec<Hit>> {
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
) -> ApiResult<Vec<(i64, f64)>> {
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
/// planner may scan every match of the expression as the outer loop (half
/// a second at 1M posts).
pub fn hits_for(conn: &Connection, expr: &str, ranked: &[(i64, f64)]) -> ApiResult<Vec<Hit>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 12,000 published posts: `common` in every one, `tenth` in every
    /// tenth, `rare` in three.
    fn big() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
        crate::posts::search::rank::register(&conn).unwrap();
        conn.execute(
            "INSERT INTO users (id, username, email, password_hash) VALUES ('u', 'u', 'u@x', 'x')",
            [],
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO posts (id, author_id, title, slug, content, published, published_at)
                     VALUES (?1, 'u', 'post', ?1, ?2, 1, '2026-01-01T00:00:00Z')",
                )
                .unwrap();
            for i in 0..12_000 {
                let mut content = format!("common words {i}");
                // Lengths vary, so scores do.
                for _ in 0..i % 7 {
                    content.push_str(" filler");
                }
                if i % 10 == 0 {
                    content.push_str(" tenth");
                }
                if i % 5_000 == 7 {
                    content.push_str(" rare");
                }
                stmt.execute(params![format!("p{i}"), content]).unwrap();
            }
        }
        super::super::index::apply_index_changes(&tx).unwrap();
        tx.commit().unwrap();
        conn
    }

    /// `post_counts` agrees with counting the rows after every kind of
    /// change, including posts deleted with their author.
    #[test]
    fn window_counts_to_the_cap_and_finds_the_floor() {
        let conn = big();
        let common = search_window(&conn, "\"common\"").unwrap();
        assert_eq!(common.count, SEARCH_CAP + 1);
        // rowids 1..=12000: the newest 10,000 start at 2001.
        assert_eq!(common.floor(), Some(2_001));
        assert_eq!(common.rowids.len(), SEARCH_CAP as usize);
        assert_eq!(common.rowids.first(), Some(&12_000));
        let tenth = search_window(&conn, "\"tenth\"").unwrap();
        assert_eq!((tenth.count, tenth.floor()), (1_200, None));
        assert_eq!(
            search_window(&conn, "\"rare\"").unwrap(),
            Window {
                count: 3,
                rowids: vec![10_008, 5_008, 8]
            }
        );
        let absent = search_window(&conn, "\"absent\"").unwrap();
        assert_eq!((absent.count, absent.floor()), (0, None));
        assert_eq!(absent.ranges(2), vec![(i64::MIN, i64::MAX)]);
    }

    #[test]
    fn ranges_split_the_ranked_matches_evenly_and_cover_the_rest() {
        let conn = big();
        let common = search_window(&conn, "\"common\"").unwrap();
        // The newest 10,000 (2001..=12000), in halves of 5,000.
        assert_eq!(common.ranges(2), vec![(7_001, i64::MAX), (2_001, 7_000)]);
        let rare = search_window(&conn, "\"rare\"").unwrap();
        assert_eq!(rare.ranges(1), vec![(i64::MIN, i64::MAX)]);
        assert_eq!(
            rare.ranges(3),
            vec![(10_008, i64::MAX), (5_008, 10_007), (i64::MIN, 5_007)]
        );
        // Never more parts than matches.
        assert_eq!(rare.ranges(8).len(), 3);
    }

    #[test]
    fn document_frequency_is_exact_when_small_and_close_when_large() {
        let conn = big();
        let span = rowid_span(&conn).unwrap();
        assert_eq!(span, Some((1, 12_000)));
        assert_eq!(document_frequency(&conn, "\"rare\"", span).unwrap(), 3);
        assert_eq!(document_frequency(&conn, "\"tenth\"", span).unwrap(), 1_200);
        let common = document_frequency(&conn, "\"common\"", span).unwrap();
        assert!((11_500..=12_500).contains(&common), "{common}");
    }

    #[test]
    fn search_ranks_only_above_the_floor() {
        let conn = big();
        let hits = search(
            &conn,
            "\"common\" AND \"tenth\"",
            &[12_000, 1_200],
            2_001,
            100,
            0,
        )
        .unwrap();
        assert_eq!(hits.len(), 100);
        assert!(hits.iter().all(|h| h.snippet.contains(MARK_OPEN)));
        // Equal scores: newest first, all from the window.
        let mut ids: Vec<u32> = hits
            .iter()
            .map(|h| h.post.id.trim_start_matches('p').parse().unwrap())
            .collect();
        assert!(ids.iter().all(|&i| i >= 2_000 && i % 10 == 0), "{ids:?}");
        ids.dedup();
        assert_eq!(ids.len(), 100);
    }

    /// Ranking in parts and merging gives exactly the page ranking in one
    /// part gives: the same posts, order, ranks and snippets.
    #[test]
    fn ranking_in_parts_equals_ranking_at_once() {
        let conn = big();
        let span = rowid_span(&conn).unwrap();
        let df = |p: &str| document_frequency(&conn, p, span).unwrap();
        let cases: [(&str, Vec<i64>); 4] = [
            ("\"common\"", vec![df("\"common\"")]),
            ("\"tenth\"", vec![1_200]),
            ("\"tenth\" OR \"filler\"", vec![1_200, df("\"filler\"")]),
            ("\"common\" AND \"tenth\"", vec![df("\"common\""), 1_200]),
        ];
        for (expr, dfs) in &cases {
            let window = search_window(&conn, expr).unwrap();
            let floor = window.floor().unwrap_or(i64::MIN);
            for (limit, offset) in [(20, 0), (20, 990), (100, 4_990), (20, 9_995)] {
                let once = search(&conn, expr, dfs, floor, limit, offset).unwrap();
                for parts in 1..=3 {
                    let ranked = window
                        .ranges(parts)
                        .into_iter()
                        .map(|range| {
                            rank_range(&conn, expr, dfs, range, offset + u64::from(limit)).unwrap()
                        })
                        .collect();
                    let page = merge_ranked(ranked, limit, offset);
                    let split = hits_for(&conn, expr, &page).unwrap();
                    let key = |h: &Hit| (h.post.id.clone(), h.rank.to_bits(), h.snippet.clone());
                    assert_eq!(
                        once.iter().map(key).collect::<Vec<_>>(),
                        split.iter().map(key).collect::<Vec<_>>(),
                        "{expr} limit {limit} offset {offset} in {parts} parts"
                    );
                }
            }
        }
    }
}
