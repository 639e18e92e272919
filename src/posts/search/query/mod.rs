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
//!
//! [`parse_terms`] reads the input into terms (`parse.rs`), and
//! [`Parsed::render`] writes them as FTS5 syntax (`render.rs`).

use std::fmt;

mod parse;
mod render;
#[cfg(test)]
mod tests;

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
    let (groups, excluded) = parse::parse(parse::lex(input));
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
}
