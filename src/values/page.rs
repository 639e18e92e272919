//! List parameters shared by every collection: `page` (≥ 1) and `limit`
//! (1..100), parsed from raw query text so a bad value is a `400` with
//! details, never Rocket's `422`.

use serde_json::{json, Value};

use crate::error::{ApiResult, FieldError, Problems};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub limit: u32,
}

impl Page {
    pub fn parse(page: Option<&str>, limit: Option<&str>) -> ApiResult<Page> {
        let mut problems = Problems::new();
        let page = match page {
            None => 1,
            Some(p) => match p.trim().parse::<u32>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    problems.push(FieldError::new("page", "must be a whole number ≥ 1"));
                    1
                }
            },
        };
        let limit = problems.check(parse_limit(limit)).unwrap_or(DEFAULT_LIMIT);
        problems.into_result()?;
        Ok(Page { page, limit })
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.limit)
    }

    /// The contract's `pagination` object for offset paging.
    pub fn json(&self, total: u64) -> Value {
        let pages = total.div_ceil(u64::from(self.limit));
        json!({"page": self.page, "limit": self.limit, "total": total, "pages": pages})
    }
}

pub fn parse_limit(limit: Option<&str>) -> Result<u32, FieldError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) => match l.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(FieldError::new(
                "limit",
                "must be a whole number from 1 to 100",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        assert_eq!(
            Page::parse(None, None).unwrap(),
            Page { page: 1, limit: 20 }
        );
        assert_eq!(Page::parse(Some("3"), Some("100")).unwrap().offset(), 200);
        for (p, l) in [
            (Some("0"), None),
            (Some("x"), None),
            (None, Some("101")),
            (None, Some("0")),
            (Some("-1"), None),
        ] {
            assert!(Page::parse(p, l).is_err(), "{p:?} {l:?}");
        }
        assert_eq!(Page { page: 1, limit: 20 }.json(57)["pages"], 3);
        assert_eq!(Page { page: 1, limit: 20 }.json(0)["pages"], 0);
    }
}
