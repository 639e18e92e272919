//! What the post caches hold: a post as served, and a first page of the
//! anonymous feed.

use super::model::Post;

/// A post as served: the row, the `{"post": ...}` body bytes and their ETag
/// (the same for every caller allowed to see it).
#[derive(Debug)]
pub struct CachedPost {
    pub post: Post,
    pub body: String,
    pub etag: String,
}

/// A cached first page of the anonymous feed.
#[derive(Debug)]
pub enum FeedEntry {
    /// `GET /api/posts`: the rendered body.
    Body(String),
    /// GraphQL `posts`: the page's posts.
    Posts(Vec<Post>),
}
