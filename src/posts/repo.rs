//! All SQL for posts and their full-text search.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::model::{Post, PostSort, PublishedFilter};
use crate::error::ApiResult;

/// The columns [`from_row`] reads. A macro, so that statements built on it
/// are `concat!`ed at compile time: a `format!` per lookup was 2 % of an
/// uncached read's CPU, only to build the statement cache's key.
macro_rules! select_posts {
    () => {
        "SELECT p.id, p.title, p.slug, p.content, p.author_id, u.username,
    p.published, p.published_at, p.created_at, p.updated_at
    FROM posts p JOIN users u ON u.id = p.author_id"
    };
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        id: r.get(0)?,
        title: r.get(1)?,
        slug: r.get(2)?,
        content: r.get(3)?,
        author_id: r.get(4)?,
        author_username: r.get(5)?,
        published: r.get(6)?,
        published_at: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

pub fn by_id(conn: &Connection, id: &str) -> ApiResult<Option<Post>> {
    Ok(conn
        .prepare_cached(concat!(select_posts!(), " WHERE p.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_slug(conn: &Connection, slug: &str) -> ApiResult<Option<Post>> {
    Ok(conn
        .prepare_cached(concat!(select_posts!(), " WHERE p.slug = ?1"))?
        .query_row([slug], from_row)
        .optional()?)
}

pub fn slug_taken(conn: &Connection, slug: &str, except_id: Option<&str>) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM posts WHERE slug = ?1 AND id <> ?2)",
        params![slug, except_id.unwrap_or("")],
        |r| r.get(0),
    )?)
}

/// The highest `-N` suffix in use for `base` (1 when only `base` exists),
/// numbered slugs being `{suffix_stem(base)}-N`.
pub fn highest_suffix(conn: &Connection, base: &str) -> ApiResult<Option<u64>> {
    let stem = super::model::suffix_stem(base);
    // A range, not `slug GLOB 'base-[0-9]*'`: SQLite re-prepares a statement
    // whenever a GLOB or LIKE pattern parameter changes (its index use
    // depends on the pattern), which cost a tenth of the writer's time on a
    // create. Every slug that is `base` or starts with `base-` sorts in
    // [stem, stem + "."), since '.' follows '-' (and `base` is `stem` or
    // starts with `stem-`).
    let mut stmt =
        conn.prepare_cached("SELECT slug FROM posts WHERE slug >= ?1 AND slug < ?1 || '.'")?;
    let rows = stmt.query_map(params![stem], |r| r.get::<_, String>(0))?;
    let mut best: Option<u64> = None;
    for slug in rows {
        let slug = slug?;
        let n = if slug == base {
            Some(1)
        } else {
            slug.strip_prefix(stem.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|digits| digits.parse::<u64>().ok())
        };
        if let Some(n) = n {
            best = Some(best.map_or(n, |b| b.max(n)));
        }
    }
    Ok(best)
}

pub struct NewPost<'a> {
    pub id: &'a str,
    pub author_id: &'a str,
    pub title: &'a str,
    pub slug: &'a str,
    pub content: &'a str,
    pub published: bool,
    /// `created_at` and `updated_at`, and `published_at` when published
    /// (`clock::now_string()`; formatted here rather than by SQLite's
    /// `strftime`, which cost the writer more).
    pub at: &'a str,
}

pub fn insert(conn: &Connection, p: &NewPost<'_>) -> ApiResult<()> {
    let published_at = p.published.then_some(p.at);
    conn.prepare_cached(
        "INSERT INTO posts
            (id, author_id, title, slug, content, published, published_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        p.id,
        p.author_id,
        p.title,
        p.slug,
        p.content,
        p.published,
        published_at,
        p.at
    ])?;
    Ok(())
}

pub fn update_fields(
    conn: &Connection,
    id: &str,
    title: Option<&str>,
    content: Option<&str>,
    slug: Option<&str>,
) -> ApiResult<()> {
    conn.execute(
        "UPDATE posts SET title = coalesce(?2, title), content = coalesce(?3, content),
            slug = coalesce(?4, slug)
         WHERE id = ?1",
        params![id, title, content, slug],
    )?;
    Ok(())
}

/// Publishes (keeping the first `published_at`) or unpublishes.
pub fn set_published(conn: &Connection, id: &str, published: bool) -> ApiResult<()> {
    conn.execute(
        "UPDATE posts SET published = ?2,
            published_at = CASE WHEN ?2 = 1 THEN coalesce(published_at, ?3) ELSE published_at END
         WHERE id = ?1",
        params![id, published, crate::clock::now_string()],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: &str) -> ApiResult<bool> {
    Ok(conn.execute("DELETE FROM posts WHERE id = ?1", [id])? > 0)
}

pub fn ids_by_author(conn: &Connection, author_id: &str) -> ApiResult<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT id, slug FROM posts WHERE author_id = ?1")?;
    let rows = stmt.query_map([author_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which posts a list may show.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub published: PublishedFilter,
    /// For a plain user: drafts only of this author. `None`: every draft
    /// (admins, keys) — or none at all for anonymous callers (see `no_drafts`).
    pub drafts_of: Option<String>,
    pub no_drafts: bool,
    pub author_id: Option<String>,
}

impl ListFilter {
    fn sql(&self, args: &mut Vec<SqlValue>) -> String {
        let mut clauses = Vec::new();
        let own = |args: &mut Vec<SqlValue>, id: &str| {
            args.push(SqlValue::Text(id.to_string()));
            format!("p.author_id = ?{}", args.len())
        };
        match (self.published, self.no_drafts, &self.drafts_of) {
            (PublishedFilter::Published, _, _) | (PublishedFilter::Any, true, _) => {
                clauses.push("p.published = 1".to_string())
            }
            (PublishedFilter::Drafts, true, _) => clauses.push("0".to_string()),
            (PublishedFilter::Drafts, false, None) => clauses.push("p.published = 0".to_string()),
            (PublishedFilter::Drafts, false, Some(me)) => {
                let c = own(args, me);
                clauses.push(format!("p.published = 0 AND {c}"));
            }
            (PublishedFilter::Any, false, None) => {}
            (PublishedFilter::Any, false, Some(me)) => {
                let c = own(args, me);
                clauses.push(format!("(p.published = 1 OR {c})"));
            }
        }
        if let Some(author) = &self.author_id {
            let c = own(args, author);
            clauses.push(c);
        }
        if clauses.is_empty() {
            "1".to_string()
        } else {
            clauses.join(" AND ")
        }
    }
}

/// The expression a sort orders by (never NULL, for keyset paging).
pub fn sort_key(sort: PostSort, filter: PublishedFilter) -> &'static str {
    match (sort, filter) {
        (PostSort::PublishedDesc | PostSort::PublishedAsc, PublishedFilter::Published) => {
            "p.published_at"
        }
        (PostSort::PublishedDesc | PostSort::PublishedAsc, _) => "coalesce(p.published_at, '')",
        (PostSort::CreatedDesc | PostSort::CreatedAsc, _) => "p.created_at",
        (PostSort::Title, _) => "p.title",
    }
}

/// Where a keyset page starts: after the item with this sort value and id.
#[derive(Debug, Clone)]
pub struct After {
    pub key: String,
    pub id: String,
}

/// One page of posts plus the sort key of each (for the next cursor).
pub fn list(
    conn: &Connection,
    filter: &ListFilter,
    sort: PostSort,
    limit: u32,
    offset: u64,
    after: Option<&After>,
) -> ApiResult<Vec<(Post, String)>> {
    let mut args = Vec::new();
    let mut sql_where = filter.sql(&mut args);
    let key = sort_key(sort, filter.published);
    let dir = if sort.descending() { "DESC" } else { "ASC" };
    if let Some(a) = after {
        let op = if sort.descending() { "<" } else { ">" };
        args.push(SqlValue::Text(a.key.clone()));
        args.push(SqlValue::Text(a.id.clone()));
        sql_where.push_str(&format!(
            " AND ({key}, p.id) {op} (?{}, ?{})",
            args.len() - 1,
            args.len()
        ));
    }
    args.push(SqlValue::Integer(i64::from(limit)));
    args.push(SqlValue::Integer(offset.min(i64::MAX as u64) as i64));
    let sql = format!(
        "SELECT p.id, p.title, p.slug, p.content, p.author_id, u.username,
            p.published, p.published_at, p.created_at, p.updated_at, {key}
         FROM posts p JOIN users u ON u.id = p.author_id
         WHERE {sql_where}
         ORDER BY {key} {dir}, p.id {dir}
         LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| Ok((from_row(r)?, r.get(10)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// How many posts a filter matches, from the per-author counts that
/// triggers keep in `post_counts` (the filter only ever tests `published`
/// and `author_id`, which that table has): counting the rows themselves
/// takes ~120 ms at 1M posts.
pub fn count(conn: &Connection, filter: &ListFilter) -> ApiResult<u64> {
    let mut args = Vec::new();
    let sql_where = filter.sql(&mut args);
    let sql = format!("SELECT coalesce(sum(p.n), 0) FROM post_counts p WHERE {sql_where}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
}

/// Applies the search index changes the posts triggers queued in
/// `posts_fts_pending` (migration 0009), in order, in one statement, so FTS5
/// writes one index segment for them all. The writer runs it before every
/// COMMIT; any other connection that changes posts must run it before its
/// own. Cheap when nothing is queued.
pub fn apply_index_changes(conn: &Connection) -> rusqlite::Result<()> {
    let queued = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM posts_fts_pending)")?
        .query_row([], |r| r.get::<_, bool>(0))?;
    if !queued {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO posts_fts (posts_fts, rowid, title, content)
         SELECT op, rid, title, content FROM posts_fts_pending ORDER BY seq",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM posts_fts_pending")?
        .execute([])?;
    Ok(())
}

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

/// Counts for the admin dashboard: (posts, published posts).
pub fn counts(conn: &Connection) -> ApiResult<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN published = 1 THEN n END), 0)
         FROM post_counts",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The visible posts of several authors at once, newest first, `limit` and
/// `offset` applied per author (one query, for GraphQL's DataLoader).
/// `all_drafts`: the viewer sees every draft; else drafts of `viewer` only.
pub fn by_authors(
    conn: &Connection,
    authors: &[String],
    all_drafts: bool,
    viewer: Option<&str>,
    limit: u32,
    offset: u64,
) -> ApiResult<Vec<Post>> {
    let list = serde_json::to_string(authors).map_err(crate::error::ApiError::internal)?;
    let sql = "SELECT id, title, slug, content, author_id, username, published, published_at,
            created_at, updated_at FROM (
          SELECT p.id, p.title, p.slug, p.content, p.author_id, u.username, p.published,
            p.published_at, p.created_at, p.updated_at,
            row_number() OVER (PARTITION BY p.author_id ORDER BY p.created_at DESC, p.id DESC) AS n
          FROM posts p JOIN users u ON u.id = p.author_id
          WHERE p.author_id IN (SELECT value FROM json_each(?1))
            AND (p.published = 1 OR ?2 OR p.author_id = ?3))
        WHERE n > ?4 AND n <= ?4 + ?5
        ORDER BY author_id, n";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![
            list,
            all_drafts,
            viewer.unwrap_or(""),
            offset.min(i64::MAX as u64 / 2) as i64,
            i64::from(limit)
        ],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every post in creation order (for `folio export`).
pub fn export_all(conn: &Connection, mut each: impl FnMut(Post) -> ApiResult<()>) -> ApiResult<()> {
    let mut stmt = conn.prepare(concat!(select_posts!(), " ORDER BY p.created_at, p.id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(from_row(r)?)?;
    }
    Ok(())
}

/// Inserts an exported post as it was (for `folio import`).
pub fn import(conn: &Connection, p: &Post) -> ApiResult<()> {
    conn.prepare_cached(
        "INSERT INTO posts (id, author_id, title, slug, content, published, published_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        p.id,
        p.author_id,
        p.title,
        p.slug,
        p.content,
        p.published,
        p.published_at,
        p.created_at,
        p.updated_at
    ])?;
    Ok(())
}

pub fn is_empty(conn: &Connection) -> ApiResult<bool> {
    Ok(conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM posts)",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 12,000 published posts: `common` in every one, `tenth` in every
    /// tenth, `rare` in three.
    fn big() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
        crate::posts::rank::register(&conn).unwrap();
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
        apply_index_changes(&tx).unwrap();
        tx.commit().unwrap();
        conn
    }

    /// `post_counts` agrees with counting the rows after every kind of
    /// change, including posts deleted with their author.
    #[test]
    fn kept_counts_match_the_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO users (id, username, email, password_hash) VALUES
                 ('a', 'a', 'a@x', 'x'), ('b', 'b', 'b@x', 'x');
             INSERT INTO posts (id, author_id, title, slug, content, published) VALUES
                 ('1', 'a', 't', 's1', 'c', 1), ('2', 'a', 't', 's2', 'c', 0),
                 ('3', 'b', 't', 's3', 'c', 1), ('4', 'b', 't', 's4', 'c', 1);",
        )
        .unwrap();
        let check = |conn: &Connection, step: &str| {
            let filters = [
                (PublishedFilter::Any, false, None, None),
                (PublishedFilter::Published, false, None, None),
                (PublishedFilter::Drafts, false, None, None),
                (PublishedFilter::Drafts, false, Some("a"), None),
                (PublishedFilter::Any, false, Some("b"), None),
                (PublishedFilter::Any, true, None, Some("a")),
                (PublishedFilter::Published, false, None, Some("b")),
            ];
            for (published, no_drafts, drafts_of, author) in filters {
                let filter = ListFilter {
                    published,
                    no_drafts,
                    drafts_of: drafts_of.map(str::to_string),
                    author_id: author.map(str::to_string),
                };
                let mut args = Vec::new();
                let sql = format!(
                    "SELECT count(*) FROM posts p WHERE {}",
                    filter.sql(&mut args)
                );
                let rows: i64 = conn
                    .query_row(&sql, params_from_iter(args), |r| r.get(0))
                    .unwrap();
                assert_eq!(count(conn, &filter).unwrap(), rows as u64, "{step}");
            }
            let (all, published): (i64, i64) = conn
                .query_row(
                    "SELECT count(*), count(*) FILTER (WHERE published = 1) FROM posts",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(counts(conn).unwrap(), (all, published), "{step}");
        };
        check(&conn, "seeded");
        for (step, sql) in [
            ("publish", "UPDATE posts SET published = 1 WHERE id = '2'"),
            ("unpublish", "UPDATE posts SET published = 0 WHERE id = '3'"),
            ("retitle", "UPDATE posts SET title = 'u' WHERE id = '1'"),
            (
                "reassign",
                "UPDATE posts SET author_id = 'b' WHERE id = '1'",
            ),
            ("delete", "DELETE FROM posts WHERE id = '4'"),
            ("author deleted", "DELETE FROM users WHERE id = 'b'"),
        ] {
            conn.execute_batch(sql).unwrap();
            check(&conn, step);
        }
        assert_eq!(counts(&conn).unwrap(), (1, 1));
    }

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
