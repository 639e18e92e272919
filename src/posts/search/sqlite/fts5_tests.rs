//! The parser against a real FTS5 table: hostile and random input is
//! either refused or accepted by FTS5 with only generated syntax, and
//! searches match what the syntax promises.

use rusqlite::Connection;

use crate::posts::search::query::{parse_terms, QueryError, MAX_QUERY_CHARS};

/// The input's FTS5 expression, prefixes left as FTS5 prefix queries.
fn to_fts5(input: &str) -> Result<String, QueryError> {
    parse_terms(input)?
        .render(|_| None)
        .map(|q| q.expr)
        .ok_or(QueryError::Empty)
}

#[track_caller]
fn ok(input: &str) -> String {
    match to_fts5(input) {
        Ok(expr) => expr,
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(title, content,
             tokenize='porter unicode61 remove_diacritics 2');
         INSERT INTO t(rowid, title, content) VALUES
             (1, 'Rust notes', 'the quick brown fox jumps over the lazy dog'),
             (2, 'Coffee', 'a café serves crème brûlée and espresso'),
             (3, 'Email tips', 'send an e-mail to the brown bear'),
             (4, 'Cats', 'the lazy cat sleeps; brown fox is quick too'),
             (5, 'Search', 'title: NEAR AND NOT OR operators in fts5');",
    )
    .unwrap();
    conn
}

fn run(conn: &Connection, expr: &str) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([expr], |r| r.get(0))?;
    rows.collect()
}

fn search(conn: &Connection, input: &str) -> Vec<i64> {
    let expr = ok(input);
    match run(conn, &expr) {
        Ok(ids) => ids,
        Err(e) => panic!("{input:?} -> {expr:?} rejected: {e}"),
    }
}

/// Every quoted string removed, only generated syntax may remain.
fn assert_only_generated_syntax(input: &str, expr: &str) {
    let mut rest = String::new();
    let mut in_string = false;
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if in_string && chars.peek() == Some(&'"') {
                chars.next();
            } else {
                in_string = !in_string;
                rest.push(' ');
            }
        } else if !in_string {
            rest.push(c);
        } else {
            assert!(!c.is_control(), "{input:?}: control char in {expr:?}");
        }
    }
    assert!(!in_string, "{input:?}: unterminated string in {expr:?}");
    let rest = rest.replace(['(', ')', '*'], " ");
    for word in rest.split_whitespace() {
        assert!(
            matches!(word, "AND" | "OR" | "NOT"),
            "{input:?}: unexpected bare {word:?} in {expr:?}"
        );
    }
}

fn check_safe(conn: &Connection, input: &str) {
    match to_fts5(input) {
        Err(QueryError::Empty) | Err(QueryError::TooLong) => {}
        Ok(expr) => {
            assert_only_generated_syntax(input, &expr);
            if let Err(e) = run(conn, &expr) {
                panic!("{input:?} -> {expr:?} rejected by FTS5: {e}");
            }
        }
    }
}

#[test]
fn hostile_inputs_are_rejected_or_accepted_by_fts5() {
    let garbage: String = "a\"(*)-:^{}+ OR NEAR é\0💥 "
        .chars()
        .cycle()
        .take(5000)
        .collect();
    let near_limit: String = "\"-*( ".chars().cycle().take(MAX_QUERY_CHARS).collect();
    let cases: Vec<String> = [
        "\"",
        "\"\"",
        "\"\"\"",
        "\"a",
        "a\"",
        "\"a\" \"b",
        "NEAR(a b)",
        "NEAR(a b, 3)",
        "NEAR",
        "title:foo",
        "content:\"a b\"",
        "- title:foo",
        "{title content}:fox",
        "{a b}:c",
        "a AND b",
        "AND",
        "NOT",
        "a NOT b",
        "NOT a",
        "^start",
        "^",
        "+",
        "a + b",
        "(",
        ")",
        "((a)",
        "a OR",
        "OR",
        "OR OR OR",
        "a OR OR b",
        "a OR -b",
        "-",
        "--",
        "--a",
        "-\"\"",
        "-\"a b\"",
        "*",
        "**",
        "a*",
        "\"a\"*",
        "*a*",
        "a**b*",
        "\0",
        "a\0b",
        "\0\"\0",
        "🦀 rust 🎉",
        "🎉",
        "שלום עולם",
        "مرحبا -بالعالم",
        "\u{202e}evil\u{202c}",
        "e\u{301}",
        "\u{345}",
        "'; DROP TABLE t; --",
        "\" OR 1=1 --",
        "a' OR '1'='1",
        "Robert'); DROP TABLE posts;--",
        "x\" NOT \"y",
        "\\\"a\\\"",
        "café -crème",
        "   ",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([garbage, near_limit])
    .collect();
    assert!(cases.len() >= 40);
    let conn = db();
    for case in &cases {
        check_safe(&conn, case);
    }
}

/// xorshift64* – deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_tricky_strings_are_safe() {
    const ALPHABET: &[&str] = &[
        "\"", "-", "*", "(", ")", ":", "^", "OR", "AND", "NEAR", "a", "b", "c", "é", "\0", " ",
        " ", " OR ", "{", "}", "+", ",",
    ];
    let conn = db();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..4000 {
        let len = rng.below(24);
        let input: String = (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect();
        check_safe(&conn, &input);
    }
}

#[test]
fn random_unicode_strings_are_safe() {
    let conn = db();
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(16);
        let input: String = (0..len)
            .filter_map(|_| match rng.below(4) {
                0 => char::from_u32(rng.below(0x11_0000) as u32),
                1 => Some(' '),
                2 => Some(['"', '-', '*', 'O', 'R'][rng.below(5)]),
                _ => char::from_u32(rng.below(0x3000) as u32),
            })
            .collect();
        check_safe(&conn, &input);
    }
}

#[test]
fn semantics_phrase() {
    let conn = db();
    assert_eq!(search(&conn, "\"quick brown fox\""), vec![1]);
    assert_eq!(search(&conn, "quick brown fox"), vec![1, 4]);
    assert_eq!(search(&conn, "\"brown fox is quick\""), vec![4]);
    assert_eq!(search(&conn, "e-mail"), vec![3]);
}

#[test]
fn semantics_prefix() {
    let conn = db();
    assert_eq!(search(&conn, "espr*"), vec![2]);
    assert_eq!(search(&conn, "espr"), Vec::<i64>::new());
    assert_eq!(search(&conn, "bro* la*"), vec![1, 4]);
}

#[test]
fn semantics_exclusion() {
    let conn = db();
    assert_eq!(search(&conn, "brown -cat"), vec![1, 3]);
    assert_eq!(search(&conn, "brown -cat -bear"), vec![1]);
    assert_eq!(search(&conn, "brown -\"lazy dog\""), vec![3, 4]);
    assert_eq!(search(&conn, "brown -la*"), vec![3]);
}

#[test]
fn semantics_or_binds_tighter_than_and() {
    let conn = db();
    // lazy AND (cat OR bear) = {1,4} & {3,4}; the wrong reading
    // (lazy AND cat) OR bear would give [3, 4].
    assert_eq!(search(&conn, "lazy cat OR bear"), vec![4]);
    assert_eq!(search(&conn, "bear OR cat lazy"), vec![4]);
    assert_eq!(search(&conn, "espresso OR bear OR cat"), vec![2, 3, 4]);
    assert_eq!(search(&conn, "espresso OR bear OR cat -lazy"), vec![2, 3]);
}

#[test]
fn semantics_diacritics_and_stemming() {
    let conn = db();
    assert_eq!(search(&conn, "cafe"), vec![2]);
    assert_eq!(search(&conn, "CRÈME brulee"), vec![2]);
    assert_eq!(search(&conn, "jumping"), vec![1]);
}

#[test]
fn semantics_syntax_words_are_text() {
    let conn = db();
    assert_eq!(search(&conn, "NEAR AND NOT"), vec![5]);
    assert_eq!(search(&conn, "title:near"), vec![5]);
    assert_eq!(search(&conn, "fts5 operators"), vec![5]);
}
