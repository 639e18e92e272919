//! Which posts match a search, for ranking: the newest matches up to the
//! cap, and their split into parts ranked in parallel.

use rusqlite::{params, Connection};

use super::SEARCH_CAP;
use crate::db::StoreResult;

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
pub fn search_window(conn: &Connection, expr: &str) -> StoreResult<Window> {
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
