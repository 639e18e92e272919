//! Prefix expansion: a prefix term (`ru*`) becomes the indexed tokens it
//! matches, read from the vocabulary and cached until the next change to
//! posts, within limits per prefix and per query.

use std::sync::Arc;

use rusqlite::Connection;

use super::matches;
use super::tokenize::{self, Mode};
use crate::ctx::Ctx;
use crate::db::StoreResult;
use crate::error::{ApiError, ApiResult};
use crate::posts::search::query::Expansion;

/// Most indexed tokens a prefix is expanded into; a prefix matching more
/// (`a*` on a large vocabulary) stays an FTS5 prefix query.
pub const MAX_EXPANSION: usize = 32;

/// Most tokens all of a query's prefixes together are expanded into: every
/// token is one more posting list read and one more phrase ranked in every
/// match. With at most [`crate::posts::search::query::MAX_TERMS`] other phrases, the ranking
/// function's argument list (one per phrase) stays far below SQLite's limit
/// of 1,000.
pub const EXPANSION_BUDGET: usize = 128;

/// Most prefixes of one query that stay FTS5 prefix queries (too many
/// tokens, or past [`EXPANSION_BUDGET`]); each merges every matching posting
/// list in full, in every statement of the search. A query with more is
/// answered `400`.
pub const MAX_NATIVE_PREFIXES: usize = 2;

/// The answer to a query whose prefixes stand for too many words.
pub(super) fn too_broad() -> ApiError {
    ApiError::validation(
        "q",
        format!(
            "is too broad: at most {MAX_NATIVE_PREFIXES} prefixes may each match more than \
             {MAX_EXPANSION} indexed words, or all together more than {EXPANSION_BUDGET}; \
             make prefixes longer"
        ),
    )
}

/// The indexed tokens a prefix term matches, through the `terms` cache;
/// `None` keeps it an FTS5 prefix query: when it matches more than
/// [`MAX_EXPANSION`] tokens, is several tokens (`e-mai*`), or a token would
/// not survive being searched as a word (stemming it again changes it).
pub(super) fn expansion(
    ctx: &Ctx,
    conn: &Connection,
    prefix: &str,
) -> ApiResult<Option<Arc<Expansion>>> {
    let key = prefix.to_string();
    let ticket = match ctx.caches.terms.get(&key) {
        Ok(found) => return Ok(found),
        Err(ticket) => ticket,
    };
    let found = load_expansion(conn, prefix)?.map(Arc::from);
    ctx.caches.terms.insert(ticket, key, found.clone());
    Ok(found)
}

fn load_expansion(conn: &Connection, prefix: &str) -> StoreResult<Option<Vec<(String, i64)>>> {
    let tokens = tokenize::tokens(conn, prefix, Mode::Prefix)?;
    let [token] = tokens.as_slice() else {
        return Ok(None);
    };
    let found = matches::tokens_with_prefix(conn, token, MAX_EXPANSION + 1)?;
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
    use std::collections::HashMap;

    use super::*;
    use crate::posts::search::{query, sqlite::index};

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
}
