//! `GET /api/search`: full-text search over published posts.
//!
//! The query goes through our own parser ([`super::query`]) into a safe FTS5
//! expression, so no input reaches SQLite as syntax. Ranking is bm25 with the
//! title weighted 10× the content. To stay fast when a term matches most of a
//! large database, only the newest 10,000 matches are ranked and `total`
//! stops counting at 10,000 (`exact: false` beyond).

use serde_json::{json, Value};

use super::query::{self, QueryError};
use super::repo::{self, MARK_CLOSE, MARK_OPEN, SEARCH_CAP};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::list::Page;

/// Escapes HTML, then turns the match markers into `<mark>` tags.
pub fn render_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            MARK_OPEN => out.push_str("<mark>"),
            MARK_CLOSE => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}

/// Ranked hits of one page, and how many matched (capped).
pub struct Outcome {
    pub hits: Vec<repo::Hit>,
    pub count: u64,
}

impl Outcome {
    pub fn total(&self) -> u64 {
        self.count.min(SEARCH_CAP)
    }

    pub fn exact(&self) -> bool {
        self.count <= SEARCH_CAP
    }
}

/// `GET /api/search`.
pub async fn search(
    ctx: &Ctx,
    q: Option<&str>,
    page: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<Value> {
    let page = Page::parse(page, limit)?;
    let q = q.ok_or_else(|| ApiError::validation("q", "is required"))?;
    let outcome = run(ctx, q, page.limit, page.offset()).await?;
    let results: Vec<Value> = outcome
        .hits
        .iter()
        .map(|h| {
            json!({
                "post": h.post.json(),
                "rank": rounded(h.rank),
                "snippet": render_snippet(&h.snippet),
            })
        })
        .collect();
    let mut pagination = page.json(outcome.total());
    pagination["exact"] = json!(outcome.exact());
    Ok(json!({"results": results, "pagination": pagination}))
}

pub fn rounded(rank: f64) -> f64 {
    (rank * 1000.0).round() / 1000.0
}

/// Parses `q` and runs the search for one page (REST and GraphQL).
pub async fn run(ctx: &Ctx, q: &str, limit: u32, offset: u64) -> ApiResult<Outcome> {
    let parsed = query::parse_query(q).map_err(|e| match e {
        QueryError::Empty => ApiError::validation("q", "has nothing searchable in it"),
        QueryError::TooLong => ApiError::validation("q", e.to_string()),
    })?;
    let result = ctx
        .db
        .read(move |c| {
            let expr = &parsed.expr;
            let (count, floor) = repo::search_window(c, expr)?;
            let floor = floor.unwrap_or(i64::MIN);
            let mut dfs = Vec::with_capacity(parsed.phrases.len());
            let mut span = None;
            for (phrase, excluded) in &parsed.phrases {
                dfs.push(match (excluded, parsed.phrases.len()) {
                    // An excluded phrase never occurs in a hit: its IDF is moot.
                    (true, _) => 0,
                    // A lone phrase's matches are its documents.
                    (false, 1) if count <= SEARCH_CAP => count as i64,
                    (false, _) => {
                        if span.is_none() {
                            span = Some(repo::rowid_span(c)?);
                        }
                        repo::document_frequency(c, phrase, span.flatten())?
                    }
                });
            }
            let hits = repo::search(c, expr, &dfs, floor, limit, offset)?;
            Ok((count, hits))
        })
        .await;
    let (count, hits) = match result {
        Ok(r) => r,
        Err(ApiError::Internal(cause)) => {
            // The parser makes this unreachable; never answer a query with 5xx.
            tracing::warn!(error = %cause, "search query failed");
            return Err(ApiError::validation("q", "could not be searched"));
        }
        Err(e) => return Err(e),
    };
    Ok(Outcome { hits, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_except_marks() {
        let raw = format!("a <b> & {MARK_OPEN}term{MARK_CLOSE} \"q\"");
        assert_eq!(
            render_snippet(&raw),
            "a &lt;b&gt; &amp; <mark>term</mark> &quot;q&quot;"
        );
    }
}
