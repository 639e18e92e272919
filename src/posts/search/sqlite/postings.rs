//! Decoded posting lists, for searches whose words are all common.
//!
//! When every word of a search is in most posts (`rocket sqlite` on a site
//! about both), FTS5 decodes the position lists of every match on every
//! search to rank it. Decoded once into (rowid, weighted frequency, length)
//! and kept in the `postings` cache until the next change to posts, a
//! phrase's list lets such a search intersect, count and rank in memory: the
//! same window, formula and order as [`super::topk::count_and_rank`], so the
//! same answer.

use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};

use super::matches::{self, SEARCH_CAP};
use super::rank::{self, sum_varints};
use super::{stats, topk};
use crate::ctx::Ctx;
use crate::db::StoreResult;
use crate::posts::search::outcome::Hit;
use crate::posts::search::query::Fts5Query;

/// A search takes this path only when each of its phrases is in at least
/// this many posts; rarer phrases are cheap for FTS5 itself.
pub const COMMON_FROM: i64 = 1_000;

/// At most this many of a phrase's newest posts are decoded. A search that
/// would need older ones goes through FTS5 instead.
pub const LOAD_MAX: usize = 4 * SEARCH_CAP as usize;

/// One post containing a phrase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub rowid: i64,
    /// The phrase's instances, each counting its column's weight.
    pub freq: f64,
    /// The post's length in tokens, all columns.
    pub len: u64,
}

/// A phrase's posts, newest first.
#[derive(Debug, PartialEq)]
pub struct Postings {
    pub entries: Vec<Entry>,
    /// Whether `entries` holds every post with the phrase, or only the
    /// newest [`LOAD_MAX`].
    pub complete: bool,
}

impl Postings {
    /// Bytes held, for the cache's budget.
    pub fn weight(&self) -> usize {
        self.entries.len() * std::mem::size_of::<Entry>()
    }
}

/// Decodes the newest [`LOAD_MAX`] posts of `phrase` (a one-phrase MATCH
/// expression); `None` when a post's length is unreadable.
pub fn load(conn: &Connection, phrase: &str) -> StoreResult<Option<Postings>> {
    let mut stmt = conn.prepare_cached(
        "SELECT posts_fts.rowid, folio_freq(posts_fts), d.sz
         FROM posts_fts CROSS JOIN posts_fts_docsize d ON d.id = posts_fts.rowid
         WHERE posts_fts MATCH ?1 ORDER BY posts_fts.rowid DESC LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![phrase, LOAD_MAX as i64 + 1])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        if entries.len() == LOAD_MAX {
            return Ok(Some(Postings {
                entries,
                complete: false,
            }));
        }
        let len = match row.get_ref(2)? {
            ValueRef::Blob(sz) => sum_varints(sz),
            _ => None,
        };
        let Some(len) = len else {
            return Ok(None);
        };
        entries.push(Entry {
            rowid: row.get(0)?,
            freq: row.get(1)?,
            len,
        });
    }
    Ok(Some(Postings {
        entries,
        complete: true,
    }))
}

/// The index's row count and token total (FTS5's averages record), as
/// `folio_rank` reads them.
pub fn totals(conn: &Connection) -> StoreResult<Option<(i64, i64)>> {
    let block: Option<Vec<u8>> = conn
        .prepare_cached("SELECT block FROM posts_fts_data WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    let Some(block) = block else {
        return Ok(Some((0, 0)));
    };
    let Some((rows, used)) = rank::varint(&block) else {
        return Ok(None);
    };
    let tokens = sum_varints(&block[used..]);
    Ok(tokens.and_then(|t| Some((i64::try_from(rows).ok()?, i64::try_from(t).ok()?))))
}

/// Counts the posts in every list (capped at `SEARCH_CAP + 1`) and ranks
/// the newest `SEARCH_CAP` of them: the best `take` as (rowid, score), best
/// first. `idf` holds each list's IDF. `None` when a list was cut short
/// before the answer was known.
pub fn count_and_rank(
    lists: &[&Postings],
    idf: &[f64],
    avgdl: f64,
    take: u64,
) -> Option<(u64, Vec<(i64, f64)>)> {
    let driver = (0..lists.len()).min_by_key(|&i| lists[i].entries.len())?;
    let mut cursors = vec![0usize; lists.len()];
    let mut freqs = vec![0.0_f64; lists.len()];
    let mut scored = Vec::new();
    let mut count = 0u64;
    let mut ended = false;
    'rows: for e in &lists[driver].entries {
        for (j, list) in lists.iter().enumerate() {
            if j == driver {
                freqs[j] = e.freq;
                continue;
            }
            let at = &mut cursors[j];
            while list.entries.get(*at).is_some_and(|o| o.rowid > e.rowid) {
                *at += 1;
            }
            match list.entries.get(*at) {
                Some(o) if o.rowid == e.rowid => freqs[j] = o.freq,
                Some(_) => continue 'rows,
                None => {
                    ended = true;
                    if list.complete {
                        break 'rows;
                    }
                    return None;
                }
            }
        }
        count += 1;
        if count > SEARCH_CAP {
            break;
        }
        let score = -rank::bm25(
            freqs.iter().copied().zip(idf.iter().copied()),
            e.len as f64,
            avgdl,
        );
        scored.push((e.rowid, score));
    }
    let cut_short = !ended && count <= SEARCH_CAP && !lists[driver].complete;
    if cut_short {
        return None;
    }
    Some((count, topk::best(scored, take)))
}

/// A conjunctive search of common phrases, answered from decoded posting
/// lists: the match count and the page's hits. `None` sends the search
/// through FTS5 (another shape of query, a rare phrase, the cache off, or
/// lists too short).
pub fn search(
    ctx: &Ctx,
    conn: &Connection,
    parsed: &Fts5Query,
    limit: u32,
    offset: u64,
) -> StoreResult<Option<(u64, Vec<Hit>)>> {
    let cache = &ctx.caches.postings;
    if !parsed.conjunctive || parsed.phrases.is_empty() || !cache.is_enabled() {
        return Ok(None);
    }
    let mut lists: Vec<Arc<Postings>> = Vec::with_capacity(parsed.phrases.len());
    let mut missing = Vec::new();
    for (i, phrase) in parsed.phrases.iter().enumerate() {
        match cache.get(&phrase.expr) {
            Ok(list) => lists.push(list),
            Err(ticket) => missing.push((i, ticket)),
        }
    }
    let mut dfs = None;
    if !missing.is_empty() {
        // Decoding a list costs about what FTS5 spends ranking it once:
        // worth it only for a phrase that many searches will rank again.
        let found = stats::dfs(ctx, conn, parsed, None)?;
        if found.iter().any(|&df| df < COMMON_FROM) {
            return Ok(None);
        }
        dfs = Some(found);
        for &(i, ticket) in &missing {
            let phrase = &parsed.phrases[i].expr;
            let Some(list) = load(conn, phrase)? else {
                return Ok(None);
            };
            let list = Arc::new(list);
            cache.insert(ticket, phrase.clone(), Arc::clone(&list));
            lists.insert(i, list);
        }
    }
    let Some((rows, tokens)) = totals(conn)? else {
        return Ok(None);
    };
    let lists: Vec<&Postings> = lists.iter().map(Arc::as_ref).collect();
    let take = offset.saturating_add(u64::from(limit));
    // A lone phrase's document frequency is its (capped) count; the others'
    // are what the check above found, when it ran.
    let dfs = match (lists.as_slice(), dfs) {
        ([list], _) => {
            let count = (list.entries.len() as u64).min(SEARCH_CAP + 1);
            stats::dfs(ctx, conn, parsed, Some(count))?
        }
        (_, Some(dfs)) => dfs,
        (_, None) => stats::dfs(ctx, conn, parsed, None)?,
    };
    let idf: Vec<f64> = dfs.iter().map(|&df| rank::idf(rows, df)).collect();
    let avgdl = rank::average_length(rows, tokens);
    let Some((count, ranked)) = count_and_rank(&lists, &idf, avgdl, take) else {
        return Ok(None);
    };
    let page = matches::merge_ranked(vec![ranked], limit, offset);
    Ok(Some((count, matches::hits_for(conn, &parsed.expr, &page)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(rowids: &[i64]) -> Vec<Entry> {
        rowids
            .iter()
            .map(|&rowid| Entry {
                rowid,
                freq: 1.0,
                len: 10,
            })
            .collect()
    }

    /// Every conjunctive shape gives the count, posts, order and score bits
    /// FTS5 gives through `folio_rank`.
    #[test]
    fn equals_counting_and_ranking_through_fts5() {
        let conn = super::super::topk::tests::db();
        let span = matches::rowid_span(&conn).unwrap();
        let df = |p: &str| matches::document_frequency(&conn, p, span).unwrap();
        let (rows, tokens) = totals(&conn).unwrap().unwrap();
        assert_eq!(rows, 10_500);
        let avgdl = rank::average_length(rows, tokens);
        for phrases in [
            vec!["\"common\""],
            vec!["\"odd\""],
            vec!["\"common\"", "\"odd\""],
            vec!["\"odd\"", "\"filler\""],
            vec!["\"filler\"", "\"odd\"", "\"common\""],
            vec!["\"common\"", "\"absent\""],
        ] {
            let expr = phrases.join(" AND ");
            let dfs: Vec<i64> = phrases.iter().map(|p| df(p)).collect();
            let idf: Vec<f64> = dfs.iter().map(|&d| rank::idf(rows, d)).collect();
            let lists: Vec<Postings> = phrases
                .iter()
                .map(|p| load(&conn, p).unwrap().unwrap())
                .collect();
            assert!(lists.iter().all(|l| l.complete));
            let lists: Vec<&Postings> = lists.iter().collect();
            for take in [0, 1, 20, 137, 10_000, 20_000] {
                let want = topk::count_and_rank(&conn, &expr, &dfs, take).unwrap();
                let got = count_and_rank(&lists, &idf, avgdl, take).unwrap();
                assert_eq!(got.0, want.0, "{expr} count");
                let bits = |v: &[(i64, f64)]| -> Vec<(i64, u64)> {
                    v.iter().map(|&(r, s)| (r, s.to_bits())).collect()
                };
                assert_eq!(bits(&got.1), bits(&want.1), "{expr} take {take}");
            }
        }
    }

    #[test]
    fn a_list_cut_short_gives_no_answer_unless_the_answer_is_known() {
        let all = Postings {
            entries: entries(&[9, 7, 5, 3, 1]),
            complete: true,
        };
        let newest = Postings {
            entries: entries(&[9, 8, 7]),
            complete: false,
        };
        // Whether 5, 3 or 1 hold the cut phrase is unknown.
        assert_eq!(count_and_rank(&[&all, &newest], &[1.0, 1.0], 10.0, 5), None);
        assert_eq!(count_and_rank(&[&newest], &[1.0], 10.0, 5), None);
        let complete = Postings {
            entries: entries(&[9, 8, 7]),
            complete: true,
        };
        let (count, ranked) = count_and_rank(&[&all, &complete], &[1.0, 1.0], 10.0, 5).unwrap();
        assert_eq!(count, 2);
        // Equal scores: the newer post first.
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), vec![9, 7]);
        // A list with nothing: no match, known.
        let none = Postings {
            entries: Vec::new(),
            complete: true,
        };
        assert_eq!(
            count_and_rank(&[&all, &none], &[1.0, 1.0], 10.0, 5),
            Some((0, vec![]))
        );
    }

    #[test]
    fn counting_stops_one_past_the_cap() {
        let many: Vec<i64> = (1..=SEARCH_CAP as i64 + 50).rev().collect();
        let long = Postings {
            entries: entries(&many),
            complete: false,
        };
        let (count, ranked) = count_and_rank(&[&long], &[1.0], 10.0, 3).unwrap();
        assert_eq!(count, SEARCH_CAP + 1);
        // Only the newest SEARCH_CAP are ranked; all score alike, newest first.
        let top = SEARCH_CAP as i64 + 50;
        assert_eq!(
            ranked.iter().map(|r| r.0).collect::<Vec<_>>(),
            vec![top, top - 1, top - 2]
        );
    }
}
