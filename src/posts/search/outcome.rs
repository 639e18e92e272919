//! What a search answers, whatever engine ran it: ranked hits with their
//! posts and marked snippets, and how many posts matched.

use crate::posts::model::Post;

/// Matches are counted exactly up to this many, and only the newest
/// this-many are ranked, so a query matching everything stays fast.
pub const SEARCH_CAP: u64 = 10_000;

/// Markers an engine puts around matches in a snippet; the response turns
/// them into `<mark>` after escaping the text.
pub const MARK_OPEN: char = '\u{1}';
pub const MARK_CLOSE: char = '\u{2}';

pub struct Hit {
    pub post: Post,
    /// Higher is better.
    pub rank: f64,
    /// Plain text with [`MARK_OPEN`] and [`MARK_CLOSE`] around matches.
    pub snippet: String,
}

/// Ranked hits of one page, and how many matched (counted up to the cap).
pub struct Outcome {
    pub hits: Vec<Hit>,
    pub count: u64,
}

impl Outcome {
    pub fn total(&self) -> u64 {
        self.count.min(SEARCH_CAP)
    }

    pub fn exact(&self) -> bool {
        self.count <= SEARCH_CAP
    }
}
