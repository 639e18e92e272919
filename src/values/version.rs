//! A resource's version as its strong ETag, and the `If-Match`
//! precondition a write checks against it (inside its transaction).

use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// A strong ETag for `body`: a quoted, truncated SHA-256.
pub fn etag_of(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    let mut tag = String::with_capacity(34);
    tag.push('"');
    tag.push_str(&hex::encode(&digest[..16]));
    tag.push('"');
    tag
}

/// Does an `If-None-Match`/`If-Match` header value list `etag` (or `*`)?
pub fn matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The precondition headers of a request.
#[derive(Debug, Clone, Default)]
pub struct Preconditions {
    pub if_none_match: Option<String>,
    pub if_match: Option<String>,
}

impl Preconditions {
    /// `412` when `If-Match` was sent and does not list `current`.
    pub fn check_if_match(&self, current: &str) -> ApiResult<()> {
        match &self.if_match {
            Some(h) if !matches(h, current) => Err(ApiError::PreconditionFailed(
                "The resource changed since you read it (If-Match does not match its ETag)".into(),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        let a = etag_of("{\"a\":1}");
        assert!(a.starts_with('"') && a.len() == 34);
        assert_ne!(a, etag_of("{\"a\":2}"));
        assert!(matches(&format!("W/{a}, \"x\""), &a));
        assert!(matches("*", &a));
        assert!(!matches("\"x\"", &a));
    }
}
