//! The real binary: first start, file modes, the data-directory lock,
//! configuration, migrations and the health check.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{free_port, Server};

fn folio() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    cmd.env_remove("FOLIO_CONFIG");
    cmd
}

/// `.cargo/config.toml`'s `CFLAGS` reach mimalloc's build: its arenas are
/// committed as they are used, not up front (bench/alloc compares the two).
#[cfg(feature = "mimalloc")]
#[test]
fn mimalloc_commits_arenas_on_demand() {
    let out = folio()
        .arg("--version")
        .env("MIMALLOC_VERBOSE", "1")
        .env_remove("MIMALLOC_ARENA_EAGER_COMMIT")
        .output()
        .unwrap();
    let options = String::from_utf8_lossy(&out.stderr);
    assert!(
        options.contains("option 'arena_eager_commit': 0"),
        "{options}"
    );
}

#[test]
fn first_start_creates_private_data_and_refuses_a_second_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    assert!(data.join("folio.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("folio.db")), 0o600);
    }
    let log = server.log_with("folio listening");
    assert!(log.contains("sqlite_version"), "{log}");
    assert!(log.contains("folio listening"), "{log}");

    let second = Server::command(&data, free_port())
        .output()
        .expect("second folio runs");
    assert_eq!(second.status.code(), Some(1), "{second:?}");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already using"), "{stderr}");
}

#[test]
fn healthcheck_succeeds_against_a_serving_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let url = server.url("/health");
    let out = folio()
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, format!("ok: {url} answered 200\n"));
}

#[test]
fn healthcheck_fails_with_exit_1_naming_the_url_when_nothing_listens() {
    let url = format!("http://127.0.0.1:{}/health", free_port());
    let out = folio()
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("folio: error: {url}: ")),
        "{stderr}"
    );
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn healthcheck_fails_with_exit_1_when_health_is_not_200() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    let answer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.ends_with(b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    let out = folio()
        .args(["healthcheck", "--url", &url])
        .output()
        .unwrap();
    let request = answer.join().unwrap();
    assert!(request.starts_with("GET /health HTTP/1.1\r\n"), "{request}");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, format!("folio: error: {url} answered 503\n"));
}

#[test]
fn config_command_prints_effective_toml() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("config")
        .env("FOLIO_SERVER__PORT", "9123")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("port = 9123"), "{text}");
    assert!(text.contains("[database]"), "{text}");
}

#[test]
fn unknown_env_key_stops_startup_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("serve")
        .env("FOLIO_SERVER__PROT", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.prot"), "{stderr}");
}

#[test]
fn migrate_status_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(args)
            .env("FOLIO_DATA_DIR", dir.path().join("d"))
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let status = run(&["migrate", "--status"]);
    assert!(status.status.success());
    assert!(String::from_utf8_lossy(&status.stdout).contains("pending"));
    let applied = run(&["migrate"]);
    assert!(applied.status.success());
    assert!(String::from_utf8_lossy(&applied.stdout).contains("applied 0001_users.sql"));
    let again = run(&["migrate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
}

/// Runs `cmd` to its end, or kills it after `within` and fails.
#[track_caller]
fn run_within(cmd: &mut Command, within: Duration) -> Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("still running after {within:?}: {out:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A migration changed after it was applied stops `serve` before it
/// listens: exit 1 and one line naming the file and both checksums.
#[test]
fn serve_refuses_a_database_whose_applied_migration_changed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = folio()
        .arg("migrate")
        .env("FOLIO_DATA_DIR", &data)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let conn = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    conn.execute(
        "UPDATE schema_migrations SET checksum = 'forged' WHERE version = 1",
        [],
    )
    .unwrap();
    drop(conn);
    let out = run_within(
        &mut Server::command(&data, free_port()),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("folio: error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(
        line.starts_with(
            "folio: error: migration 0001_users.sql was changed after it was applied \
             (checksum forged in the database, "
        ),
        "{line}"
    );
}
