//! Runs the search index's own tokenizer (`porter unicode61
//! remove_diacritics 2`) from Rust, so that prefix expansion
//! ([`super::search`]) looks up exactly the token FTS5 would look up.
//!
//! A user's `Running*` is a prefix query for the token FTS5 makes of
//! `Running` in a query (`run`, after folding and stemming), so the only safe
//! way to know it is to ask the same tokenizer. SQLite's FTS5 extension API is
//! C and rusqlite does not wrap tokenizers, hence this small `unsafe` module
//! (like [`super::rank`]). Every pointer used here comes from SQLite and is
//! used only while the connection is borrowed.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void, CString};
use std::ptr;

use rusqlite::{ffi, Connection};

use super::rank::check;

/// The tokenizer of `posts_fts` (migrations/0002_posts.sql), as the FTS5
/// module name and its arguments. A test checks it agrees with the index.
const TOKENIZER: &std::ffi::CStr = c"porter";
const TOKENIZER_ARGS: [&std::ffi::CStr; 3] = [c"unicode61", c"remove_diacritics", c"2"];

/// How a text is being tokenized (FTS5 tokenizers may treat them apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A term of a query.
    Query,
    /// The last term of a query, followed by `*`.
    Prefix,
}

/// The tokens FTS5 makes of `text` in a query on `posts_fts`, in order
/// (colocated synonyms, which this tokenizer never emits, are skipped).
pub fn tokens(conn: &Connection, text: &str, mode: Mode) -> rusqlite::Result<Vec<String>> {
    let len = c_int::try_from(text.len())
        .map_err(|_| rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_TOOBIG), None))?;
    let api = super::rank::fts5_api(conn)?;
    let mut user_data: *mut c_void = ptr::null_mut();
    // SAFETY: an all-null table of optional function pointers is a valid
    // `fts5_tokenizer`; xFindTokenizer fills it in.
    let mut module: ffi::fts5_tokenizer = unsafe { std::mem::zeroed() };
    // SAFETY: `api` is this connection's live fts5_api (non-null, checked by
    // `fts5_api`); the name is a NUL-terminated static string; the two out
    // pointers are valid locals.
    let rc = unsafe {
        match (*api).xFindTokenizer {
            Some(find) => find(api, TOKENIZER.as_ptr(), &mut user_data, &mut module),
            None => ffi::SQLITE_MISUSE,
        }
    };
    check(rc, "finding the porter tokenizer")?;
    let (Some(create), Some(delete), Some(tokenize)) =
        (module.xCreate, module.xDelete, module.xTokenize)
    else {
        return check(ffi::SQLITE_MISUSE, "the porter tokenizer is incomplete").map(|_| Vec::new());
    };
    let mut args: Vec<*const c_char> = TOKENIZER_ARGS.iter().map(|a| a.as_ptr()).collect();
    let mut tokenizer: *mut ffi::Fts5Tokenizer = ptr::null_mut();
    // SAFETY: `user_data` is what xFindTokenizer returned for this module;
    // `args` holds NUL-terminated static strings and outlives the call.
    let rc = unsafe {
        create(
            user_data,
            args.as_mut_ptr(),
            args.len() as c_int,
            &mut tokenizer,
        )
    };
    check(rc, "creating the porter tokenizer")?;
    if tokenizer.is_null() {
        return check(ffi::SQLITE_ERROR, "creating the porter tokenizer").map(|_| Vec::new());
    }
    let flags = match mode {
        Mode::Query => ffi::FTS5_TOKENIZE_QUERY,
        Mode::Prefix => ffi::FTS5_TOKENIZE_QUERY | ffi::FTS5_TOKENIZE_PREFIX,
    };
    let mut out: Vec<String> = Vec::new();
    // The text must not contain NUL for some tokenizers' sake; FTS5 passes
    // the length, but keep the input C-clean anyway (queries never hold NUL:
    // the parser turns control characters into spaces).
    let text = CString::new(text.replace('\0', " "))
        .map_err(|_| rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_MISUSE), None))?;
    // SAFETY: `tokenizer` was just created by this module; `out` is a live
    // Vec<String> that `collect_token` only pushes to during this call; the
    // text pointer and length describe `text`'s bytes.
    let rc = unsafe {
        tokenize(
            tokenizer,
            (&mut out as *mut Vec<String>).cast::<c_void>(),
            flags,
            text.as_ptr(),
            len,
            Some(collect_token),
        )
    };
    // SAFETY: created above, deleted exactly once.
    unsafe { delete(tokenizer) };
    check(rc, "tokenizing")?;
    Ok(out)
}

/// xToken callback: appends the token to the `Vec<String>` behind `ctx`.
unsafe extern "C" fn collect_token(
    ctx: *mut c_void,
    tflags: c_int,
    token: *const c_char,
    len: c_int,
    _start: c_int,
    _end: c_int,
) -> c_int {
    const FTS5_TOKEN_COLOCATED: c_int = 0x0001;
    if ctx.is_null() || (tflags & FTS5_TOKEN_COLOCATED) != 0 {
        return ffi::SQLITE_OK;
    }
    // SAFETY: `ctx` is the `&mut Vec<String>` passed to xTokenize in
    // `tokens`, alive for the whole call.
    let out = unsafe { &mut *ctx.cast::<Vec<String>>() };
    let bytes = match usize::try_from(len) {
        Ok(0) | Err(_) => return ffi::SQLITE_OK,
        // SAFETY: FTS5 passes `len` valid bytes at `token` for this call.
        Ok(n) if !token.is_null() => unsafe { std::slice::from_raw_parts(token.cast::<u8>(), n) },
        Ok(_) => return ffi::SQLITE_OK,
    };
    out.push(String::from_utf8_lossy(bytes).into_owned());
    ffi::SQLITE_OK
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
