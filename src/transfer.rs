//! `folio export` and `folio import`: users and posts as JSON Lines — a way
//! out to other systems, and a way in, without losing a row.
//!
//! `users.jsonl` holds one user per line (with `password_hash` only when
//! exported `--with-secrets`); `posts.jsonl` one post per line. Import loads
//! such a directory into an empty database in one transaction; users exported
//! without secrets get an unusable password and must have it reset.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PostId, UserId};
use crate::posts::model::Post;
use crate::users::model::{Role, User};

#[derive(Serialize, Deserialize)]
struct UserLine {
    id: UserId,
    username: String,
    email: String,
    role: String,
    disabled: bool,
    created_at: String,
    updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_hash: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PostLine {
    id: PostId,
    author_id: UserId,
    title: String,
    slug: String,
    content: String,
    published: bool,
    published_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// A file or encoding error inside a storage callback (export's rows).
fn store_io(e: impl std::fmt::Display) -> crate::db::StoreError {
    crate::db::StoreError::other(e.to_string())
}

fn io(e: impl std::fmt::Display) -> ApiError {
    ApiError::from(store_io(e))
}

/// Writes `users.jsonl` and `posts.jsonl` into `out`; returns the counts.
pub async fn export(db: &Db, out: &Path, with_secrets: bool) -> ApiResult<(u64, u64)> {
    crate::db::create_private_dir(out).map_err(io)?;
    let out = out.to_path_buf();
    db.read(move |c| {
        let mut users = BufWriter::new(std::fs::File::create(out.join("users.jsonl")).map_err(io)?);
        let mut n_users = 0;
        c.users().export_all(&mut |u, hash| {
            let line = UserLine {
                id: u.id,
                username: u.username,
                email: u.email,
                role: u.role.as_str().to_string(),
                disabled: u.disabled,
                created_at: u.created_at,
                updated_at: u.updated_at,
                password_hash: with_secrets.then_some(hash),
            };
            serde_json::to_writer(&mut users, &line).map_err(store_io)?;
            users.write_all(b"\n").map_err(store_io)?;
            n_users += 1;
            Ok(())
        })?;
        users.flush().map_err(io)?;
        let mut posts = BufWriter::new(std::fs::File::create(out.join("posts.jsonl")).map_err(io)?);
        let mut n_posts = 0;
        c.posts().export_all(&mut |p| {
            let line = PostLine {
                id: p.id,
                author_id: p.author_id,
                title: p.title,
                slug: p.slug,
                content: p.content,
                published: p.published,
                published_at: p.published_at,
                created_at: p.created_at,
                updated_at: p.updated_at,
            };
            serde_json::to_writer(&mut posts, &line).map_err(store_io)?;
            posts.write_all(b"\n").map_err(store_io)?;
            n_posts += 1;
            Ok(())
        })?;
        posts.flush().map_err(io)?;
        Ok((n_users, n_posts))
    })
    .await
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> ApiResult<Vec<T>> {
    let file = std::fs::File::open(path).map_err(|e| io(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .map_err(|e| io(format!("{} line {}: {e}", path.display(), n + 1)))?,
        );
    }
    Ok(out)
}

/// Loads an export into an empty database; returns the counts and how many
/// users came without a password.
pub async fn import(
    db: &Db,
    dir: &Path,
    unusable_hash: String,
) -> ApiResult<(usize, usize, usize)> {
    let users: Vec<UserLine> = read_lines(&dir.join("users.jsonl"))?;
    let posts: Vec<PostLine> = read_lines(&dir.join("posts.jsonl"))?;
    db.write(move |c| {
        if !c.posts().is_empty()? {
            return Err(ApiError::Conflict(
                "the database is not empty; import only into a fresh one".into(),
            ));
        }
        let mut without = 0;
        for u in &users {
            let hash = match &u.password_hash {
                Some(h) => h.clone(),
                None => {
                    without += 1;
                    unusable_hash.clone()
                }
            };
            let user = User {
                id: u.id.clone(),
                username: u.username.clone(),
                email: u.email.clone(),
                role: Role::parse(&u.role).unwrap_or(Role::User),
                disabled: u.disabled,
                token_version: 0,
                created_at: u.created_at.clone(),
                updated_at: u.updated_at.clone(),
            };
            c.users().import(&user, &hash)?;
        }
        for p in &posts {
            let post = Post {
                id: p.id.clone(),
                title: p.title.clone(),
                slug: p.slug.clone(),
                content: p.content.clone(),
                author_id: p.author_id.clone(),
                author_username: String::new(),
                published: p.published,
                published_at: p.published_at.clone(),
                created_at: p.created_at.clone(),
                updated_at: p.updated_at.clone(),
            };
            c.posts().import(&post)?;
        }
        Ok((users.len(), posts.len(), without))
    })
    .await
}
