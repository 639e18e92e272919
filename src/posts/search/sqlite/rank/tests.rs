//! `folio_rank` against FTS5's own `bm25()`, and the arithmetic beside it.

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
