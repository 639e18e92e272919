//! The body of `GET /api/search`: one page of hits with rounded ranks and
//! HTML-escaped snippets, written straight to a string.

use serde::Serialize;
use serde_json::{json, Value};

use super::outcome::{Outcome, MARK_CLOSE, MARK_OPEN};
use crate::error::{ApiError, ApiResult};
use crate::values::page::Page;

/// Escapes HTML, then turns the match markers into `<mark>` tags.
pub fn render_snippet(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            MARK_OPEN => out.push_str("<mark>"),
            MARK_CLOSE => out.push_str("</mark>"),
            c => out.push(c),
        }
    }
    out
}

/// The body of `GET /api/search`: one page of ranked results.
pub fn body(page: &Page, outcome: &Outcome) -> ApiResult<String> {
    let mut pagination = page.json(outcome.total());
    pagination["exact"] = json!(outcome.exact());
    let body = Body {
        pagination,
        results: outcome
            .hits
            .iter()
            .map(|h| Hit {
                post: &h.post,
                rank: rounded(h.rank),
                snippet: render_snippet(&h.snippet),
            })
            .collect(),
    };
    serde_json::to_string(&body).map_err(ApiError::internal)
}

/// The body of `GET /api/search`, written straight out (keys in the sorted
/// order a `serde_json::Value` gives them, so the bytes are the same).
#[derive(Serialize)]
struct Body<'a> {
    pagination: Value,
    results: Vec<Hit<'a>>,
}

#[derive(Serialize)]
struct Hit<'a> {
    post: &'a crate::posts::model::Post,
    rank: f64,
    snippet: String,
}

pub fn rounded(rank: f64) -> f64 {
    (rank * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_except_marks() {
        let raw = format!("a <b> & {MARK_OPEN}term{MARK_CLOSE} \"q\"");
        assert_eq!(
            render_snippet(&raw),
            "a &lt;b&gt; &amp; <mark>term</mark> &quot;q&quot;"
        );
    }
}
