//! `folio seed`: demo and benchmark data, written in large transactions.

use crate::cli::{api, CliError};
use crate::config::Config;
use crate::db::DbOptions;

/// `folio seed`: fills the database with demo or benchmark data — `users`
/// authors (password `Seed-Password-1`) and `posts` posts, `published`% of
/// them published, written in large transactions with progress on stderr.
/// Every post contains the word "folio" and every hundredth "centum" (for
/// searching a term in every post and in 1% of them).
pub fn seed(config: &Config, users: u32, posts: u64, published_pct: u8) -> Result<(), CliError> {
    seed_shaped(config, users, posts, published_pct, SeedShape::default())
}

/// What seeded posts are made of.
#[derive(Debug, Clone, Copy)]
pub struct SeedShape {
    /// Only the first N seed words, and no marker words (`None`: all 40 and
    /// the markers).
    pub vocabulary: Option<usize>,
    /// Words of content per post.
    pub words: usize,
}

impl Default for SeedShape {
    fn default() -> Self {
        SeedShape {
            vocabulary: None,
            words: 40,
        }
    }
}

/// [`seed`] with posts of the given shape.
pub fn seed_shaped(
    config: &Config,
    users: u32,
    posts: u64,
    published_pct: u8,
    shape: SeedShape,
) -> Result<(), CliError> {
    const WORDS: &[&str] = &[
        "rust",
        "sqlite",
        "backend",
        "search",
        "cache",
        "event",
        "webhook",
        "query",
        "index",
        "server",
        "binary",
        "token",
        "session",
        "admin",
        "stream",
        "latency",
        "throughput",
        "durable",
        "commit",
        "page",
        "cursor",
        "slug",
        "author",
        "draft",
        "publish",
        "metric",
        "backup",
        "restore",
        "schema",
        "graph",
        "limit",
        "policy",
        "secure",
        "edge",
        "device",
        "demo",
        "team",
        "console",
        "log",
        "trace",
    ];
    let vocabulary = &WORDS[..shape.vocabulary.unwrap_or(WORDS.len()).min(WORDS.len())];
    let markers = shape.vocabulary.is_none();
    let per_post = shape.words.max(3);
    let path = config.database_path();
    let db = crate::db::Db::open(
        &path,
        DbOptions::from_config(config, crate::app::STORAGE_HOOKS),
    )?;
    let hasher = crate::auth::password::Hasher::new(&config.auth).map_err(api)?;
    let hash = hasher.hash_blocking("Seed-Password-1").map_err(api)?;
    let started = std::time::Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    let users = users.max(1);
    let author_ids: Vec<crate::ids::UserId> = runtime
        .block_on(db.write(move |c| {
            let mut ids = Vec::new();
            for _ in 0..users {
                let id = crate::ids::UserId::new();
                let tag = &id[id.len() - 12..];
                c.users().insert_seed(&crate::users::repo::NewUser {
                    id: &id,
                    username: &format!("seed_{tag}"),
                    email: &format!("seed_{tag}@example.com"),
                    password_hash: &hash,
                    role: crate::users::model::Role::User,
                })?;
                ids.push(id);
            }
            Ok(ids)
        }))
        .map_err(api)?;
    let mut rng_state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    let batch = 20_000u64;
    let mut done = 0u64;
    while done < posts {
        let n = batch.min(posts - done);
        let mut rows = Vec::with_capacity(n as usize);
        for i in 0..n {
            let words: Vec<&str> = (0..per_post)
                .map(|_| vocabulary[(next() % vocabulary.len() as u64) as usize])
                .collect();
            let title = format!("{} {} {}", words[0], words[1], words[2]);
            let published = (next() % 100) < u64::from(published_pct);
            let author = author_ids[(next() % author_ids.len() as u64) as usize].clone();
            // Two marker words for search benchmarks: "folio" in every post,
            // "centum" in every hundredth.
            let mut content = words.join(" ");
            if markers {
                content.push_str(if (done + i).is_multiple_of(100) {
                    " folio centum"
                } else {
                    " folio"
                });
            }
            rows.push((title, content, published, author, done + i));
        }
        runtime
            .block_on(db.write(move |c| {
                for (title, content, published, author, n) in rows {
                    let id = crate::ids::PostId::new();
                    let at = crate::clock::now_string();
                    let slug = format!("{}-{n}", crate::posts::model::slugify(&title));
                    c.posts().insert(&crate::posts::repo::NewPost {
                        id: &id,
                        author_id: &author,
                        title: &title,
                        slug: &slug,
                        content: &content,
                        published,
                        at: &at,
                    })?;
                }
                Ok(())
            }))
            .map_err(api)?;
        done += n;
        eprintln!(
            "seeded {done}/{posts} posts ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    db.close();
    println!(
        "seeded {users} users and {posts} posts into {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
