//! The per-phrase statistics a search ranks with: each phrase's document
//! frequency (BM25's IDF), cached until the next change to posts so that a
//! common word's is not counted again by every search for it.

use rusqlite::Connection;

use super::matches::{self, SEARCH_CAP};
use crate::ctx::Ctx;
use crate::db::StoreResult;
use crate::posts::search::query;

/// Each phrase's document frequency, for [`super::rank`]; `count` is the
/// query's match count when known (a lone phrase's is its frequency).
/// Frequencies estimated or counted are kept in the `dfs` cache until the
/// next change to posts.
pub fn dfs(
    ctx: &Ctx,
    c: &Connection,
    parsed: &query::Fts5Query,
    count: Option<u64>,
) -> StoreResult<Vec<i64>> {
    let mut dfs = Vec::with_capacity(parsed.phrases.len());
    let mut span = None;
    for phrase in &parsed.phrases {
        dfs.push(
            match (phrase.excluded, phrase.df, parsed.phrases.len(), count) {
                // An excluded phrase never occurs in a hit: its IDF is moot.
                (true, ..) => 0,
                (false, Some(df), ..) => df,
                // A lone phrase's matches are its documents.
                (false, None, 1, Some(count)) if count <= SEARCH_CAP => count as i64,
                (false, None, ..) => match ctx.caches.dfs.get(&phrase.expr) {
                    Ok(df) => df,
                    Err(ticket) => {
                        if span.is_none() {
                            span = Some(matches::rowid_span(c)?);
                        }
                        let df = matches::document_frequency(c, &phrase.expr, span.flatten())?;
                        ctx.caches.dfs.insert(ticket, phrase.expr.clone(), df);
                        df
                    }
                },
            },
        );
    }
    Ok(dfs)
}
