//! The posts repo: every SQL statement about posts (search aside), behind
//! one trait that each storage backend implements (`sqlite/`).

pub(crate) mod sqlite;

use super::model::{Post, PostSort, PublishedFilter};
use crate::db::{Backend, StoreResult, Tx};
use crate::ids::{PostId, UserId};

pub struct NewPost<'a> {
    pub id: &'a PostId,
    pub author_id: &'a UserId,
    pub title: &'a str,
    pub slug: &'a str,
    pub content: &'a str,
    pub published: bool,
    /// `created_at` and `updated_at`, and `published_at` when published
    /// (`clock::now_string()`; formatted here rather than by SQLite's
    /// `strftime`, which cost the writer more).
    pub at: &'a str,
}

/// Which posts a list may show.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub published: PublishedFilter,
    /// For a plain user: drafts only of this author. `None`: every draft
    /// (admins, keys) — or none at all for anonymous callers (see `no_drafts`).
    pub drafts_of: Option<UserId>,
    pub no_drafts: bool,
    pub author_id: Option<UserId>,
}

/// Where a keyset page starts: after the item with this sort value and id.
#[derive(Debug, Clone)]
pub struct After {
    pub key: String,
    pub id: PostId,
}

/// What the posts feature asks of storage.
pub trait PostsRepo {
    fn by_id(&mut self, id: &PostId) -> StoreResult<Option<Post>>;
    fn by_slug(&mut self, slug: &str) -> StoreResult<Option<Post>>;
    /// Whether another post (not `except_id`) has this slug.
    fn slug_taken(&mut self, slug: &str, except_id: Option<&PostId>) -> StoreResult<bool>;
    /// The highest `-N` suffix in use for `base` (1 when only `base`
    /// exists).
    fn highest_suffix(&mut self, base: &str) -> StoreResult<Option<u64>>;
    fn insert(&mut self, post: &NewPost<'_>) -> StoreResult<()>;
    /// Sets the fields given, keeps the others.
    fn update_fields(
        &mut self,
        id: &PostId,
        title: Option<&str>,
        content: Option<&str>,
        slug: Option<&str>,
    ) -> StoreResult<()>;
    /// Publishes (keeping the first `published_at`) or unpublishes.
    fn set_published(&mut self, id: &PostId, published: bool) -> StoreResult<()>;
    /// True when the post existed.
    fn delete(&mut self, id: &PostId) -> StoreResult<bool>;
    /// (id, slug) of every post of an author.
    fn ids_by_author(&mut self, author_id: &UserId) -> StoreResult<Vec<(PostId, String)>>;
    /// Every post in creation order (`folio export`).
    fn export_all(&mut self, each: &mut dyn FnMut(Post) -> StoreResult<()>) -> StoreResult<()>;
    /// Inserts an exported post as it was (`folio import`).
    fn import(&mut self, post: &Post) -> StoreResult<()>;
    /// No users and no posts yet.
    fn is_empty(&mut self) -> StoreResult<bool>;
    /// One page of posts, each with its sort key (for the next cursor).
    fn list(
        &mut self,
        filter: &ListFilter,
        sort: PostSort,
        limit: u32,
        offset: u64,
        after: Option<&After>,
    ) -> StoreResult<Vec<(Post, String)>>;
    /// How many posts a filter matches.
    fn count(&mut self, filter: &ListFilter) -> StoreResult<u64>;
    /// (posts, published posts), for the admin dashboard.
    fn counts(&mut self) -> StoreResult<(i64, i64)>;
    /// The visible posts of several authors at once, newest first, `limit`
    /// and `offset` applied per author (GraphQL's DataLoader). `all_drafts`:
    /// the viewer sees every draft; else drafts of `viewer` only.
    fn by_authors(
        &mut self,
        authors: &[UserId],
        all_drafts: bool,
        viewer: Option<&UserId>,
        limit: u32,
        offset: u64,
    ) -> StoreResult<Vec<Post>>;
}

impl Tx<'_> {
    /// The posts repo of this transaction's backend.
    pub fn posts(&mut self) -> &mut dyn PostsRepo {
        match self.backend() {
            Backend::Sqlite(s) => s,
        }
    }
}
