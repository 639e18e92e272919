//! Folio's unsafe code, behind safe functions and types. The `folio` crate
//! forbids `unsafe`; what it cannot do without lives here, each `unsafe`
//! block with the argument that makes it sound.
//!
//! - [`fts5`]: SQLite's FTS5 extension API, a C table of function pointers
//!   that rusqlite does not wrap. Folio ranks search results with its own
//!   auxiliary functions (`folio_rank`, `folio_freq`), which read the
//!   current row's matches through it, and runs the index's tokenizer on
//!   query terms to expand prefixes exactly as FTS5 would. Every call takes
//!   raw pointers that SQLite hands out for the duration of a call.
//! - [`priority`]: the calling thread's nice value (`setpriority` on one
//!   thread), for the password-hashing threads; std has no such call and
//!   every foreign function is `unsafe` to call.

pub mod fts5;
pub mod priority;
