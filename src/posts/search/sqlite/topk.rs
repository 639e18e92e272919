//! A search's count and ranking in one pass over its matches.
//!
//! Counting the matches (`matches::search_window`) and then ranking them
//! (`matches::rank_range`) walks the same posting lists twice; when every
//! phrase's document frequency is known beforehand, one statement can read
//! the newest `SEARCH_CAP + 1` matches newest first, scoring each, and give
//! both: the count (capped as before) and the best of the newest
//! `SEARCH_CAP`, exactly the posts and order the two passes give.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use super::matches::SEARCH_CAP;
use crate::db::StoreResult;

/// How many posts match `expr` (capped at `SEARCH_CAP + 1`) and the best
/// `take` of its newest `SEARCH_CAP` matches as (rowid, score), best first
/// (lower scores are better; ties go to the newer post), as
/// [`super::matches::rank_range`] orders them. `dfs` as for `rank_range`.
pub fn count_and_rank(
    conn: &Connection,
    expr: &str,
    dfs: &[i64],
    take: u64,
) -> StoreResult<(u64, Vec<(i64, f64)>)> {
    let df_args: String = (0..dfs.len()).map(|i| format!(", ?{}", i + 3)).collect();
    let sql = format!(
        "SELECT posts_fts.rowid, folio_rank(posts_fts, d.sz{df_args})
         FROM posts_fts CROSS JOIN posts_fts_docsize d ON d.id = posts_fts.rowid
         WHERE posts_fts MATCH ?1 ORDER BY posts_fts.rowid DESC LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut args: Vec<SqlValue> = vec![
        SqlValue::Text(expr.to_string()),
        SqlValue::Integer(SEARCH_CAP as i64 + 1),
    ];
    args.extend(dfs.iter().map(|&df| SqlValue::Integer(df)));
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut scored: Vec<(i64, f64)> = Vec::new();
    let mut count = 0u64;
    while let Some(row) = rows.next()? {
        count += 1;
        if count > SEARCH_CAP {
            break;
        }
        scored.push((row.get(0)?, row.get(1)?));
    }
    Ok((count, best(scored, take)))
}

/// The best `take` of `scored`, best first.
pub fn best(mut scored: Vec<(i64, f64)>, take: u64) -> Vec<(i64, f64)> {
    let order = |a: &(i64, f64), b: &(i64, f64)| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0));
    let take = usize::try_from(take).unwrap_or(usize::MAX);
    if take == 0 {
        return Vec::new();
    }
    if take < scored.len() {
        scored.select_nth_unstable_by(take - 1, order);
        scored.truncate(take);
    }
    scored.sort_unstable_by(order);
    scored
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::posts::search::sqlite::matches;

    /// 10,500 published posts: `common` in all, `odd` in every other one,
    /// lengths (and so scores) varying, many equal.
    pub(in crate::posts::search) fn db() -> Connection {
        let mut conn = crate::posts::search::sqlite::test_db();
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO posts (id, author_id, title, slug, content, published)
                     VALUES (?1, 'u', ?2, ?1, ?3, 1)",
                )
                .unwrap();
            for i in 0..10_500 {
                let title = if i % 97 == 0 { "common" } else { "post" };
                let mut content = "common ".repeat(1 + i % 3);
                content.push_str(&"filler ".repeat(i % 5));
                if i % 2 == 1 {
                    content.push_str(" odd");
                }
                stmt.execute(rusqlite::params![format!("p{i}"), title, content])
                    .unwrap();
            }
        }
        crate::posts::search::sqlite::index::apply_index_changes(&tx).unwrap();
        tx.commit().unwrap();
        conn
    }

    #[test]
    fn one_pass_equals_counting_then_ranking() {
        let conn = db();
        let span = matches::rowid_span(&conn).unwrap();
        let df = |p: &str| matches::document_frequency(&conn, p, span).unwrap();
        let cases = [
            (
                "\"common\" AND \"odd\"",
                vec![df("\"common\""), df("\"odd\"")],
            ),
            (
                "(\"odd\" OR \"filler\")",
                vec![df("\"odd\""), df("\"filler\"")],
            ),
            ("\"common\" AND \"absent\"", vec![df("\"common\""), 0]),
        ];
        for (expr, dfs) in &cases {
            let window = matches::search_window(&conn, expr).unwrap();
            let floor = window.floor().unwrap_or(i64::MIN);
            for take in [0, 1, 20, 137, 10_000, 20_000] {
                let two = matches::rank_range(&conn, expr, dfs, (floor, i64::MAX), take).unwrap();
                let (count, one) = count_and_rank(&conn, expr, dfs, take).unwrap();
                assert_eq!(count, window.count, "{expr}");
                assert_eq!(one, two, "{expr} take {take}");
            }
        }
        // More matches than the cap: counted to the cap and one more.
        let (count, _) = count_and_rank(&conn, "\"common\"", &[10_500], 5).unwrap();
        assert_eq!(count, SEARCH_CAP + 1);
    }

    #[test]
    fn best_orders_by_score_then_newest() {
        let scored = vec![(1, 0.5), (2, -1.0), (3, 0.5), (4, -1.0), (5, 2.0)];
        assert_eq!(
            best(scored.clone(), 3),
            vec![(4, -1.0), (2, -1.0), (3, 0.5)]
        );
        assert_eq!(best(scored.clone(), 9).len(), 5);
        assert!(best(scored, 0).is_empty());
    }
}
