//! Checks on a parsed document before async-graphql validates it. Each
//! fragment is walked once (memoised), so the checks stay cheap where
//! expanding fragments is exponential, and a refusal is one error where the
//! validator would answer one per repeated item.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

/// Fields after fragments are expanded, over all operations and fragments.
pub const MAX_FIELDS: usize = 10_000;
/// Variable definitions in one document.
pub const MAX_VARIABLES: usize = 100;
/// Arguments of one field or directive.
pub const MAX_ARGUMENTS: usize = 32;
/// Directives on one field, fragment, variable or operation.
pub const MAX_DIRECTIVES: usize = 16;
/// Selection sets and fragment spreads on one path (bounds the walk's stack).
pub const MAX_NESTING: usize = 64;
/// Introspection lists on one path: `types { fields { args } }` is what
/// tools ask for; each further list multiplies the answer by the schema's
/// size.
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// Root fields an introspection operation is made of.
const META_FIELDS: [&str; 3] = ["__schema", "__type", "__typename"];
/// Fields of the introspection types that answer lists of objects.
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "directives",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
];

/// What the route needs to know about an accepted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// `login` and `register` fields of its mutations, fragments expanded.
    pub auth_fields: usize,
    /// Every operation is a query made only of introspection fields (after
    /// fragments are expanded), within `MAX_INTROSPECTION_LISTS`.
    pub introspection: bool,
}

/// Why a document is refused before validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("The variable `${0}` is defined more than once.")]
    DuplicateVariable(String),
    #[error("The argument `{0}` is given more than once.")]
    DuplicateArgument(String),
    #[error("The document defines more than {MAX_VARIABLES} variables.")]
    TooManyVariables,
    #[error("More than {MAX_ARGUMENTS} arguments on `{0}`.")]
    TooManyArguments(String),
    #[error("More than {MAX_DIRECTIVES} directives in one place.")]
    TooManyDirectives,
    #[error("The document selects more than {MAX_FIELDS} fields once fragments are expanded.")]
    TooManyFields,
    #[error("Selections and fragments nest more than {MAX_NESTING} deep.")]
    TooDeep,
    #[error("The fragment `{0}` spreads itself.")]
    FragmentCycle(String),
}

/// The shape of `doc`, or why it is refused.
pub fn check(doc: &ExecutableDocument) -> Result<Shape, Refusal> {
    let mut walk = Walk {
        doc,
        memo: HashMap::new(),
    };
    let mut fields = 0usize;
    let mut auth_fields = 0usize;
    let mut introspection = true;
    let mut variables = 0usize;
    for (_, op) in doc.operations.iter() {
        let op = &op.node;
        variables = variables.saturating_add(op.variable_definitions.len());
        if variables > MAX_VARIABLES {
            return Err(Refusal::TooManyVariables);
        }
        let mut names = HashSet::new();
        for var in &op.variable_definitions {
            if !names.insert(&var.node.name.node) {
                return Err(Refusal::DuplicateVariable(var.node.name.node.to_string()));
            }
            directives(&var.node.directives)?;
        }
        directives(&op.directives)?;
        let s = walk.set(&op.selection_set.node, 0)?;
        fields = fields.saturating_add(s.fields);
        if op.ty == OperationType::Mutation {
            auth_fields = auth_fields.saturating_add(s.auth);
        }
        introspection &=
            op.ty == OperationType::Query && s.meta_only && s.lists <= MAX_INTROSPECTION_LISTS;
    }
    // Unused fragments are validated too, so they count.
    for name in doc.fragments.keys() {
        fields = fields.saturating_add(walk.fragment(name, 0)?.fields);
    }
    if fields > MAX_FIELDS {
        return Err(Refusal::TooManyFields);
    }
    Ok(Shape {
        auth_fields,
        introspection,
    })
}

/// One selection set, fragments expanded.
#[derive(Debug, Clone, Copy)]
struct Summary {
    fields: usize,
    auth: usize,
    /// Introspection lists on the longest path.
    lists: usize,
    /// Every field at this level is one of `META_FIELDS`.
    meta_only: bool,
}

enum Memo {
    InProgress,
    Done(Summary),
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a Name, Memo>,
}

impl<'a> Walk<'a> {
    fn fragment(&mut self, name: &'a Name, nesting: usize) -> Result<Summary, Refusal> {
        match self.memo.get(name) {
            Some(Memo::Done(s)) => return Ok(*s),
            Some(Memo::InProgress) => return Err(Refusal::FragmentCycle(name.to_string())),
            None => {}
        }
        let Some(frag) = self.doc.fragments.get(name) else {
            // Unknown: the validator reports it.
            return Ok(Summary {
                fields: 0,
                auth: 0,
                lists: 0,
                meta_only: true,
            });
        };
        directives(&frag.node.directives)?;
        self.memo.insert(name, Memo::InProgress);
        let s = self.set(&frag.node.selection_set.node, nesting + 1)?;
        self.memo.insert(name, Memo::Done(s));
        Ok(s)
    }

    fn set(&mut self, set: &'a SelectionSet, nesting: usize) -> Result<Summary, Refusal> {
        if nesting > MAX_NESTING {
            return Err(Refusal::TooDeep);
        }
        let mut out = Summary {
            fields: 0,
            auth: 0,
            lists: 0,
            meta_only: true,
        };
        for item in &set.items {
            let s = match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    let name = f.name.node.as_str();
                    arguments(name, &f.arguments)?;
                    directives(&f.directives)?;
                    let child = if f.selection_set.node.items.is_empty() {
                        None
                    } else {
                        Some(self.set(&f.selection_set.node, nesting + 1)?)
                    };
                    let list = INTROSPECTION_LISTS.contains(&name) && child.is_some();
                    Summary {
                        fields: child.map_or(0, |c| c.fields).saturating_add(1),
                        auth: child
                            .map_or(0, |c| c.auth)
                            .saturating_add(usize::from(matches!(name, "login" | "register"))),
                        lists: child.map_or(0, |c| c.lists) + usize::from(list),
                        meta_only: META_FIELDS.contains(&name),
                    }
                }
                Selection::FragmentSpread(s) => {
                    directives(&s.node.directives)?;
                    self.fragment(&s.node.fragment_name.node, nesting)?
                }
                Selection::InlineFragment(i) => {
                    directives(&i.node.directives)?;
                    self.set(&i.node.selection_set.node, nesting + 1)?
                }
            };
            out.fields = out.fields.saturating_add(s.fields);
            out.auth = out.auth.saturating_add(s.auth);
            out.lists = out.lists.max(s.lists);
            out.meta_only &= s.meta_only;
        }
        Ok(out)
    }
}

fn directives(list: &[Positioned<Directive>]) -> Result<(), Refusal> {
    if list.len() > MAX_DIRECTIVES {
        return Err(Refusal::TooManyDirectives);
    }
    for d in list {
        arguments(d.node.name.node.as_str(), &d.node.arguments)?;
    }
    Ok(())
}

fn arguments<V>(owner: &str, args: &[(Positioned<Name>, V)]) -> Result<(), Refusal> {
    if args.len() > MAX_ARGUMENTS {
        return Err(Refusal::TooManyArguments(owner.to_string()));
    }
    let mut seen = HashSet::new();
    for (name, _) in args {
        if !seen.insert(&name.node) {
            return Err(Refusal::DuplicateArgument(name.node.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn shape(q: &str) -> Result<Shape, Refusal> {
        check(&async_graphql::parser::parse_query(q).unwrap())
    }

    #[test]
    fn logins_count_in_named_and_inline_fragments_at_any_depth() {
        let mut q = String::from("mutation { ");
        for _ in 0..12 {
            q.push_str("... { ");
        }
        q.push_str("a: login(identity: \"x\", password: \"y\") { expiresIn } ...L");
        q.push_str(&" }".repeat(12));
        q.push_str(" } fragment L on Mutation { b: login(identity: \"x\", password: \"y\") { expiresIn } ...R } fragment R on Mutation { register(input: {username: \"u\", email: \"e@x.io\", password: \"p\"}) { expiresIn } }");
        assert_eq!(shape(&q).unwrap().auth_fields, 3);
        assert_eq!(
            shape("{ login }").unwrap().auth_fields,
            0,
            "queries run no login"
        );
    }

    #[test]
    fn fragments_are_walked_once_however_often_they_are_spread() {
        // Each fragment spreads the next twice: 2^40 fields if expanded.
        let mut q = String::from("{ ...F0 }");
        for i in 0..40 {
            q.push_str(&format!(
                " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
                n = i + 1
            ));
        }
        q.push_str(" fragment F40 on Query { __typename }");
        assert_eq!(shape(&q), Err(Refusal::TooManyFields));
        let cyclic = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(matches!(shape(cyclic), Err(Refusal::FragmentCycle(_))));
    }

    #[test]
    fn duplicated_and_oversized_definitions_are_refused() {
        assert_eq!(
            shape("query($a: Int, $a: Int) { __typename }"),
            Err(Refusal::DuplicateVariable("a".into()))
        );
        let many: String = (0..=MAX_VARIABLES)
            .map(|i| format!("$v{i}: Int "))
            .collect();
        assert_eq!(
            shape(&format!("query({many}) {{ __typename }}")),
            Err(Refusal::TooManyVariables)
        );
        assert_eq!(
            shape("{ posts(limit: 1, limit: 2) { id } }"),
            Err(Refusal::DuplicateArgument("limit".into()))
        );
        let skips = "@skip(if: false) ".repeat(MAX_DIRECTIVES + 1);
        assert_eq!(
            shape(&format!("{{ __typename {skips}}}")),
            Err(Refusal::TooManyDirectives)
        );
        let unknown = "a ".repeat(MAX_FIELDS + 1);
        assert_eq!(
            shape(&format!("{{ {unknown}}}")),
            Err(Refusal::TooManyFields)
        );
    }

    #[test]
    fn only_pure_introspection_queries_are_introspection() {
        let intro = |q: &str| shape(q).unwrap().introspection;
        assert!(intro(
            "{ __schema { types { fields { args { type { name } } } } } }"
        ));
        assert!(intro(
            "query { ...Q } fragment Q on Query { __type(name: \"Post\") { name } }"
        ));
        assert!(!intro("{ __schema { types { name } } posts { id } }"));
        assert!(!intro(
            "{ __schema { types { name } } ...D } fragment D on Query { posts { id } }"
        ));
        assert!(!intro("{ __schema { types { name } } ... { me { id } } }"));
        assert!(!intro("mutation { __typename }"));
        assert!(!intro(
            "query Q { __schema { queryType { name } } } mutation M { deletePost(id: \"1\") }"
        ));
        // Each list beyond three multiplies the answer by the schema's size.
        assert!(intro(
            "{ __schema { types { fields { type { fields { name } } } } } }"
        ));
        assert!(!intro(
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
        ));
    }
}
