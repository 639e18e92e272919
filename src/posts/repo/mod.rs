//! All SQL for posts (their search has its own, in `search::repo`).

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

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Post> {
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
}
