//! From terms to the FTS5 `MATCH` text: every term a quoted string, prefixes
//! optionally expanded into the indexed tokens they match.

use super::{Expansion, Fts5Query, Kind, Parsed, Phrase, Term};

impl Parsed {
    /// Renders the FTS5 expression. `expand` may replace a prefix term by
    /// the exact indexed tokens it matches (`"ru"*` → `("rust" OR "rusty")`):
    /// the same posts match, but FTS5 reads each token's list lazily instead
    /// of merging every matching list in full before the first row, which is
    /// slow on a large database. `None` from `expand` keeps the
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

/// Renders one term as a quoted FTS5 string (plus `*` for prefixes).
pub(super) fn render(term: &Term) -> String {
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
