//! The posts' list SQL: filtered, sorted and paged lists, counts, and the
//! posts of several authors at once.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection};

use super::from_row;
use crate::db::{StoreError, StoreResult};
use crate::ids::UserId;
use crate::posts::model::{Post, PostSort, PublishedFilter};
use crate::posts::repo::{After, ListFilter};

impl ListFilter {
    pub(super) fn sql(&self, args: &mut Vec<SqlValue>) -> String {
        let mut clauses = Vec::new();
        let own = |args: &mut Vec<SqlValue>, id: &UserId| {
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

/// One page of posts plus the sort key of each (for the next cursor).
pub fn list(
    conn: &Connection,
    filter: &ListFilter,
    sort: PostSort,
    limit: u32,
    offset: u64,
    after: Option<&After>,
) -> StoreResult<Vec<(Post, String)>> {
    let mut args = Vec::new();
    let mut sql_where = filter.sql(&mut args);
    let key = sort_key(sort, filter.published);
    let dir = if sort.descending() { "DESC" } else { "ASC" };
    if let Some(a) = after {
        let op = if sort.descending() { "<" } else { ">" };
        args.push(SqlValue::Text(a.key.clone()));
        args.push(SqlValue::Text(a.id.to_string()));
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
/// and `author_id`, which that table has), instead of counting the rows,
/// which grows with the table.
pub fn count(conn: &Connection, filter: &ListFilter) -> StoreResult<u64> {
    let mut args = Vec::new();
    let sql_where = filter.sql(&mut args);
    let sql = format!("SELECT coalesce(sum(p.n), 0) FROM post_counts p WHERE {sql_where}");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
}

/// Counts for the admin dashboard: (posts, published posts).
pub fn counts(conn: &Connection) -> StoreResult<(i64, i64)> {
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
    authors: &[UserId],
    all_drafts: bool,
    viewer: Option<&UserId>,
    limit: u32,
    offset: u64,
) -> StoreResult<Vec<Post>> {
    let list = serde_json::to_string(authors).map_err(StoreError::other)?;
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
            viewer.map_or("", |i| i.as_str()),
            offset.min(i64::MAX as u64 / 2) as i64,
            i64::from(limit)
        ],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
