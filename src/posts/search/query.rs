//! Turns the text a user types into the search box into a safe SQLite FTS5
//! `MATCH` expression.
//!
//! Supported syntax (see the API contract):
//!
//! * `foo bar` – every word must match (implicit AND);
//! * `"exact phrase"` – a phrase; an unbalanced quote runs to the end of input;
//! * `foo*` – prefix query (only a trailing `*` after at least one
//!   alphanumeric character; phrases cannot be prefixes);
//! * `-foo`, `-"some phrase"` – the term must not match;
//! * `a OR b` – upper-case `OR` between two terms, binding tighter than the
//!   implicit AND: `a b OR c` means `a AND (b OR c)`; `a OR b OR c` chains.
//!
//! Everything else is plain text. The user's text never reaches SQLite as FTS5
//! syntax: every emitted term is a double-quoted FTS5 string (internal `"`
//! doubled), and the only bare syntax in the output is `(`, `)`, `AND`, `OR`,
//! `NOT` and a `*` directly after a closing quote, all generated here.
//!
//! Decisions for the ambiguous cases:
//!
//! * Control characters (including NUL) act as whitespace and never appear in
//!   the output.
//! * A `"` always starts or ends a phrase, even inside a word (`say"hi there"`
//!   is the word `say` followed by the phrase `hi there`).
//! * A term with no alphanumeric character (`!!!`, `"..."`, `*`, `-`, emoji) is
//!   dropped as if it had not been typed.
//! * `*` that is not trailing (`fo*o`, `*foo`) is text; several trailing stars
//!   (`foo**`) mean one prefix. A `*` after a phrase (`"a b"*`) is dropped.
//! * A `-` is an exclusion only when it directly precedes a term; `--a`
//!   excludes the text `-a` (i.e. the word `a`); a lone `-` is dropped.
//! * A dangling `OR` (`OR a`, `a OR`, `a OR -b`) is dropped; repeated `OR`s
//!   collapse (`a OR OR b` is `a OR b`). An exclusion cannot be an OR operand:
//!   `a OR -b` means `a` but not `b`.
//! * Only exclusions, or nothing searchable left: [`QueryError::Empty`].
//! * More than [`MAX_QUERY_CHARS`] characters: [`QueryError::TooLong`] (no
//!   silent truncation). Terms beyond [`MAX_TERMS`] are ignored.

use std::fmt;

/// Maximum accepted input length, in characters (not bytes).
pub const MAX_QUERY_CHARS: usize = 1000;

/// Maximum number of terms (words, prefixes, phrases, exclusions) kept;
/// further terms are ignored.
pub const MAX_TERMS: usize = 32;

/// Why a search string could not be turned into an FTS5 expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing searchable remained (empty, punctuation only, or only
    /// exclusions).
    Empty,
    /// The input is longer than [`MAX_QUERY_CHARS`] characters.
    TooLong,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::Empty => f.write_str("nothing searchable"),
            QueryError::TooLong => write!(
                f,
                "search query too long (maximum {MAX_QUERY_CHARS} characters)"
            ),
        }
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Prefix,
    Phrase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    text: String,
    kind: Kind,
    negated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Term(Term),
    Or,
}

/// A parsed search: the FTS5 expression and its phrases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fts5Query {
    /// The whole `MATCH` expression.
    pub expr: String,
    /// Each phrase of `expr`, in the order FTS5 numbers them (the order they
    /// appear in `expr`).
    pub phrases: Vec<Phrase>,
    /// Whether `expr` is only its phrases joined by `AND` (no `OR`, no
    /// exclusion): a post matches when it contains every phrase.
    pub conjunctive: bool,
}

/// One phrase of an [`Fts5Query`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// The phrase as a `MATCH` expression of its own.
    pub expr: String,
    /// Whether it is an exclusion (`-term`).
    pub excluded: bool,
    /// How many indexed posts contain it, when already known (the terms of
    /// an expanded prefix come with their counts).
    pub df: Option<i64>,
}

/// A search parsed into terms, before rendering; prefix terms may still be
/// expanded into the indexed tokens they match (see [`Parsed::render`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    groups: Vec<Vec<Term>>,
    excluded: Vec<Term>,
}

/// An indexed token and how many posts contain it.
pub type Expansion = [(String, i64)];

/// Parses the input into terms (see the module documentation); render them
/// with [`Parsed::render`]:
///
/// ```text
/// foo "a b" bar* OR baz -qux  =>  ("foo" AND "a b" AND ("bar"* OR "baz")) NOT "qux"
/// ```
pub fn parse_terms(input: &str) -> Result<Parsed, QueryError> {
    if input.chars().nth(MAX_QUERY_CHARS).is_some() {
        return Err(QueryError::TooLong);
    }
    let (groups, excluded) = parse(lex(input));
    if groups.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(Parsed { groups, excluded })
}

impl Parsed {
    /// The text of every prefix term (`foo` for `foo*`), in order, once.
    pub fn prefixes(&self) -> Vec<&str> {
        self.groups
            .iter()
            .flatten()
            .chain(&self.excluded)
            .filter(|t| t.kind == Kind::Prefix)
            .map(|t| t.text.as_str())
            .fold(Vec::new(), |mut all, p| {
                if !all.contains(&p) {
                    all.push(p);
                }
                all
            })
    }

    /// Renders the FTS5 expression. `expand` may replace a prefix term by
    /// the exact indexed tokens it matches (`"ru"*` → `("rust" OR "rusty")`):
    /// the same posts match, but FTS5 reads each token's list lazily instead
    /// of merging every matching list in full before the first row, which at
    /// 1M posts costs ~50 ms per statement. `None` from `expand` keeps the
    /// prefix as it is.
    ///
    /// Returns `None` when nothing can match: a term that must match expanded
    /// to no token at all.
    pub fn render<'a>(&self, expand: impl Fn(&str) -> Option<&'a Expansion>) -> Option<Fts5Query> {
        let alternatives = |term: &Term| -> Vec<(String, Option<i64>)> {
            match (term.kind, expand(&term.text)) {
                (Kind::Prefix, Some(tokens)) => tokens
                    .iter()
                    .map(|(token, df)| (quote(token), Some(*df)))
                    .collect(),
                _ => vec![(render(term), None)],
            }
        };
        let mut phrases = Vec::new();
        let mut positive = Vec::new();
        let mut conjunctive = self.excluded.is_empty();
        for group in &self.groups {
            let items: Vec<(String, Option<i64>)> = group.iter().flat_map(alternatives).collect();
            conjunctive &= items.len() == 1;
            positive.push(any_of(&items)?);
            phrases.extend(items.into_iter().map(|(expr, df)| Phrase {
                expr,
                excluded: false,
                df,
            }));
        }
        let positive = positive.join(" AND ");
        let excluded: Vec<(String, Option<i64>)> =
            self.excluded.iter().flat_map(alternatives).collect();
        let expr = match any_of(&excluded) {
            None => positive,
            Some(excluded) => format!("({positive}) NOT {excluded}"),
        };
        phrases.extend(excluded.into_iter().map(|(expr, df)| Phrase {
            expr,
            excluded: true,
            df,
        }));
        Some(Fts5Query {
            expr,
            phrases,
            conjunctive,
        })
    }
}

/// Splits the input into terms and `OR` operators, dropping terms with
/// nothing searchable in them and stopping after [`MAX_TERMS`] terms.
fn lex(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut tokens = Vec::new();
    let mut terms = 0;
    let mut i = 0;
    while i < chars.len() && terms < MAX_TERMS {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        if chars[i] == '-' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace()) {
            negated = true;
            i += 1;
        }
        let term = if chars[i] == '"' {
            let start = i + 1;
            let end = chars[start..]
                .iter()
                .position(|&c| c == '"')
                .map_or(chars.len(), |p| start + p);
            i = end + 1;
            Term {
                text: chars[start..end].iter().collect(),
                kind: Kind::Phrase,
                negated,
            }
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word == "OR" && !negated {
                tokens.push(Token::Or);
                continue;
            }
            match word.strip_suffix('*') {
                Some(stem) => Term {
                    text: stem.trim_end_matches('*').to_string(),
                    kind: Kind::Prefix,
                    negated,
                },
                None => Term {
                    text: word,
                    kind: Kind::Word,
                    negated,
                },
            }
        };
        if term.text.chars().any(char::is_alphanumeric) {
            terms += 1;
            tokens.push(Token::Term(term));
        }
    }
    tokens
}

/// Groups positive terms into OR-groups (to be ANDed together) and collects
/// the exclusions separately.
fn parse(tokens: Vec<Token>) -> (Vec<Vec<Term>>, Vec<Term>) {
    let mut groups: Vec<Vec<Term>> = Vec::new();
    let mut excluded = Vec::new();
    let mut last_was_positive = false;
    let mut pending_or = false;
    for token in tokens {
        match token {
            Token::Or => pending_or = last_was_positive,
            Token::Term(term) if term.negated => {
                excluded.push(term);
                last_was_positive = false;
                pending_or = false;
            }
            Token::Term(term) => {
                match groups.last_mut() {
                    Some(group) if pending_or => group.push(term),
                    _ => groups.push(vec![term]),
                }
                last_was_positive = true;
                pending_or = false;
            }
        }
    }
    (dedup_groups(groups), dedup(excluded))
}

/// A term repeated (`s* s* s*`, `a OR b b OR a`, `rust "rust"`) matches the
/// same posts as once; searched once, its work is not multiplied.
fn dedup(mut terms: Vec<Term>) -> Vec<Term> {
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(render(t)));
    terms
}

fn dedup_groups(groups: Vec<Vec<Term>>) -> Vec<Vec<Term>> {
    let mut seen = std::collections::HashSet::new();
    groups
        .into_iter()
        .map(dedup)
        .filter(|group| {
            let mut key: Vec<String> = group.iter().map(render).collect();
            key.sort();
            seen.insert(key)
        })
        .collect()
}

/// Renders one term as a quoted FTS5 string (plus `*` for prefixes).
fn render(term: &Term) -> String {
    let quoted = quote(&term.text);
    match term.kind {
        Kind::Prefix => quoted + "*",
        Kind::Word | Kind::Phrase => quoted,
    }
}

/// `a` for one item, `(a OR b …)` for several, `None` for none.
fn any_of(items: &[(String, Option<i64>)]) -> Option<String> {
    match items {
        [] => None,
        [(single, _)] => Some(single.clone()),
        many => Some(format!(
            "({})",
            many.iter()
                .map(|(e, _)| e.as_str())
                .collect::<Vec<_>>()
                .join(" OR ")
        )),
    }
}

/// A quoted FTS5 string (internal `"` doubled).
fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// The query rendered without prefix expansion.
    fn parse_query(input: &str) -> Result<Fts5Query, QueryError> {
        parse_terms(input)?
            .render(|_| None)
            .ok_or(QueryError::Empty)
    }

    fn to_fts5(input: &str) -> Result<String, QueryError> {
        parse_query(input).map(|q| q.expr)
    }

    fn ok(input: &str) -> String {
        match to_fts5(input) {
            Ok(expr) => expr,
            Err(e) => panic!("{input:?} failed: {e}"),
        }
    }

    #[test]
    fn phrases_are_listed_in_expression_order() {
        let q = parse_query("foo \"a b\" bar* OR baz -qux").unwrap();
        assert_eq!(
            q.expr,
            r#"("foo" AND "a b" AND ("bar"* OR "baz")) NOT "qux""#
        );
        let phrases: Vec<(&str, bool)> = q
            .phrases
            .iter()
            .map(|p| (p.expr.as_str(), p.excluded))
            .collect();
        assert_eq!(
            phrases,
            [
                ("\"foo\"", false),
                ("\"a b\"", false),
                ("\"bar\"*", false),
                ("\"baz\"", false),
                ("\"qux\"", true)
            ]
        );
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
    fn prefixes_expand_into_their_tokens() {
        let parsed = parse_terms("a ru* OR b -ca* -d*").unwrap();
        assert_eq!(parsed.prefixes(), ["ru", "ca", "d"]);
        let ru = [("rust".to_string(), 5), ("ru\"st".to_string(), 2)];
        let ca = [("cat".to_string(), 1)];
        let q = parsed
            .render(|t| match t {
                "ru" => Some(&ru[..]),
                "ca" => Some(&ca[..]),
                _ => None,
            })
            .unwrap();
        assert_eq!(
            q.expr,
            r#"("a" AND ("rust" OR "ru""st" OR "b")) NOT ("cat" OR "d"*)"#
        );
        let dfs: Vec<Option<i64>> = q.phrases.iter().map(|p| p.df).collect();
        assert_eq!(dfs, [None, Some(5), Some(2), None, Some(1), None]);
        let excluded: Vec<bool> = q.phrases.iter().map(|p| p.excluded).collect();
        assert_eq!(excluded, [false, false, false, false, true, true]);
    }

    #[test]
    fn a_prefix_matching_no_token_matches_nothing() {
        let none: [(String, i64); 0] = [];
        let render = |input: &str| {
            parse_terms(input)
                .unwrap()
                .render(|_| Some(&none[..]))
                .map(|q| q.expr)
        };
        assert_eq!(render("a zz*"), None);
        assert_eq!(render("a OR zz*").as_deref(), Some(r#""a""#));
        assert_eq!(render("a -zz*").as_deref(), Some(r#""a""#));
    }

    #[test]
    fn repeated_terms_are_searched_once() {
        let many = vec!["s*"; 32].join(" ");
        assert_eq!(ok(&many), r#""s"*"#);
        assert_eq!(parse_terms(&many).unwrap().prefixes(), ["s"]);
        assert_eq!(ok("a b a"), r#""a" AND "b""#);
        assert_eq!(ok(r#"rust "rust""#), r#""rust""#);
        assert_eq!(ok("a OR b b OR a"), r#"("a" OR "b")"#);
        assert_eq!(ok("a OR a c"), r#""a" AND "c""#);
        assert_eq!(ok("-x a -x"), r#"("a") NOT "x""#);
        assert_eq!(parse_terms("a* -a*").unwrap().prefixes(), ["a"]);
    }

    #[test]
    fn words_are_anded() {
        assert_eq!(ok("foo"), r#""foo""#);
        assert_eq!(ok("  foo   bar\tbaz "), r#""foo" AND "bar" AND "baz""#);
    }

    #[test]
    fn doc_example() {
        assert_eq!(
            ok(r#"foo "a b" bar* OR baz -qux"#),
            r#"("foo" AND "a b" AND ("bar"* OR "baz")) NOT "qux""#
        );
    }

    #[test]
    fn phrases() {
        assert_eq!(ok(r#""the phrase" x"#), r#""the phrase" AND "x""#);
        assert_eq!(ok(r#"say"hi there""#), r#""say" AND "hi there""#);
    }

    #[test]
    fn unbalanced_quote_runs_to_end() {
        assert_eq!(ok(r#"a "b c"#), r#""a" AND "b c""#);
        assert_eq!(ok(r#"a "b OR -c*"#), r#""a" AND "b OR -c*""#);
    }

    #[test]
    fn prefixes() {
        assert_eq!(ok("foo*"), r#""foo"*"#);
        assert_eq!(ok("foo**"), r#""foo"*"#);
        assert_eq!(ok("fo*o"), r#""fo*o""#);
        assert_eq!(ok("*foo"), r#""*foo""#);
        assert_eq!(ok("e-mail*"), r#""e-mail"*"#);
        assert_eq!(to_fts5("*"), Err(QueryError::Empty));
        assert_eq!(to_fts5("-*"), Err(QueryError::Empty));
    }

    #[test]
    fn phrases_are_never_prefixes() {
        assert_eq!(ok(r#""a b"*"#), r#""a b""#);
        assert_eq!(ok(r#""a"* c"#), r#""a" AND "c""#);
    }

    #[test]
    fn exclusions() {
        assert_eq!(ok("a -b"), r#"("a") NOT "b""#);
        assert_eq!(ok(r#"-"x y" a -b*"#), r#"("a") NOT ("x y" OR "b"*)"#);
        assert_eq!(ok("--a b"), r#"("b") NOT "-a""#);
        assert_eq!(ok("a-b"), r#""a-b""#);
        assert_eq!(ok("a - b"), r#""a" AND "b""#);
        assert_eq!(to_fts5("-a -b"), Err(QueryError::Empty));
    }

    #[test]
    fn or_binds_tighter_than_and() {
        assert_eq!(ok("a OR b"), r#"("a" OR "b")"#);
        assert_eq!(ok("a b OR c"), r#""a" AND ("b" OR "c")"#);
        assert_eq!(ok("a OR b OR c d"), r#"("a" OR "b" OR "c") AND "d""#);
        assert_eq!(ok(r#""x y" OR z*"#), r#"("x y" OR "z"*)"#);
        assert_eq!(ok("a or b"), r#""a" AND "or" AND "b""#);
        assert_eq!(ok(r#"a "OR" b"#), r#""a" AND "OR" AND "b""#);
    }

    #[test]
    fn dangling_or_is_dropped() {
        assert_eq!(ok("OR a"), r#""a""#);
        assert_eq!(ok("a OR"), r#""a""#);
        assert_eq!(ok("a OR OR b"), r#"("a" OR "b")"#);
        assert_eq!(ok("a OR !!! b"), r#"("a" OR "b")"#);
        assert_eq!(to_fts5("OR"), Err(QueryError::Empty));
        assert_eq!(to_fts5("OR OR"), Err(QueryError::Empty));
    }

    #[test]
    fn exclusion_next_to_or() {
        assert_eq!(ok("a OR -b"), r#"("a") NOT "b""#);
        assert_eq!(ok("-a OR b"), r#"("b") NOT "a""#);
        assert_eq!(ok("a OR -b OR c"), r#"("a" AND "c") NOT "b""#);
        assert_eq!(ok("a -OR"), r#"("a") NOT "OR""#);
    }

    #[test]
    fn syntax_characters_become_text() {
        assert_eq!(ok("NEAR(a b)"), r#""NEAR(a" AND "b)""#);
        assert_eq!(ok("title:foo"), r#""title:foo""#);
        assert_eq!(
            ok("a AND b NOT c"),
            r#""a" AND "AND" AND "b" AND "NOT" AND "c""#
        );
        assert_eq!(
            ok("^start {a b}:c +x"),
            r#""^start" AND "{a" AND "b}:c" AND "+x""#
        );
    }

    #[test]
    fn punctuation_only_terms_are_dropped() {
        assert_eq!(ok(r#"a !!! "..." ( ) b"#), r#""a" AND "b""#);
        for input in ["", "   ", "!!!", r#""...""#, r#"""""#, "-", "( ) : ^", "🎉"] {
            assert_eq!(to_fts5(input), Err(QueryError::Empty), "{input:?}");
        }
    }

    #[test]
    fn control_characters_are_separators() {
        assert_eq!(ok("a\0b"), r#""a" AND "b""#);
        assert_eq!(ok("\"x\u{7}y\" \u{1b}[0m"), r#""x y" AND "[0m""#);
        assert_eq!(to_fts5("\0\0\0"), Err(QueryError::Empty));
    }

    #[test]
    fn length_and_term_limits() {
        let max = "a".repeat(MAX_QUERY_CHARS);
        assert!(to_fts5(&max).is_ok());
        assert_eq!(to_fts5(&format!("{max}b")), Err(QueryError::TooLong));
        // Characters, not bytes: 1000 two-byte chars are fine.
        assert!(to_fts5(&"é".repeat(MAX_QUERY_CHARS)).is_ok());
        let many: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let expr = ok(&many.join(" "));
        assert_eq!(expr.matches(" AND ").count(), MAX_TERMS - 1);
        assert!(expr.ends_with(&format!("\"w{}\"", MAX_TERMS - 1)));
    }

    #[test]
    fn error_display() {
        assert_eq!(QueryError::Empty.to_string(), "nothing searchable");
        assert!(QueryError::TooLong.to_string().contains("too long"));
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
}
