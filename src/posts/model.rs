//! Posts: validated inputs, slugs, and the JSON every caller sees.

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value;

use crate::error::FieldError;
use crate::ids::{PostId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub title: String,
    pub slug: String,
    pub content: String,
    pub author_id: UserId,
    pub author_username: String,
    pub published: bool,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Post {
    pub fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// `{"post": …}`, the body of every single-post answer.
    pub fn body(&self) -> String {
        #[derive(Serialize)]
        struct Envelope<'a> {
            post: &'a Post,
        }
        serde_json::to_string(&Envelope { post: self }).unwrap_or_default()
    }
}

/// How a request names a post: `/api/posts/{id-or-slug}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostKey {
    Id(PostId),
    Slug(String),
    /// Neither a UUID nor a possible slug: names no post.
    None,
}

impl PostKey {
    /// A UUID is an id; anything else up to the longest slug is a slug.
    pub fn parse(raw: &str) -> PostKey {
        match PostId::parse(raw) {
            Some(id) => PostKey::Id(id),
            None if raw.len() <= 80 => PostKey::Slug(raw.to_string()),
            None => PostKey::None,
        }
    }
}

/// The post as every caller sees it. Written straight out (not through a
/// `serde_json::Value`, whose map allocates per key): a created post is
/// serialised twice, for its event and its answer. The keys come sorted, the
/// order a `Value` writes them, so the bytes (and ETags) match a `Value`'s.
impl Serialize for Post {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Author<'a> {
            id: &'a str,
            username: &'a str,
        }
        let mut m = s.serialize_struct("Post", 10)?;
        m.serialize_field(
            "author",
            &Author {
                id: &self.author_id,
                username: &self.author_username,
            },
        )?;
        m.serialize_field("author_id", &self.author_id)?;
        m.serialize_field("content", &self.content)?;
        m.serialize_field("created_at", &self.created_at)?;
        m.serialize_field("id", &self.id)?;
        m.serialize_field("published", &self.published)?;
        m.serialize_field("published_at", &self.published_at)?;
        m.serialize_field("slug", &self.slug)?;
        m.serialize_field("title", &self.title)?;
        m.serialize_field("updated_at", &self.updated_at)?;
        m.end()
    }
}

const MAX_SLUG: usize = 80;

/// Text fields may hold line breaks and tabs but no other control characters.
fn has_bad_controls(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

pub fn check_title(title: &str) -> Result<String, FieldError> {
    let t = title.trim();
    let n = t.chars().count();
    // A title is one line: no line breaks or tabs either.
    if n == 0 || n > 255 || t.chars().any(char::is_control) {
        return Err(FieldError::new(
            "title",
            "must be 1 to 255 characters without control characters",
        ));
    }
    Ok(t.to_string())
}

pub fn check_content(content: &str) -> Result<String, FieldError> {
    let n = content.chars().count();
    if content.trim().is_empty() || n > 100_000 || has_bad_controls(content) {
        return Err(FieldError::new(
            "content",
            "must be 1 to 100000 characters without control characters other than line breaks and tabs",
        ));
    }
    Ok(content.to_string())
}

/// An explicit slug: `[a-z0-9]+(-[a-z0-9]+)*`, at most 80 chars, not a UUID.
pub fn check_slug(slug: &str) -> Result<String, FieldError> {
    let shape = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if !shape {
        return Err(FieldError::new(
            "slug",
            "must be lower-case letters and digits in words joined by '-', at most 80 characters",
        ));
    }
    if uuid::Uuid::parse_str(slug).is_ok() {
        return Err(FieldError::new("slug", "must not look like an id (UUID)"));
    }
    Ok(slug.to_string())
}

/// Derives a slug from a title: transliterated to ASCII, lower case, words
/// joined by `-`, at most 80 chars (before any `-2` suffix).
pub fn slugify(title: &str) -> String {
    let ascii = deunicode::deunicode(title).to_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    truncate_slug(slug.trim_end_matches('-'), MAX_SLUG)
        .filter(|s| uuid::Uuid::parse_str(s).is_err())
        .unwrap_or_else(|| "post".to_string())
}

/// Cuts a slug to `max` chars at a word boundary where possible.
fn truncate_slug(slug: &str, max: usize) -> Option<String> {
    let cut = if slug.len() <= max {
        slug
    } else {
        let head = &slug[..max];
        match head.rfind('-') {
            Some(i) if i > max / 2 => &head[..i],
            _ => head,
        }
    };
    let cut = cut.trim_matches('-');
    (!cut.is_empty()).then(|| cut.to_string())
}

/// The part of `base` that numbered slugs keep: all of it unless it is
/// too long to take the longest suffix (`-` and 20 digits) within 80 chars.
/// The same whatever the number, so every `-N` of a base shares one stem
/// and [`super::repo::highest_suffix`] finds them all.
pub fn suffix_stem(base: &str) -> String {
    truncate_slug(base, MAX_SLUG - 21).unwrap_or_else(|| "post".into())
}

/// `base` with a numeric suffix, keeping the whole within 80 chars.
pub fn with_suffix(base: &str, n: u64) -> String {
    format!("{}-{n}", suffix_stem(base))
}

/// `published=true|false|any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishedFilter {
    Published,
    Drafts,
    Any,
}

impl PublishedFilter {
    pub fn parse(raw: Option<&str>) -> Result<PublishedFilter, FieldError> {
        match raw.map(str::trim) {
            None | Some("true") => Ok(PublishedFilter::Published),
            Some("false") => Ok(PublishedFilter::Drafts),
            Some("any") => Ok(PublishedFilter::Any),
            Some(_) => Err(FieldError::new("published", "must be true, false or any")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PublishedFilter::Published => "true",
            PublishedFilter::Drafts => "false",
            PublishedFilter::Any => "any",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSort {
    PublishedDesc,
    PublishedAsc,
    CreatedDesc,
    CreatedAsc,
    Title,
}

impl PostSort {
    /// Newest published first for the published list, else newest created.
    pub fn default_for(filter: PublishedFilter) -> PostSort {
        match filter {
            PublishedFilter::Published => PostSort::PublishedDesc,
            PublishedFilter::Drafts | PublishedFilter::Any => PostSort::CreatedDesc,
        }
    }

    pub fn parse(raw: Option<&str>, filter: PublishedFilter) -> Result<PostSort, FieldError> {
        match raw.map(str::trim) {
            None => Ok(PostSort::default_for(filter)),
            Some("-published_at") => Ok(PostSort::PublishedDesc),
            Some("published_at") => Ok(PostSort::PublishedAsc),
            Some("-created_at") => Ok(PostSort::CreatedDesc),
            Some("created_at") => Ok(PostSort::CreatedAsc),
            Some("title") => Ok(PostSort::Title),
            Some(_) => Err(FieldError::new(
                "sort",
                "must be one of -published_at, published_at, -created_at, created_at, title",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PostSort::PublishedDesc => "-published_at",
            PostSort::PublishedAsc => "published_at",
            PostSort::CreatedDesc => "-created_at",
            PostSort::CreatedAsc => "created_at",
            PostSort::Title => "title",
        }
    }

    pub fn descending(self) -> bool {
        matches!(self, PostSort::PublishedDesc | PostSort::CreatedDesc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The post's JSON is the same bytes a `serde_json::Value` of it writes
    /// (so ETags of unchanged posts stay the same).
    #[test]
    fn json_is_written_as_the_value_was() {
        for (published, published_at) in [(false, None), (true, Some("2026-11-28T08:00:00.000Z"))] {
            let post = Post {
                id: PostId::from_stored("0193-a".into()),
                title: "Quotes \" and \\ and ünï \u{1} <b>".into(),
                slug: "quotes".into(),
                content: "line\nbreak\ttab".into(),
                author_id: UserId::from_stored("0193-u".into()),
                author_username: "anna".into(),
                published,
                published_at: published_at.map(str::to_string),
                created_at: "2026-11-28T07:00:00.000Z".into(),
                updated_at: "2026-11-28T07:30:00.000Z".into(),
            };
            let before = serde_json::json!({
                "id": post.id,
                "title": post.title,
                "slug": post.slug,
                "content": post.content,
                "author": {"id": post.author_id, "username": post.author_username},
                "author_id": post.author_id,
                "published": post.published,
                "published_at": post.published_at,
                "created_at": post.created_at,
                "updated_at": post.updated_at,
            });
            assert_eq!(serde_json::to_string(&post).unwrap(), before.to_string());
            assert_eq!(post.json(), before);
            assert_eq!(
                post.body(),
                serde_json::json!({ "post": before }).to_string()
            );
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("Ünïcode Straße"), "unicode-strasse");
        assert_eq!(slugify("  --  "), "post");
        assert_eq!(slugify("日本語"), "ri-ben-yu");
        let long = slugify(&"word ".repeat(40));
        assert!(long.len() <= 80 && !long.ends_with('-'), "{long}");
        assert_eq!(slugify("0190a0b0-0000-7000-8000-000000000000"), "post");
        assert_eq!(with_suffix("hello", 2), "hello-2");
        assert!(with_suffix(&"a".repeat(80), 12).len() <= 80);
    }

    #[test]
    fn explicit_slugs() {
        assert!(check_slug("my-post-2").is_ok());
        for bad in [
            "",
            "My-Post",
            "a--b",
            "-a",
            "a-",
            "a_b",
            "ü",
            &"a".repeat(81),
        ] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        assert!(check_slug("0190a0b0-0000-7000-8000-000000000000").is_err());
    }

    #[test]
    fn fields() {
        assert!(check_title("  ").is_err());
        assert!(check_title(&"x".repeat(256)).is_err());
        assert_eq!(check_title(" Hi ").unwrap(), "Hi");
        assert_eq!(check_title("Hi\n").unwrap(), "Hi", "trimmed like spaces");
        for bad in ["line\nbreak", "tab\there", "bell\u{7}", "cr\rhere"] {
            assert!(check_title(bad).is_err(), "{bad:?}");
        }
        assert!(check_content("a\u{0}b").is_err());
        assert!(check_content("line\nbreak\ttab").is_ok());
        assert!(check_content(&"x".repeat(100_001)).is_err());
    }
}
