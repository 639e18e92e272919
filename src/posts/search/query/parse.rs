//! From the text typed to terms: the lexer splits words, phrases, prefixes,
//! exclusions and `OR`s, and the parser groups them for the AND of ORs,
//! each repeated term kept once.

use super::render::render;
use super::{Kind, Term, MAX_TERMS};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    Term(Term),
    Or,
}

/// Splits the input into terms and `OR` operators, dropping terms with
/// nothing searchable in them and stopping after [`MAX_TERMS`] terms.
pub(super) fn lex(input: &str) -> Vec<Token> {
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
pub(super) fn parse(tokens: Vec<Token>) -> (Vec<Vec<Term>>, Vec<Term>) {
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
