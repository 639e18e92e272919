//! The parser's output for each rule of the syntax, and for its ambiguous
//! cases, as FTS5 text.

use super::*;

/// The query rendered without prefix expansion.
fn parse_query(input: &str) -> Result<Fts5Query, QueryError> {
    parse_terms(input)?
        .render(|_| None)
        .ok_or(QueryError::Empty)
}

pub(super) fn to_fts5(input: &str) -> Result<String, QueryError> {
    parse_query(input).map(|q| q.expr)
}

pub(super) fn ok(input: &str) -> String {
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
