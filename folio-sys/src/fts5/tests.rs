//! The wrappers against a real FTS5 table in memory.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode};

use super::*;

/// Rows 1 and 2 match `bar OR foo`, row 3 matches neither.
fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(a, b);
         INSERT INTO t (rowid, a, b) VALUES
             (1, 'foo bar', 'baz foo'),
             (2, 'qux', 'bar bar'),
             (3, 'nothing', 'here');",
    )
    .unwrap();
    conn
}

/// Every row `call` gives for `MATCH 'bar OR foo'` (phrase 0 is `bar`), in
/// rowid order.
fn column<T: rusqlite::types::FromSql>(conn: &Connection, call: &str) -> rusqlite::Result<Vec<T>> {
    let sql = format!("SELECT {call} FROM t WHERE t MATCH 'bar OR foo' ORDER BY rowid");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

fn show(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "null".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:?}"),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("x{b:?}"),
    }
}

#[test]
fn the_context_reports_the_query_the_row_and_the_arguments() {
    let conn = db();
    register_aux(&conn, "probe", |ctx: &AuxContext<'_>, args: Args<'_>| {
        let mut insts = (0..ctx.inst_count()?)
            .map(|i| ctx.inst(i).map(|m| (m.phrase, m.column, m.offset)))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        insts.sort();
        let args: Vec<String> = (0..args.len())
            .filter_map(|i| args.get(i))
            .map(show)
            .collect();
        Ok(format!(
            "row {} phrases {} columns {} rows {} total {}/{} size {}/{} insts {insts:?} args {}",
            ctx.rowid()?,
            ctx.phrase_count(),
            ctx.column_count(),
            ctx.row_count()?,
            ctx.column_total_size(None)?,
            ctx.column_total_size(Some(1))?,
            ctx.column_size(None)?,
            ctx.column_size(Some(0))?,
            args.join(","),
        ))
    })
    .unwrap();
    let rows: Vec<String> = column(&conn, "probe(t, 7, 2.5, 'x', x'0102', NULL)").unwrap();
    let tail = "phrases 2 columns 2 rows 3 total 9/5";
    let args = "args 7,2.5,'x',x[1, 2],null";
    assert_eq!(
        rows,
        [
            format!("row 1 {tail} size 4/2 insts [(0, 0, 1), (1, 0, 0), (1, 1, 1)] {args}"),
            format!("row 2 {tail} size 3/1 insts [(0, 1, 0), (0, 1, 1)] {args}"),
        ]
    );
    assert!(column::<String>(&conn, "probe(t)").unwrap()[0].ends_with("args "));
}

#[test]
fn a_value_is_kept_for_the_whole_query() {
    let conn = db();
    let inits = Arc::new(AtomicUsize::new(0));
    let counted = inits.clone();
    register_aux(&conn, "kept", move |ctx: &AuxContext<'_>, _: Args<'_>| {
        let rows = ctx.cached(|| {
            counted.fetch_add(1, Ordering::SeqCst);
            ctx.row_count()
        })?;
        Ok(*rows * 10 + ctx.rowid()?)
    })
    .unwrap();
    assert_eq!(column::<i64>(&conn, "kept(t)").unwrap(), [31, 32]);
    assert_eq!(inits.load(Ordering::SeqCst), 1, "once for two rows");
    assert_eq!(column::<i64>(&conn, "kept(t)").unwrap(), [31, 32]);
    assert_eq!(inits.load(Ordering::SeqCst), 2, "once more for a new query");
}

#[test]
fn a_kept_value_is_only_read_back_as_its_own_type() {
    let conn = db();
    register_aux(&conn, "twice", |ctx: &AuxContext<'_>, _: Args<'_>| {
        ctx.cached(|| Ok(1_i64))?;
        ctx.cached(|| Ok(String::from("other"))).cloned()
    })
    .unwrap();
    let err = column::<String>(&conn, "twice(t)").unwrap_err();
    assert!(err.to_string().contains("another type"), "{err}");
}

#[test]
fn a_panic_fails_the_statement_and_not_the_process() {
    let conn = db();
    register_aux(
        &conn,
        "boom",
        |ctx: &AuxContext<'_>, _: Args<'_>| -> rusqlite::Result<i64> {
            if ctx.rowid()? == 2 {
                panic!("deliberately");
            }
            Ok(0)
        },
    )
    .unwrap();
    let err = column::<i64>(&conn, "boom(t)").unwrap_err();
    assert!(err.to_string().contains("panicked"), "{err}");
    assert_eq!(
        column::<i64>(&conn, "rowid").unwrap(),
        [1, 2],
        "the connection still works"
    );
}

#[test]
fn an_error_keeps_its_result_code() {
    let conn = db();
    register_aux(
        &conn,
        "past_the_end",
        |ctx: &AuxContext<'_>, _: Args<'_>| ctx.inst(99).map(|m| m.phrase as i64),
    )
    .unwrap();
    let err = column::<i64>(&conn, "past_the_end(t)").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange),
        "{err}"
    );
}

#[test]
fn the_function_is_dropped_with_the_connection() {
    let conn = db();
    let witness = Arc::new(());
    let held = witness.clone();
    register_aux(&conn, "holds", move |_: &AuxContext<'_>, _: Args<'_>| {
        Ok(Arc::strong_count(&held) as i64)
    })
    .unwrap();
    assert_eq!(column::<i64>(&conn, "holds(t)").unwrap(), [2, 2]);
    drop(conn);
    assert_eq!(Arc::strong_count(&witness), 1);
}

#[test]
fn a_name_with_nul_is_refused() {
    let conn = db();
    let f = |_: &AuxContext<'_>, _: Args<'_>| Ok(0_i64);
    assert!(register_aux(&conn, "a\0b", f).is_err());
}

const PORTER: [&str; 4] = ["porter", "unicode61", "remove_diacritics", "2"];

#[test]
fn tokens_are_the_tokenizer_s() {
    let conn = Connection::open_in_memory().unwrap();
    let tokens = |text, mode| tokenize(&conn, &PORTER, text, mode).unwrap();
    assert_eq!(
        tokens("Ünïcode RUNNING e-mail", Mode::Query),
        ["unicod", "run", "e", "mail"]
    );
    assert_eq!(tokens("Running", Mode::Prefix), ["run"]);
    assert!(tokens("!!! ...", Mode::Query).is_empty());
    assert!(tokens("", Mode::Query).is_empty());
    let ascii = tokenize(&conn, &["ascii"], "Crème BRÛLÉE", Mode::Query).unwrap();
    assert_eq!(ascii, ["crème", "brÛlÉe"], "ascii folds ASCII only");
}

#[test]
fn an_unknown_tokenizer_or_argument_is_an_error() {
    let conn = Connection::open_in_memory().unwrap();
    assert!(tokenize(&conn, &["nonesuch"], "x", Mode::Query).is_err());
    assert!(tokenize(
        &conn,
        &["unicode61", "remove_diacritics", "9"],
        "x",
        Mode::Query
    )
    .is_err());
    assert!(tokenize(&conn, &[], "x", Mode::Query).is_err());
}
