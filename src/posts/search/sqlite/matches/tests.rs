//! The search SQL against 12,000 posts: the window and its parts, document
//! frequencies, and ranking in parts against ranking at once.

use super::window::Window;
use super::*;

/// 12,000 published posts: `common` in every one, `tenth` in every
/// tenth, `rare` in three.
fn big() -> Connection {
    let mut conn = crate::posts::search::sqlite::test_db();
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
