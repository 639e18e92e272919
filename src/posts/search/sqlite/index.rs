//! Keeps the search index in step with the posts table.

use rusqlite::Connection;

use crate::db::Hooks;

/// What search needs of storage: its ranking functions on every connection,
/// and the index flush inside every write batch.
pub const STORAGE_HOOKS: Hooks = Hooks {
    on_connect: &[super::rank::register],
    before_commit: &[apply_index_changes],
};

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
