//! SQLite's FTS5 extension API, which is C and which rusqlite does not
//! wrap: auxiliary functions ([`register_aux`]) and running a table's
//! tokenizer ([`tokenize`]).

mod api;
mod auxiliary;
#[cfg(test)]
mod tests;
mod tokenize;

pub use auxiliary::{register_aux, Args, AuxContext, Instance};
pub use tokenize::{tokenize, Mode};
