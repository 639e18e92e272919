//! Running one of a connection's FTS5 tokenizers on a text, as FTS5 would
//! on a query, so that Rust code can know the tokens FTS5 will look up.

use std::ffi::{c_char, c_int, c_void, CString};
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use rusqlite::{ffi, Connection};

use super::api::{check, failure, present, Fts5Api};

/// How a text is being tokenized (tokenizers may treat the two apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A term of a query.
    Query,
    /// A query term followed by `*`, a prefix.
    Prefix,
}

/// The tokens `tokenizer` makes of `text` in a query, in order. `tokenizer`
/// is a table's `tokenize =` option split into words: the tokenizer's name
/// and its arguments, e.g. `["porter", "unicode61", "remove_diacritics",
/// "2"]`. Colocated tokens (synonyms) are skipped; bytes that are not UTF-8
/// are replaced.
pub fn tokenize(
    conn: &Connection,
    tokenizer: &[&str],
    text: &str,
    mode: Mode,
) -> rusqlite::Result<Vec<String>> {
    let c = |s: &str| {
        CString::new(s).map_err(|_| failure(ffi::SQLITE_MISUSE, "a tokenizer word with NUL"))
    };
    let Some((name, args)) = tokenizer.split_first() else {
        return Err(failure(ffi::SQLITE_MISUSE, "naming no tokenizer"));
    };
    let name = c(name)?;
    let args = args
        .iter()
        .map(|a| c(a))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let len = c_int::try_from(text.len()).map_err(|_| failure(ffi::SQLITE_TOOBIG, "tokenizing"))?;
    let api = Fts5Api::of(conn)?;
    let find = present(api.table().xFindTokenizer, "FTS5's xFindTokenizer")?;
    let mut user_data: *mut c_void = ptr::null_mut();
    let mut module = ffi::fts5_tokenizer {
        xCreate: None,
        xDelete: None,
        xTokenize: None,
    };
    // SAFETY: `api` is this connection's live fts5_api; the name is a
    // NUL-terminated string alive for the call; the out pointers are locals.
    let rc = unsafe { find(api.as_ptr(), name.as_ptr(), &mut user_data, &mut module) };
    check(rc, "finding the tokenizer")?;
    let (Some(create), Some(delete), Some(run)) =
        (module.xCreate, module.xDelete, module.xTokenize)
    else {
        return Err(failure(ffi::SQLITE_MISUSE, "an incomplete tokenizer"));
    };
    let mut argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
    let argc = c_int::try_from(argv.len())
        .map_err(|_| failure(ffi::SQLITE_TOOBIG, "tokenizer arguments"))?;
    let mut instance: *mut ffi::Fts5Tokenizer = ptr::null_mut();
    // SAFETY: `user_data` is what xFindTokenizer gave for this module;
    // `argv` holds `argc` NUL-terminated strings (in `args`) that outlive
    // the call; the out pointer is a local.
    let rc = unsafe { create(user_data, argv.as_mut_ptr(), argc, &mut instance) };
    check(rc, "creating the tokenizer")?;
    if instance.is_null() {
        return Err(failure(ffi::SQLITE_ERROR, "creating the tokenizer"));
    }
    let flags = match mode {
        Mode::Query => ffi::FTS5_TOKENIZE_QUERY,
        Mode::Prefix => ffi::FTS5_TOKENIZE_QUERY | ffi::FTS5_TOKENIZE_PREFIX,
    };
    let mut out = Tokens::default();
    // SAFETY: `instance` was just made by this module and not yet deleted;
    // the text pointer and length describe `text`'s bytes, alive for the
    // call; `out` is a live `Tokens` that only `collect_token` touches,
    // during this call.
    let rc = unsafe {
        run(
            instance,
            (&raw mut out).cast::<c_void>(),
            flags,
            text.as_ptr().cast::<c_char>(),
            len,
            Some(collect_token),
        )
    };
    // SAFETY: made above by this module, deleted once, not used after.
    unsafe { delete(instance) };
    if out.panicked {
        return Err(failure(
            ffi::SQLITE_ERROR,
            "collecting tokens (it panicked)",
        ));
    }
    check(rc, "tokenizing")?;
    Ok(out.tokens)
}

/// What `collect_token` fills in.
#[derive(Default)]
struct Tokens {
    tokens: Vec<String>,
    panicked: bool,
}

/// xToken callback: appends the token to the `Tokens` behind `ctx`.
unsafe extern "C" fn collect_token(
    ctx: *mut c_void,
    tflags: c_int,
    token: *const c_char,
    len: c_int,
    _start: c_int,
    _end: c_int,
) -> c_int {
    // SAFETY: `ctx` is the `&mut Tokens` given to xTokenize in `tokenize`,
    // alive and not otherwise borrowed for the whole call.
    let Some(out) = (unsafe { ctx.cast::<Tokens>().as_mut() }) else {
        return ffi::SQLITE_MISUSE;
    };
    if tflags & ffi::FTS5_TOKEN_COLOCATED != 0 {
        return ffi::SQLITE_OK;
    }
    let bytes: &[u8] = match usize::try_from(len) {
        // SAFETY: FTS5 passes `len` valid bytes at `token` for this call.
        Ok(n) if n > 0 && !token.is_null() => unsafe {
            std::slice::from_raw_parts(token.cast(), n)
        },
        _ => return ffi::SQLITE_OK,
    };
    // Unwinding must not cross into SQLite: a panic (out of memory, say)
    // stops the tokenizer and becomes `tokenize`'s error.
    let push = || out.tokens.push(String::from_utf8_lossy(bytes).into_owned());
    if panic::catch_unwind(AssertUnwindSafe(push)).is_ok() {
        ffi::SQLITE_OK
    } else {
        out.panicked = true;
        ffi::SQLITE_ERROR
    }
}
