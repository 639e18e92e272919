//! `bench-like`: the in-run stand-in for PocketBase's unranked `LIKE` filter
//! (issue #26 part 6), for `bench/common_words`. PocketBase cannot be
//! installed here, so this serves its query on the same SQLite file Folio
//! searches: `GET /search?q=w1 w2` answers the newest 20 published posts
//! whose content contains every word (`LIKE '%w%'`, as PocketBase's `~`
//! filter), newest first, with a `COUNT` of all of them (PocketBase's
//! `totalItems`), as JSON.
//!
//! Configured like `bench-hello` (release defaults, one async worker per
//! core, logging off); `PORT` (default 8002) on 127.0.0.1, the database from
//! `DB`, opened read-only with one connection per core.

use rocket::figment::Figment;
use rocket::http::Status;
use rocket::serde::json::{Json, Value};
use rocket::State;
use rusqlite::types::Value as SqlValue;
use rusqlite::OpenFlags;

type Pool = r2d2::Pool<r2d2_sqlite::SqliteConnectionManager>;

/// At most this many words of `q` become filters.
const MAX_WORDS: usize = 8;

fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn search(conn: &rusqlite::Connection, q: &str) -> rusqlite::Result<Value> {
    let words: Vec<&str> = q.split_whitespace().take(MAX_WORDS).collect();
    let filter: String = (1..=words.len())
        .map(|i| format!(" AND p.content LIKE ?{i} ESCAPE '\\'"))
        .collect();
    let args: Vec<SqlValue> = words
        .iter()
        .map(|w| SqlValue::Text(like_pattern(w)))
        .collect();
    let mut page = conn.prepare_cached(&format!(
        "SELECT p.id, p.title, p.slug, p.content, p.created_at FROM posts p
         WHERE p.published = 1{filter} ORDER BY p.created_at DESC LIMIT 20"
    ))?;
    let items = page
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok(serde_json::json!({
                "id": r.get::<_, String>(0)?,
                "title": r.get::<_, String>(1)?,
                "slug": r.get::<_, String>(2)?,
                "content": r.get::<_, String>(3)?,
                "created": r.get::<_, String>(4)?,
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM posts p WHERE p.published = 1{filter}"
        ))?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    Ok(serde_json::json!({"page": 1, "perPage": 20, "totalItems": total, "items": items}))
}

#[rocket::get("/search?<q>")]
async fn search_route(pool: &State<Pool>, q: &str) -> Result<Json<Value>, Status> {
    let (pool, q) = (pool.inner().clone(), q.to_string());
    let answer = tokio::task::spawn_blocking(move || {
        let conn = pool.get().map_err(|_| Status::ServiceUnavailable)?;
        search(&conn, &q).map_err(|_| Status::InternalServerError)
    })
    .await
    .map_err(|_| Status::InternalServerError)?;
    answer.map(Json)
}

fn main() -> std::process::ExitCode {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8002);
    let Some(db) = std::env::var_os("DB") else {
        eprintln!("bench-like: set DB to the database file");
        return std::process::ExitCode::FAILURE;
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let manager = r2d2_sqlite::SqliteConnectionManager::file(db)
        .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX);
    let pool = match r2d2::Pool::builder()
        .max_size(u32::try_from(workers).unwrap_or(2))
        .build(manager)
    {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("bench-like: cannot open the database: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let figment = Figment::from(rocket::Config::release_default())
        .merge(("address", "127.0.0.1"))
        .merge(("port", port))
        .merge(("workers", workers))
        .merge(("log_level", "off"))
        .merge(("cli_colors", false))
        .merge(("ident", "bench-like"))
        .merge(("shutdown.ctrlc", true))
        .merge(("shutdown.signals", vec!["term"]))
        .merge(("shutdown.grace", 1u32))
        .merge(("shutdown.mercy", 1u32));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("bench-like")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-like: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        rocket::custom(figment)
            .manage(pool)
            .mount("/", rocket::routes![search_route])
            .launch()
            .await
    });
    match result {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-like: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
