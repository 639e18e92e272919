//! `folio serve` runs the server; `folio healthcheck` asks a running one
//! whether it is up.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::CliError;
use crate::config::Config;
use crate::db::lock::DataDirLock;

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
