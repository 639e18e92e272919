//! What a request for a page of posts asks for, validated: the filters, the
//! sort and the paging. REST parses it from the query string
//! ([`PostList::parse`]); GraphQL builds it from its typed arguments.

use crate::error::{ApiResult, Problems};
use crate::ids::UserId;
use crate::posts::cursor;
use crate::posts::model::{PostSort, PublishedFilter};
use crate::posts::repo::After;
use crate::values::page::{parse_limit, Page};

/// Whose posts a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    Anyone,
    Only(UserId),
    /// An author id that is not a UUID: it names nobody, so the list is empty.
    Nobody,
}

/// Which slice of the sorted list.
#[derive(Debug, Clone)]
pub enum Paging {
    /// `page` and `limit`, with the contract's page numbers in the answer.
    Pages(Page),
    /// A raw offset (GraphQL's `offset`).
    Offset { limit: u32, offset: u64 },
    /// Keyset paging from a cursor an earlier page handed out.
    After { limit: u32, after: After },
}

impl Paging {
    pub fn limit(&self) -> u32 {
        match self {
            Paging::Pages(p) => p.limit,
            Paging::Offset { limit, .. } | Paging::After { limit, .. } => *limit,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PostList {
    pub published: PublishedFilter,
    pub sort: PostSort,
    pub author: Author,
    pub paging: Paging,
    /// Count the matches for `pagination.total` (GraphQL answers a bare
    /// list, and the count is most of an uncached page's cost).
    pub with_total: bool,
}

/// The query string of `GET /api/posts` (and a user's posts), as sent.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawPostList<'a> {
    pub page: Option<&'a str>,
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub author_id: Option<&'a str>,
    pub published: Option<&'a str>,
    pub sort: Option<&'a str>,
}

impl PostList {
    /// Every problem of the query string at once, as one `400`.
    pub fn parse(raw: RawPostList<'_>) -> ApiResult<PostList> {
        let mut problems = Problems::new();
        let published = problems
            .check(PublishedFilter::parse(raw.published))
            .unwrap_or(PublishedFilter::Published);
        let sort = problems
            .check(PostSort::parse(raw.sort, published))
            .unwrap_or(PostSort::PublishedDesc);
        let author = Author::parse(raw.author_id);
        let paging = match raw.cursor {
            Some(c) => {
                let limit = problems.check(parse_limit(raw.limit));
                let binding = binding(sort, published, &author);
                let after = problems.check_all(cursor::decode(&binding, c));
                limit
                    .zip(after)
                    .map(|(limit, after)| Paging::After { limit, after })
            }
            None => problems.check_all(Page::parse(raw.page, raw.limit).map(Paging::Pages)),
        };
        let paging = problems.into_value(paging)?;
        Ok(PostList {
            published,
            sort,
            author,
            paging,
            with_total: true,
        })
    }

    /// GraphQL's `posts`: published posts newest first unless asked for
    /// drafts, without the total.
    pub fn offset(author: Author, published: Option<bool>, limit: u32, offset: u64) -> PostList {
        let published = match published {
            None | Some(true) => PublishedFilter::Published,
            Some(false) => PublishedFilter::Drafts,
        };
        PostList {
            published,
            sort: PostSort::default_for(published),
            author,
            paging: Paging::Offset { limit, offset },
            with_total: false,
        }
    }

    /// What a cursor of this list is bound to: one from another sort or
    /// filter is refused.
    pub fn binding(&self) -> String {
        binding(self.sort, self.published, &self.author)
    }
}

impl Author {
    /// `author_id=` as sent; blank means anyone.
    pub fn parse(raw: Option<&str>) -> Author {
        match raw.map(str::trim).filter(|a| !a.is_empty()) {
            None => Author::Anyone,
            Some(raw) => UserId::parse(raw).map_or(Author::Nobody, Author::Only),
        }
    }
}

fn binding(sort: PostSort, published: PublishedFilter, author: &Author) -> String {
    let author = match author {
        Author::Only(id) => id.as_str(),
        Author::Anyone | Author::Nobody => "",
    };
    format!("s={};p={};a={author}", sort.as_str(), published.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_of_a_query_is_reported_at_once() {
        let raw = RawPostList {
            page: Some("0"),
            limit: Some("500"),
            published: Some("maybe"),
            sort: Some("random"),
            ..Default::default()
        };
        let Err(err) = PostList::parse(raw) else {
            panic!("a bad query parsed");
        };
        assert_eq!(err.fields(), ["published", "sort", "page", "limit"]);
    }

    #[test]
    fn a_cursor_is_bound_to_its_sort_filter_and_author() {
        let author = UserId::new();
        let first = PostList::parse(RawPostList {
            author_id: Some(&author),
            ..Default::default()
        })
        .expect("a valid query");
        let after = After {
            key: "2026-01-01T00:00:00.000Z".into(),
            id: crate::ids::PostId::new(),
        };
        let c = cursor::encode(&first.binding(), &after);
        let upper = author.to_uppercase();
        let next = PostList::parse(RawPostList {
            cursor: Some(&c),
            author_id: Some(&upper),
            ..Default::default()
        })
        .expect("the same list in another spelling");
        assert!(matches!(next.paging, Paging::After { limit: 20, .. }));
        for (sort, published, author) in [
            (Some("title"), None, Some(author.as_str())),
            (None, Some("any"), Some(author.as_str())),
            (None, None, None),
        ] {
            let other = PostList::parse(RawPostList {
                cursor: Some(&c),
                sort,
                published,
                author_id: author,
                ..Default::default()
            });
            assert!(other.is_err(), "{sort:?} {published:?} {author:?}");
        }
        assert_eq!(Author::parse(Some("nope")), Author::Nobody);
        assert_eq!(Author::parse(Some("  ")), Author::Anyone);
    }
}
