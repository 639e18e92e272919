//! Bounds on one GraphQL answer: how many errors it lists and how many
//! bytes it takes.

use std::io::{self, Write};

use async_graphql::{ErrorExtensions, Response, ServerError};
use serde::Serialize;

/// Errors listed in one response; one more says how many were left out.
pub const MAX_ERRORS: usize = 20;

/// Gives the errors async-graphql raises itself (an argument that does not
/// coerce, such as an `Int` out of range) the contract's `validation_failed`
/// code; Folio's own resolver errors already carry theirs.
pub fn label_errors(res: &mut Response) {
    for error in &mut res.errors {
        let ext = error.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "validation_failed");
            ext.set("classification", "BAD_USER_INPUT");
        }
    }
}

/// Keeps the first `MAX_ERRORS` errors of `res`.
pub fn cap_errors(res: &mut Response) {
    if res.errors.len() <= MAX_ERRORS {
        return;
    }
    let left_out = res.errors.len() - MAX_ERRORS;
    res.errors.truncate(MAX_ERRORS);
    let note = async_graphql::Error::new(format!("{left_out} more errors left out."))
        .extend_with(|_, ext| ext.set("code", "too_many_errors"));
    res.errors.push(note.into_server_error(Default::default()));
}

/// A response that refuses the request with one error.
pub fn refusal(message: String) -> Response {
    Response::from_errors(vec![ServerError::new(message, None)])
}

/// `value` as JSON, or `None` once it passes `limit` bytes (writing stops
/// there, so an oversized answer is never held in full).
pub fn to_json_within<T: Serialize>(value: &T, limit: usize) -> Result<Option<String>, io::Error> {
    let mut out = Capped {
        buf: Vec::new(),
        limit,
        over: false,
    };
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => {}
        Err(_) if out.over => return Ok(None),
        Err(e) => return Err(io::Error::other(e)),
    }
    String::from_utf8(out.buf)
        .map(Some)
        .map_err(io::Error::other)
}

struct Capped {
    buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buf.len().saturating_add(bytes.len()) > self.limit {
            self.over = true;
            return Err(io::Error::other("over the response size limit"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_without_a_code_are_labelled_as_the_callers() {
        let mut res =
            Response::from_errors(vec![ServerError::new("Failed to parse \"Int\"", None)]);
        res.errors.push(
            async_graphql::Error::new("gone")
                .extend_with(|_, ext| ext.set("code", "not_found"))
                .into_server_error(Default::default()),
        );
        label_errors(&mut res);
        let code = |i: usize| {
            res.errors[i]
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .cloned()
        };
        assert_eq!(
            code(0),
            Some(async_graphql::Value::from("validation_failed"))
        );
        assert_eq!(code(1), Some(async_graphql::Value::from("not_found")));
    }

    #[test]
    fn errors_are_capped_with_a_count_of_the_rest() {
        let mut res = Response::from_errors(
            (0..500)
                .map(|i| ServerError::new(format!("e{i}"), None))
                .collect(),
        );
        cap_errors(&mut res);
        assert_eq!(res.errors.len(), MAX_ERRORS + 1);
        assert_eq!(res.errors[MAX_ERRORS].message, "480 more errors left out.");
    }

    #[test]
    fn serialising_stops_at_the_limit() {
        let big = vec!["x".repeat(100); 100];
        assert_eq!(to_json_within(&big, 1000).unwrap(), None);
        let small = to_json_within(&["a"], 1000).unwrap();
        assert_eq!(small.as_deref(), Some("[\"a\"]"));
    }
}
