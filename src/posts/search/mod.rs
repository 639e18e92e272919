//! `GET /api/search`: full-text search over published posts.
//!
//! The query goes through our own parser ([`super::query`]) into a safe FTS5
//! expression, so no input reaches SQLite as syntax. Ranking is bm25 with the
//! title weighted 10× the content. To stay fast when a term matches most of a
//! large database, only the newest 10,000 matches are ranked and `total`
//! stops counting at 10,000 (`exact: false` beyond).
//!
//! A prefix term (`ru*`) is expanded into the indexed tokens it matches
//! (`("rust" OR "rusty")`), read from the index's vocabulary and cached until
//! the next change to posts. The same posts match, but FTS5 reads each
//! token's posting list lazily, newest first, instead of merging every
//! matching list in full before its first row — once per statement, and a
//! search runs several. A prefix matching more than [`MAX_EXPANSION`] tokens
//! stays an FTS5 prefix query (at most [`MAX_NATIVE_PREFIXES`] per query).
//!
//! Every read of a search goes through [`super::limits`]: searches together
//! hold at most `database.search_reads` connections, and a read running past
//! `database.search_timeout_ms` is stopped and the search answered `400`.

pub mod index;
pub mod limits;
pub mod postings;
pub mod query;
pub mod rank;
pub mod repo;
pub mod stats;
pub mod tokenize;
pub mod topk;

use std::collections::HashMap;
use std::sync::Arc;

use rusqlite::Connection;
use serde::Serialize;
use serde_json::{json, Value};

use query::{Expansion, QueryError};
use repo::{MARK_CLOSE, MARK_OPEN, SEARCH_CAP};
use tokenize::Mode;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::values::page::Page;

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

/// `GET /api/search`: one page of ranked results, as the response body.
pub async fn search(
    ctx: &Ctx,
    q: Option<&str>,
    page: Option<&str>,
    limit: Option<&str>,
) -> ApiResult<String> {
    let page = Page::parse(page, limit)?;
    let q = q.ok_or_else(|| ApiError::validation("q", "is required"))?;
    let outcome = run(ctx, q, page.limit, page.offset()).await?;
    let mut pagination = page.json(outcome.total());
    pagination["exact"] = json!(outcome.exact());
    let body = Body {
        pagination,
        results: outcome
            .hits
            .iter()
            .map(|h| Hit {
                post: &h.post,
                rank: rounded(h.rank),
                snippet: render_snippet(&h.snippet),
            })
            .collect(),
    };
    serde_json::to_string(&body).map_err(ApiError::internal)
}

/// The body of `GET /api/search`, written straight out (keys in the sorted
/// order a `serde_json::Value` gives them, so the bytes are the same).
#[derive(Serialize)]
struct Body<'a> {
    pagination: Value,
    results: Vec<Hit<'a>>,
}

#[derive(Serialize)]
struct Hit<'a> {
    post: &'a crate::posts::model::Post,
    rank: f64,
    snippet: String,
}

pub fn rounded(rank: f64) -> f64 {
    (rank * 1000.0).round() / 1000.0
}

/// Most indexed tokens a prefix is expanded into; a prefix matching more
/// (`a*` on a large vocabulary) stays an FTS5 prefix query.
pub const MAX_EXPANSION: usize = 32;

/// Most tokens all of a query's prefixes together are expanded into: every
/// token is one more posting list read and one more phrase ranked in every
/// match. With at most [`query::MAX_TERMS`] other phrases, the ranking
/// function's argument list (one per phrase) stays far below SQLite's limit
/// of 1,000.
pub const EXPANSION_BUDGET: usize = 128;

/// Most prefixes of one query that stay FTS5 prefix queries (too many
/// tokens, or past [`EXPANSION_BUDGET`]); each merges every matching posting
/// list in full, in every statement of the search. A query with more is
/// answered `400`.
pub const MAX_NATIVE_PREFIXES: usize = 2;

/// From this many ranked matches on, a search ranks them in parts
/// (`Ctx::search_parts`), on as many pooled connections at once: a
/// term in 1 % of 1M posts ranks ~9,000 of them, 30 ms on one core. Below
/// it, one statement on one connection ranks them and reads the page.
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
    Done(u64, Vec<repo::Hit>),
    /// To be ranked in parts: the match count, the expression, each
    /// phrase's document frequency, and each part's rowid range.
    Split(u64, Arc<str>, Arc<[i64]>, Vec<(i64, i64)>),
}

/// Parses `q` and runs the search for one page (REST and GraphQL).
pub async fn run(ctx: &Ctx, q: &str, limit: u32, offset: u64) -> ApiResult<Outcome> {
    let parsed = query::parse_terms(q).map_err(|e| match e {
        QueryError::Empty => ApiError::validation("q", "has nothing searchable in it"),
        QueryError::TooLong => ApiError::validation("q", e.to_string()),
    })?;
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
                let page = repo::merge_ranked(vec![ranked], limit, offset);
                return Ok(Plan::Done(count, repo::hits_for(c, expr, &page)?));
            }
            let window = repo::search_window(c, expr)?;
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
            let hits = repo::search(c, expr, &dfs, floor, limit, offset)?;
            Ok(Plan::Done(count, hits))
        })
        .await;
    let (count, hits) = match searched(plan)? {
        Plan::Done(count, hits) => (count, hits),
        Plan::Split(count, expr, dfs, ranges) => {
            // Each part's best `offset + limit`; the page is among them. The
            // parts and the page are separate reads: a post changed in
            // between is ranked as it was, and one deleted is left out.
            let take = offset.saturating_add(u64::from(limit));
            let ranked = ranges.into_iter().map(|range| {
                let (expr, dfs) = (Arc::clone(&expr), Arc::clone(&dfs));
                limits.read(&ctx.db, move |c| {
                    repo::rank_range(c, &expr, &dfs, range, take)
                })
            });
            let ranked = searched(rocket::futures::future::try_join_all(ranked).await)?;
            let page = repo::merge_ranked(ranked, limit, offset);
            // The page's posts and snippets (~0.1 ms each at 1M posts), read
            // in as many parts too, kept in order.
            let reads = page.chunks(page_chunk(page.len(), parts)).map(|chunk| {
                let (expr, chunk) = (Arc::clone(&expr), chunk.to_vec());
                limits.read(&ctx.db, move |c| repo::hits_for(c, &expr, &chunk))
            });
            let hits = searched(rocket::futures::future::try_join_all(reads).await)?;
            (count, hits.into_iter().flatten().collect())
        }
    };
    Ok(Outcome { hits, count })
}

/// The answer to a query whose prefixes stand for too many words.
fn too_broad() -> ApiError {
    ApiError::validation(
        "q",
        format!(
            "is too broad: at most {MAX_NATIVE_PREFIXES} prefixes may each match more than \
             {MAX_EXPANSION} indexed words, or all together more than {EXPANSION_BUDGET}; \
             make prefixes longer"
        ),
    )
}

/// A search's database error as the answer to the query.
fn searched<T>(result: ApiResult<T>) -> ApiResult<T> {
    match result {
        Err(ApiError::Internal(cause)) => {
            // The parser makes this unreachable; never answer a query with 5xx.
            tracing::warn!(error = %cause, "search query failed");
            Err(ApiError::validation("q", "could not be searched"))
        }
        other => other,
    }
}

/// The indexed tokens a prefix term matches, through the `terms` cache;
/// `None` keeps it an FTS5 prefix query: when it matches more than
/// [`MAX_EXPANSION`] tokens, is several tokens (`e-mai*`), or a token would
/// not survive being searched as a word (stemming it again changes it).
fn expansion(ctx: &Ctx, conn: &Connection, prefix: &str) -> ApiResult<Option<Arc<Expansion>>> {
    let key = prefix.to_string();
    let ticket = match ctx.caches.terms.get(&key) {
        Ok(found) => return Ok(found),
        Err(ticket) => ticket,
    };
    let found = load_expansion(conn, prefix)?.map(Arc::from);
    ctx.caches.terms.insert(ticket, key, found.clone());
    Ok(found)
}

fn load_expansion(conn: &Connection, prefix: &str) -> ApiResult<Option<Vec<(String, i64)>>> {
    let tokens = tokenize::tokens(conn, prefix, Mode::Prefix)?;
    let [token] = tokens.as_slice() else {
        return Ok(None);
    };
    let found = repo::tokens_with_prefix(conn, token, MAX_EXPANSION + 1)?;
    if found.len() > MAX_EXPANSION {
        return Ok(None);
    }
    for (term, _) in &found {
        if tokenize::tokens(conn, term, Mode::Query)? != [term.as_str()] {
            return Ok(None);
        }
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(contents: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
        conn.execute(
            "INSERT INTO users (id, username, email, password_hash) VALUES ('u', 'u', 'u@x', 'x')",
            [],
        )
        .unwrap();
        for (i, content) in contents.iter().enumerate() {
            conn.execute(
                "INSERT INTO posts (id, author_id, title, slug, content, published)
                 VALUES (?1, 'u', 'post', ?1, ?2, 1)",
                rusqlite::params![format!("p{i}"), content],
            )
            .unwrap();
        }
        index::apply_index_changes(&conn).unwrap();
        conn
    }

    fn rowids(conn: &Connection, expr: &str) -> Vec<i64> {
        conn.prepare("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?1 ORDER BY rowid")
            .unwrap()
            .query_map([expr], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn expanded_prefixes_match_what_fts5_prefixes_match() {
        let many: Vec<String> = (0..40)
            .map(|i| format!("zz{}", char::from(b'a' + i % 26)).repeat(1 + usize::from(i / 26)))
            .collect();
        let many = many.join(" ");
        let conn = db(&[
            "Running runners run; the runner ran",
            "Rust rusty rustacean trust",
            "Crème brûlée and crêpes",
            "e-mail me, email you",
            &many,
            "généralement deliveries delivery",
            "nothing to see",
        ]);
        let queries = [
            "run*",
            "Running*",
            "runn*",
            "rust*",
            "ru*",
            "r*",
            "crem*",
            "CRÈ*",
            "e-mai*",
            "emai*",
            "zz*",
            "zza*",
            "gén*",
            "deliv*",
            "rust* -trust*",
            "rust* OR crem*",
            "-ru* see",
            "qqq*",
            "see qqq*",
            "see OR qqq*",
            "see -qqq*",
        ];
        for q in queries {
            let parsed = query::parse_terms(q).unwrap();
            let native = parsed.render(|_| None).unwrap();
            let expansions: HashMap<String, Option<Vec<(String, i64)>>> = parsed
                .prefixes()
                .into_iter()
                .map(|p| (p.to_string(), load_expansion(&conn, p).unwrap()))
                .collect();
            let expanded = parsed.render(|p| expansions.get(p).and_then(|e| e.as_deref()));
            let want = rowids(&conn, &native.expr);
            let got = expanded.map_or_else(Vec::new, |q| rowids(&conn, &q.expr));
            assert_eq!(got, want, "{q}: {expansions:?}");
        }
        // What was and was not expanded, and the counts that come along.
        assert_eq!(
            load_expansion(&conn, "Running").unwrap(),
            Some(vec![("run".to_string(), 1), ("runner".to_string(), 1)])
        );
        assert_eq!(load_expansion(&conn, "qqq").unwrap(), Some(vec![]));
        assert_eq!(load_expansion(&conn, "zz").unwrap(), None, "over the limit");
        assert_eq!(load_expansion(&conn, "e-mai").unwrap(), None, "two tokens");
        assert!(load_expansion(&conn, "zza").unwrap().is_some());
    }

    #[test]
    fn snippets_are_escaped_except_marks() {
        let raw = format!("a <b> & {MARK_OPEN}term{MARK_CLOSE} \"q\"");
        assert_eq!(
            render_snippet(&raw),
            "a &lt;b&gt; &amp; <mark>term</mark> &quot;q&quot;"
        );
    }
}
