//! Runs the search index's own tokenizer (`porter unicode61
//! remove_diacritics 2`) from Rust, so that prefix expansion
//! ([`super::expand`]) looks up exactly the token FTS5 would look up.
//!
//! A user's `Running*` is a prefix query for the token FTS5 makes of
//! `Running` in a query (`run`, after folding and stemming), so the only safe
//! way to know it is to ask the same tokenizer, through
//! [`folio_sys::fts5::tokenize`].

use rusqlite::Connection;

pub use folio_sys::fts5::Mode;

/// The tokenizer of `posts_fts` (migrations/0002_posts.sql): its
/// `tokenize =` option, word by word. A test checks it agrees with the index.
const TOKENIZER: [&str; 4] = ["porter", "unicode61", "remove_diacritics", "2"];

/// The tokens FTS5 makes of `text` in a query on `posts_fts`, in order
/// (colocated synonyms, which this tokenizer never emits, are skipped).
pub fn tokens(conn: &Connection, text: &str, mode: Mode) -> rusqlite::Result<Vec<String>> {
    folio_sys::fts5::tokenize(conn, &TOKENIZER, text, mode)
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A connection with Folio's schema (the real `posts_fts` definition).
    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::db::migrate::run(&mut conn, &crate::db::migrate::embedded().unwrap()).unwrap();
        conn
    }

    #[test]
    fn tokens_are_folded_and_stemmed() {
        let conn = db();
        assert_eq!(
            tokens(&conn, "Ünïcode RUNNING e-mail", Mode::Query).unwrap(),
            ["unicod", "run", "e", "mail"]
        );
        assert_eq!(tokens(&conn, "Running", Mode::Prefix).unwrap(), ["run"]);
        assert!(tokens(&conn, "!!! ...", Mode::Query).unwrap().is_empty());
    }

    #[test]
    fn the_tokenizer_is_the_index_s() {
        let conn = db();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, posts_fts, 'row');
             INSERT INTO users (id, username, email, password_hash)
                 VALUES ('u', 'u', 'u@example.com', 'x');
             INSERT INTO posts (id, author_id, title, slug, content, published)
                 VALUES ('p', 'u', 'Crème Brûlée RUNNING', 's', 'généralement déliveries', 1);",
        )
        .unwrap();
        crate::posts::search::sqlite::index::apply_index_changes(&conn).unwrap();
        let mut indexed: Vec<String> = conn
            .prepare("SELECT term FROM temp.v ORDER BY term")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut ours = tokens(
            &conn,
            "Crème Brûlée RUNNING généralement déliveries",
            Mode::Query,
        )
        .unwrap();
        ours.sort();
        indexed.sort();
        assert_eq!(ours, indexed);
    }
}
