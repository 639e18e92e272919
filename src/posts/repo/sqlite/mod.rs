//! The posts repo on SQLite (search has its own SQL, in `search::sqlite`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{NewPost, PostsRepo};
use crate::db::{Sqlite, StoreResult};
use crate::ids::{PostId, UserId};
use crate::posts::model::Post;

/// The columns [`from_row`] reads. A macro, so that statements built on it
/// are `concat!`ed at compile time instead of formatted on every lookup.
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

mod list;

pub fn by_id(conn: &Connection, id: &PostId) -> StoreResult<Option<Post>> {
    Ok(conn
        .prepare_cached(concat!(select_posts!(), " WHERE p.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_slug(conn: &Connection, slug: &str) -> StoreResult<Option<Post>> {
    Ok(conn
        .prepare_cached(concat!(select_posts!(), " WHERE p.slug = ?1"))?
        .query_row([slug], from_row)
        .optional()?)
}

pub fn slug_taken(conn: &Connection, slug: &str, except_id: Option<&PostId>) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM posts WHERE slug = ?1 AND id <> ?2)",
        params![slug, except_id.map_or("", |i| i.as_str())],
        |r| r.get(0),
    )?)
}

/// The highest `-N` suffix in use for `base` (1 when only `base` exists),
/// numbered slugs being `{suffix_stem(base)}-N`.
pub fn highest_suffix(conn: &Connection, base: &str) -> StoreResult<Option<u64>> {
    let stem = crate::posts::model::suffix_stem(base);
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

pub fn insert(conn: &Connection, p: &NewPost<'_>) -> StoreResult<()> {
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
    id: &PostId,
    title: Option<&str>,
    content: Option<&str>,
    slug: Option<&str>,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE posts SET title = coalesce(?2, title), content = coalesce(?3, content),
            slug = coalesce(?4, slug)
         WHERE id = ?1",
        params![id, title, content, slug],
    )?;
    Ok(())
}

/// Publishes (keeping the first `published_at`) or unpublishes.
pub fn set_published(conn: &Connection, id: &PostId, published: bool) -> StoreResult<()> {
    conn.execute(
        "UPDATE posts SET published = ?2,
            published_at = CASE WHEN ?2 = 1 THEN coalesce(published_at, ?3) ELSE published_at END
         WHERE id = ?1",
        params![id, published, crate::clock::now_string()],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: &PostId) -> StoreResult<bool> {
    Ok(conn.execute("DELETE FROM posts WHERE id = ?1", [id])? > 0)
}

pub fn ids_by_author(conn: &Connection, author_id: &UserId) -> StoreResult<Vec<(PostId, String)>> {
    let mut stmt = conn.prepare("SELECT id, slug FROM posts WHERE author_id = ?1")?;
    let rows = stmt.query_map([author_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every post in creation order (for `folio export`).
pub fn export_all(
    conn: &Connection,
    each: &mut dyn FnMut(Post) -> StoreResult<()>,
) -> StoreResult<()> {
    let mut stmt = conn.prepare(concat!(select_posts!(), " ORDER BY p.created_at, p.id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        each(from_row(r)?)?;
    }
    Ok(())
}

/// Inserts an exported post as it was (for `folio import`).
pub fn import(conn: &Connection, p: &Post) -> StoreResult<()> {
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

pub fn is_empty(conn: &Connection) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM users) AND NOT EXISTS (SELECT 1 FROM posts)",
        [],
        |r| r.get(0),
    )?)
}

impl PostsRepo for Sqlite<'_> {
    fn by_id(&mut self, id: &PostId) -> StoreResult<Option<Post>> {
        by_id(self.conn(), id)
    }
    fn by_slug(&mut self, slug: &str) -> StoreResult<Option<Post>> {
        by_slug(self.conn(), slug)
    }
    fn slug_taken(&mut self, slug: &str, except_id: Option<&PostId>) -> StoreResult<bool> {
        slug_taken(self.conn(), slug, except_id)
    }
    fn highest_suffix(&mut self, base: &str) -> StoreResult<Option<u64>> {
        highest_suffix(self.conn(), base)
    }
    fn insert(&mut self, post: &NewPost<'_>) -> StoreResult<()> {
        insert(self.conn(), post)
    }
    fn update_fields(
        &mut self,
        id: &PostId,
        title: Option<&str>,
        content: Option<&str>,
        slug: Option<&str>,
    ) -> StoreResult<()> {
        update_fields(self.conn(), id, title, content, slug)
    }
    fn set_published(&mut self, id: &PostId, published: bool) -> StoreResult<()> {
        set_published(self.conn(), id, published)
    }
    fn delete(&mut self, id: &PostId) -> StoreResult<bool> {
        delete(self.conn(), id)
    }
    fn ids_by_author(&mut self, author_id: &UserId) -> StoreResult<Vec<(PostId, String)>> {
        ids_by_author(self.conn(), author_id)
    }
    fn export_all(&mut self, each: &mut dyn FnMut(Post) -> StoreResult<()>) -> StoreResult<()> {
        export_all(self.conn(), each)
    }
    fn import(&mut self, post: &Post) -> StoreResult<()> {
        import(self.conn(), post)
    }
    fn is_empty(&mut self) -> StoreResult<bool> {
        is_empty(self.conn())
    }
    fn list(
        &mut self,
        filter: &crate::posts::repo::ListFilter,
        sort: crate::posts::model::PostSort,
        limit: u32,
        offset: u64,
        after: Option<&crate::posts::repo::After>,
    ) -> StoreResult<Vec<(Post, String)>> {
        list::list(self.conn(), filter, sort, limit, offset, after)
    }
    fn count(&mut self, filter: &crate::posts::repo::ListFilter) -> StoreResult<u64> {
        list::count(self.conn(), filter)
    }
    fn counts(&mut self) -> StoreResult<(i64, i64)> {
        list::counts(self.conn())
    }
    fn by_authors(
        &mut self,
        authors: &[UserId],
        all_drafts: bool,
        viewer: Option<&UserId>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<Post>> {
        list::by_authors(self.conn(), authors, all_drafts, viewer, limit, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::list::{count, counts};
    use super::*;
    use crate::posts::model::PublishedFilter;
    use crate::posts::repo::ListFilter;
    use rusqlite::params_from_iter;

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
                    drafts_of: drafts_of.map(|s: &str| UserId::from_stored(s.into())),
                    author_id: author.map(|s: &str| UserId::from_stored(s.into())),
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
