//! What a request for a page of users asks for, validated. REST parses it
//! from the query string ([`UserList::parse`]); GraphQL builds it from its
//! typed arguments ([`UserList::offset`]).

use crate::error::{ApiError, ApiResult, FieldError, Problems};
use crate::users::repo::UserSort;
use crate::values::page::Page;

/// The longest `search` text, in characters.
pub const MAX_SEARCH_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserList {
    pub page: Page,
    /// A raw offset (GraphQL's `offset`), instead of the page's.
    pub offset: Option<u64>,
    /// Matched in usernames (and emails, for callers who may see them).
    pub search: Option<String>,
    pub sort: UserSort,
}

impl UserList {
    /// `GET /api/users`: every problem of the query string at once.
    pub fn parse(
        page: Option<&str>,
        limit: Option<&str>,
        search: Option<&str>,
        sort: Option<&str>,
    ) -> ApiResult<UserList> {
        let mut problems = Problems::new();
        let page = problems.check_all(Page::parse(page, limit));
        let sort = problems
            .check(parse_sort(sort))
            .unwrap_or(UserSort::CreatedDesc);
        let search = problems.check(parse_search(search));
        let (page, search) = problems.into_value(page.zip(search))?;
        Ok(UserList {
            page,
            offset: None,
            search,
            sort,
        })
    }

    /// GraphQL's `users`: newest first, `limit` after `offset`.
    pub fn offset(limit: u32, offset: u64, search: Option<&str>) -> ApiResult<UserList> {
        let search = parse_search(search).map_err(|e| ApiError::Validation(vec![e]))?;
        Ok(UserList {
            page: Page { page: 1, limit },
            offset: Some(offset),
            search,
            sort: UserSort::CreatedDesc,
        })
    }

    pub fn offset_or_page(&self) -> u64 {
        self.offset.unwrap_or_else(|| self.page.offset())
    }
}

fn parse_sort(raw: Option<&str>) -> Result<UserSort, FieldError> {
    match raw.map(str::trim) {
        None | Some("-created_at") => Ok(UserSort::CreatedDesc),
        Some("created_at") => Ok(UserSort::CreatedAsc),
        Some("username") => Ok(UserSort::UsernameAsc),
        Some("-username") => Ok(UserSort::UsernameDesc),
        Some(_) => Err(FieldError::new(
            "sort",
            "must be one of username, -username, created_at, -created_at",
        )),
    }
}

/// Blank is no search.
fn parse_search(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > MAX_SEARCH_CHARS => Err(FieldError::new(
            "search",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        )),
        other => Ok(other.map(str::to_string)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_a_query_is_reported_at_once() {
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        let Err(err) = UserList::parse(Some("0"), None, Some(&long), Some("age")) else {
            panic!("a bad query parsed");
        };
        assert_eq!(err.fields(), ["page", "sort", "search"]);
        let ok = UserList::parse(None, Some("5"), Some("  "), Some("-username"));
        assert_eq!(
            ok.ok(),
            Some(UserList {
                page: Page { page: 1, limit: 5 },
                offset: None,
                search: None,
                sort: UserSort::UsernameDesc,
            })
        );
    }
}
