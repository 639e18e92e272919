//! The command implementations behind `folio`'s subcommands.
//!
//! `main.rs` parses the command line; everything here returns a
//! [`CliError`] that `main` prints as one clear line before exiting 1.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::config::{Config, Source};
use crate::db::lock::DataDirLock;
use crate::db::{migrate, open_connection, DbOptions};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Lock(#[from] crate::db::lock::LockError),
    #[error(transparent)]
    Build(#[from] crate::app::BuildError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Migration(#[from] migrate::MigrationError),
    #[error("{0}")]
    Message(String),
}

impl CliError {
    pub fn msg(m: impl Into<String>) -> Self {
        CliError::Message(m.into())
    }
}

pub fn load_config(source: &Source) -> Result<Config, CliError> {
    Ok(Config::load(source)?)
}

/// `folio serve`: runs the server until SIGTERM or Ctrl-C.
pub fn serve(mut config: Config) -> Result<(), CliError> {
    // Held until serve returns, so queued log lines are written out.
    let _log_guard = crate::telemetry::init(&config);
    let ignored = crate::config::ignored_env();
    if !ignored.is_empty() {
        tracing::warn!(
            variables = %ignored.join(", "),
            "ignoring FOLIO_* environment variables that are not configuration \
             (read: FOLIO_<SECTION>__<KEY>, FOLIO_DATA_DIR, FOLIO_CONFIG, FOLIO_ADMIN_*)"
        );
    }
    crate::fdlimit::raise(&mut config);
    let lock = DataDirLock::acquire(&config.data_dir)?;
    let workers = match config.server.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("folio-worker")
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(async move {
        let rocket = crate::app::build(config).await?;
        let db = rocket.state::<crate::ctx::Ctx>().map(|ctx| ctx.db.clone());
        // Returns once every connection has closed, or was cut off after the
        // grace period: requests in flight at SIGTERM have been answered
        // unless they outran it (their writes then fail, and are not kept).
        let served = rocket.launch().await;
        if let Some(db) = db {
            tracing::info!("closing the database");
            // The writer finishes what is queued, then checkpoints the WAL.
            if tokio::task::spawn_blocking(move || db.close())
                .await
                .is_err()
            {
                tracing::error!("closing the database failed");
            }
        }
        served
            .map(drop)
            .map_err(|e| CliError::msg(format!("server failed: {e}")))
    });
    tracing::info!("folio stopped");
    drop(lock);
    result
}

/// `folio migrate [--status]`.
pub fn migrate(config: &Config, status_only: bool) -> Result<(), CliError> {
    let path = config.database_path();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::db::create_private_dir(parent)
            .map_err(|e| CliError::msg(format!("cannot create {}: {e}", parent.display())))?;
    }
    crate::db::create_private_file(&path)
        .map_err(|e| CliError::msg(format!("cannot create {}: {e}", path.display())))?;
    let mut conn = open_connection(
        &path,
        &DbOptions::from_config(config, crate::app::STORAGE_HOOKS),
    )
    .map_err(|e| CliError::msg(format!("cannot open {}: {e}", path.display())))?;
    let known = migrate::embedded()?;
    if status_only {
        println!("database: {}", path.display());
        for row in migrate::status(&conn, &known)? {
            println!("{row}");
        }
        return Ok(());
    }
    let applied = migrate::run(&mut conn, &known)?;
    if applied.is_empty() {
        println!(
            "{}: up to date ({} migrations)",
            path.display(),
            known.len()
        );
    } else {
        for m in &applied {
            println!("applied {}", m.file_name());
        }
        println!("{}: {} migration(s) applied", path.display(), applied.len());
    }
    Ok(())
}

type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// A runtime and a service context on the configured database, for commands
/// that act while the server may be running (SQLite takes care of locking).
fn offline<T>(
    config: &Config,
    f: impl for<'a> FnOnce(&'a crate::ctx::Ctx) -> BoxFut<'a, Result<T, CliError>>,
) -> Result<T, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::msg(format!("cannot start the async runtime: {e}")))?;
    let path = config.database_path();
    let db = crate::db::Db::open(
        &path,
        DbOptions::from_config(config, crate::app::STORAGE_HOOKS),
    )?;
    let ctx = crate::ctx::Ctx::new(config.clone(), db.clone()).map_err(api)?;
    let result = runtime.block_on(f(&ctx));
    db.close();
    result
}

pub(crate) fn api(e: crate::error::ApiError) -> CliError {
    match e {
        crate::error::ApiError::Validation(details) => CliError::msg(
            details
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        crate::error::ApiError::Internal(cause) => CliError::msg(cause.to_string()),
        other => CliError::msg(other.to_string()),
    }
}

/// Reads one line (the password) from standard input.
pub fn read_password_stdin() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::msg(format!("cannot read the password from stdin: {e}")))?;
    let pw = line.trim_end_matches(['\n', '\r']).to_string();
    if pw.is_empty() {
        return Err(CliError::msg(
            "no password on stdin (pipe it in: echo \"$PW\" | folio ...)",
        ));
    }
    Ok(pw)
}

/// `folio admin create`.
pub fn admin_create(
    config: &Config,
    email: &str,
    username: &str,
    password: String,
) -> Result<(), CliError> {
    let (email, username) = (email.to_string(), username.to_string());
    let user = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::service::create_admin(
                ctx,
                crate::auth::service::NewAccount {
                    email,
                    username,
                    password,
                },
            )
            .await
            .map_err(api)
        })
    })?;
    println!(
        "created admin {} ({}) id {}",
        user.username, user.email, user.id
    );
    Ok(())
}

/// `folio admin list`.
pub fn admin_list(config: &Config) -> Result<(), CliError> {
    let admins = offline(config, |ctx| {
        Box::pin(async move { ctx.db.read(crate::users::repo::admins).await.map_err(api) })
    })?;
    if admins.is_empty() {
        println!("no admins yet (create one with `folio admin create`)");
    }
    for u in admins {
        let state = if u.disabled { " (disabled)" } else { "" };
        println!("{}  {:<30} {}{state}", u.id, u.username, u.email);
    }
    Ok(())
}

/// `folio admin promote USER`.
pub fn admin_promote(config: &Config, user: &str) -> Result<(), CliError> {
    let user = user.to_string();
    let u = offline(config, |ctx| {
        Box::pin(async move {
            crate::users::service::promote(ctx, &user)
                .await
                .map_err(api)
        })
    })?;
    println!("{} ({}) is now an admin", u.username, u.id);
    Ok(())
}

/// `folio admin reset-password USER`: also ends the user's sessions.
pub fn admin_reset_password(config: &Config, user: &str, password: String) -> Result<(), CliError> {
    let user = user.to_string();
    let name = offline(config, |ctx| {
        Box::pin(async move {
            let key = user.clone();
            let found = ctx
                .db
                .read(move |c| crate::users::repo::find(c, &key))
                .await
                .map_err(api)?
                .ok_or_else(|| CliError::msg(format!("no user {user}")))?;
            crate::auth::service::reset_password(ctx, &found.id, password)
                .await
                .map_err(api)?;
            Ok(found.username)
        })
    })?;
    println!("password of {name} reset; their sessions were ended");
    Ok(())
}

/// `folio apikey create`.
pub fn apikey_create(config: &Config, name: &str, scopes: &str) -> Result<(), CliError> {
    let name = name.to_string();
    let scopes: Vec<String> = scopes.split(',').map(|s| s.trim().to_string()).collect();
    let (row, key) = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::create(ctx, &crate::auth::Principal::System, &name, &scopes)
                .await
                .map_err(api)
        })
    })?;
    println!(
        "created API key {} ({}) scopes {}",
        row.name, row.id, row.scopes
    );
    println!("{key}");
    eprintln!("store it now: the key is shown only once");
    Ok(())
}

/// `folio apikey list`.
pub fn apikey_list(config: &Config) -> Result<(), CliError> {
    let rows = offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::list(ctx, &crate::auth::Principal::System)
                .await
                .map_err(api)
        })
    })?;
    if rows.is_empty() {
        println!("no API keys");
    }
    for r in rows {
        println!(
            "{}  {}…  {:<20} {:<16} created {} last used {}",
            r.id,
            r.prefix,
            r.name,
            r.scopes,
            r.created_at,
            r.last_used_at.as_deref().unwrap_or("never")
        );
    }
    Ok(())
}

/// `folio apikey revoke ID`.
pub fn apikey_revoke(config: &Config, id: &str) -> Result<(), CliError> {
    let id = id.to_string();
    offline(config, |ctx| {
        Box::pin(async move {
            crate::auth::apikeys::revoke(ctx, &crate::auth::Principal::System, &id)
                .await
                .map_err(api)
        })
    })?;
    println!("revoked");
    Ok(())
}

/// `folio graphql-schema`: the SDL of the running schema.
pub fn graphql_schema(config: &Config, out: &std::path::Path) -> Result<(), CliError> {
    let sdl = crate::graphql::build_schema(&config.graphql).sdl();
    if out.as_os_str() == "-" {
        print!("{sdl}");
        return Ok(());
    }
    std::fs::write(out, &sdl)
        .map_err(|e| CliError::msg(format!("cannot write {}: {e}", out.display())))?;
    println!("wrote {} ({} bytes)", out.display(), sdl.len());
    Ok(())
}

mod seed;
pub use seed::{seed, seed_shaped, SeedShape};

/// `folio backup [FILE]`: a verified snapshot, also while the server runs.
pub fn backup(config: &Config, file: Option<&std::path::Path>) -> Result<(), CliError> {
    use crate::db::backup;
    let db = config.database_path();
    if !db.is_file() {
        return Err(CliError::msg(format!("no database at {}", db.display())));
    }
    let target = match file {
        Some(f) => f.to_path_buf(),
        None => backup::dir(&config.data_dir).join(backup::default_name()),
    };
    let info = backup::snapshot(&db, &target).map_err(|e| CliError::msg(e.to_string()))?;
    println!(
        "backup written: {} ({} bytes, {} ms, integrity ok)",
        info.path, info.size_bytes, info.duration_ms
    );
    Ok(())
}

/// `folio restore FILE`: only with the server stopped.
pub fn restore(config: &Config, file: &std::path::Path) -> Result<(), CliError> {
    if DataDirLock::is_held(&config.data_dir) {
        return Err(CliError::msg(format!(
            "a folio server is running on {} — stop it before restoring",
            config.data_dir.display()
        )));
    }
    let _lock = DataDirLock::acquire(&config.data_dir)?;
    let db = config.database_path();
    let aside = crate::db::backup::restore(file, &db).map_err(|e| CliError::msg(e.to_string()))?;
    if let Some(old) = aside {
        println!("kept the previous database as {}", old.display());
    }
    println!("restored {} from {}", db.display(), file.display());
    Ok(())
}

/// `folio export [--out DIR] [--with-secrets]`.
pub fn export(config: &Config, out: &std::path::Path, with_secrets: bool) -> Result<(), CliError> {
    let out = out.to_path_buf();
    let (users, posts) = offline(config, |ctx| {
        Box::pin(async move {
            crate::transfer::export(&ctx.db, &out, with_secrets)
                .await
                .map_err(api)
        })
    })?;
    println!("exported {users} users and {posts} posts");
    if !with_secrets {
        eprintln!("password hashes were left out (use --with-secrets to keep them)");
    }
    Ok(())
}

/// `folio import DIR`: into an empty database only.
pub fn import(config: &Config, dir: &std::path::Path) -> Result<(), CliError> {
    let dir = dir.to_path_buf();
    let (users, posts, without) = offline(config, |ctx| {
        Box::pin(async move {
            // Users without a hash get one nobody knows the password of.
            let unusable = ctx
                .hasher
                .hash(uuid::Uuid::new_v4().to_string())
                .await
                .map_err(api)?;
            crate::transfer::import(&ctx.db, &dir, unusable)
                .await
                .map_err(api)
        })
    })?;
    println!("imported {users} users and {posts} posts");
    if without > 0 {
        eprintln!("{without} users have no password yet: set one with `folio admin reset-password USER --password-stdin`");
    }
    Ok(())
}

/// `folio config`: the effective configuration, secrets masked.
pub fn print_config(config: &Config) {
    print!("{}", config.to_masked_toml());
}

/// `folio healthcheck [--url URL]`: exit 0 when `/health` answers 200.
pub fn healthcheck(config: &Config, url: Option<&str>) -> Result<(), CliError> {
    let url = match url {
        Some(u) => u.to_string(),
        None => {
            let host = match config.server.address.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                other => other,
            };
            format!("http://{host}:{}/health", config.server.port)
        }
    };
    let status = http_get_status(&url, Duration::from_secs(5))?;
    if status == 200 {
        println!("ok: {url} answered 200");
        Ok(())
    } else {
        Err(CliError::msg(format!("{url} answered {status}")))
    }
}

/// A minimal HTTP/1.1 GET over plain TCP; returns the status code.
fn http_get_status(url: &str, timeout: Duration) -> Result<u16, CliError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| CliError::msg(format!("only http:// URLs are supported: {url}")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr_text = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = addr_text
        .to_socket_addrs()
        .map_err(|e| CliError::msg(format!("cannot resolve {authority}: {e}")))?
        .next()
        .ok_or_else(|| CliError::msg(format!("cannot resolve {authority}")))?;
    let fail = |e: std::io::Error| CliError::msg(format!("{url}: {e}"));
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(fail)?;
    stream.set_read_timeout(Some(timeout)).map_err(fail)?;
    stream.set_write_timeout(Some(timeout)).map_err(fail)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: folio-healthcheck\r\n\r\n"
    )
    .map_err(fail)?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(fail)?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| CliError::msg(format!("{url}: not an HTTP answer")))
}
