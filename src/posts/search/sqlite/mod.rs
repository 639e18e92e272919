//! Search on SQLite: FTS5 with our own tokenizer and ranking.
//!
//! The parsed query is rendered as a safe FTS5 expression, so no input
//! reaches SQLite as syntax. Ranking is bm25 with the title weighted 10× the
//! content. To stay fast when a term matches most of a large database, only
//! the newest [`SEARCH_CAP`](super::SEARCH_CAP) matches are ranked and the count stops there.
//!
//! A prefix term (`ru*`) is expanded into the indexed tokens it matches
//! (`("rust" OR "rusty")`), read from the index's vocabulary and cached until
//! the next change to posts: FTS5 then reads each token's posting list
//! lazily, newest first, instead of merging every matching list in full. A
//! prefix matching more than [`MAX_EXPANSION`] tokens stays an FTS5 prefix
//! query (at most [`MAX_NATIVE_PREFIXES`] per query).
//!
//! Every read of a search goes through [`limits`]: searches together hold at
//! most `database.search_reads` connections, and a read running past
//! `database.search_timeout_ms` is stopped and the search answered `400`.
//!
//! This file plans and runs a search; `expand.rs` expands its prefixes,
//! `matches/` holds the ranking SQL, `postings.rs` the path for common
//! terms, and `index.rs` keeps the index in step with the posts table.

mod expand;
#[cfg(test)]
mod fts5_tests;
pub mod index;
pub mod limits;
pub mod matches;
pub mod postings;
pub mod rank;
pub mod stats;
pub mod tokenize;
pub mod topk;

use std::collections::HashMap;
use std::sync::Arc;

use expand::{expansion, too_broad};

use super::outcome::{Hit, Outcome};
use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::posts::search::query::Parsed;

pub use expand::{EXPANSION_BUDGET, MAX_NATIVE_PREFIXES};

/// An in-memory database with Folio's schema, the ranking functions and
/// one author, `u`, for the engine's tests to fill with posts.
#[cfg(test)]
pub(crate) fn test_db() -> rusqlite::Connection {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
    rank::register(&conn).unwrap();
    conn.execute(
        "INSERT INTO users (id, username, email, password_hash) VALUES ('u', 'u', 'u@x', 'x')",
        [],
    )
    .unwrap();
    conn
}

/// From this many ranked matches on, a search ranks them in parts
/// (`Ctx::search_parts`), on as many pooled connections at once, so a term
/// common in a large database does not rank on one core. Below it, one
/// statement on one connection ranks them and reads the page.
pub const PARALLEL_FROM: usize = 2_000;

/// How many of a split search's page of `len` hits one read fetches: the
/// page in at most `parts` reads, none of fewer than four hits, so that each
/// read's own cost (the hop to a pooled connection) stays small beside it.
pub fn page_chunk(len: usize, parts: usize) -> usize {
    len.div_ceil(parts.max(1)).max(4)
}

/// What the first read of a search found.
enum Plan {
    /// Ranked in one statement: the match count and the page.
    Done(u64, Vec<Hit>),
    /// To be ranked in parts: the match count, the expression, each
    /// phrase's document frequency, and each part's rowid range.
    Split(u64, Arc<str>, Arc<[i64]>, Vec<(i64, i64)>),
}

/// Runs a parsed search for one page.
pub async fn run(ctx: &Ctx, parsed: Parsed, limit: u32, offset: u64) -> ApiResult<Outcome> {
    let shared = ctx.clone();
    let parts = ctx.search_parts;
    let limits = &ctx.search_limits;
    let plan = limits
        .read(&ctx.db, move |c| {
            let mut expansions = HashMap::new();
            let mut budget = EXPANSION_BUDGET;
            let mut native = 0;
            for p in parsed.prefixes() {
                let tokens = expansion(&shared, c, p)?.filter(|t| t.len() <= budget);
                match &tokens {
                    Some(t) => budget -= t.len(),
                    None => native += 1,
                }
                if native > MAX_NATIVE_PREFIXES {
                    return Err(too_broad());
                }
                expansions.insert(p.to_string(), tokens);
            }
            let Some(parsed) = parsed.render(|p| expansions.get(p).and_then(|e| e.as_deref()))
            else {
                // A prefix that must match matches no indexed token.
                return Ok(Plan::Done(0, Vec::new()));
            };
            if let Some((count, hits)) = postings::search(&shared, c, &parsed, limit, offset)? {
                return Ok(Plan::Done(count, hits));
            }
            let expr = &parsed.expr;
            // A lone phrase's document frequency is its match count, known
            // only after counting; otherwise, unless this search is alone and
            // may be split, one pass counts and ranks.
            let lone = matches!(parsed.phrases.as_slice(), [p] if p.df.is_none() && !p.excluded);
            let may_split = parts > 1 && shared.search_limits.alone();
            if !(lone || may_split) {
                let dfs = stats::dfs(&shared, c, &parsed, None)?;
                let take = offset.saturating_add(u64::from(limit));
                let (count, ranked) = topk::count_and_rank(c, expr, &dfs, take)?;
                let page = matches::merge_ranked(vec![ranked], limit, offset);
                return Ok(Plan::Done(count, matches::hits_for(c, expr, &page)?));
            }
            let window = matches::search_window(c, expr)?;
            let count = window.count;
            let dfs = stats::dfs(&shared, c, &parsed, Some(count))?;
            if parts > 1 && window.rowids.len() >= PARALLEL_FROM {
                let ranges = window.ranges(parts);
                return Ok(Plan::Split(
                    count,
                    Arc::from(expr.as_str()),
                    dfs.into(),
                    ranges,
                ));
            }
            let floor = window.floor().unwrap_or(i64::MIN);
            let hits = matches::search(c, expr, &dfs, floor, limit, offset)?;
            Ok(Plan::Done(count, hits))
        })
        .await;
    let (count, hits) = match plan? {
        Plan::Done(count, hits) => (count, hits),
        Plan::Split(count, expr, dfs, ranges) => {
            // Each part's best `offset + limit`; the page is among them. The
            // parts and the page are separate reads: a post changed in
            // between is ranked as it was, and one deleted is left out.
            let take = offset.saturating_add(u64::from(limit));
            let ranked = ranges.into_iter().map(|range| {
                let (expr, dfs) = (Arc::clone(&expr), Arc::clone(&dfs));
                limits.read(&ctx.db, move |c| {
                    Ok(matches::rank_range(c, &expr, &dfs, range, take)?)
                })
            });
            let ranked = rocket::futures::future::try_join_all(ranked).await?;
            let page = matches::merge_ranked(ranked, limit, offset);
            // The page's posts and snippets, read in as many parts too,
            // kept in order.
            let reads = page.chunks(page_chunk(page.len(), parts)).map(|chunk| {
                let (expr, chunk) = (Arc::clone(&expr), chunk.to_vec());
                limits.read(&ctx.db, move |c| Ok(matches::hits_for(c, &expr, &chunk)?))
            });
            let hits = rocket::futures::future::try_join_all(reads).await?;
            (count, hits.into_iter().flatten().collect())
        }
    };
    Ok(Outcome { hits, count })
}
