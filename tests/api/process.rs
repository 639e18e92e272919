//! The real binary: first start, file modes, the data-directory lock, the
//! CLI's helpers.

use std::process::Command;

use crate::support::Server;

#[test]
fn first_start_creates_private_data_and_refuses_a_second_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    assert!(data.join("folio.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("folio.db")), 0o600);
    }
    let log = server.log_text();
    assert!(log.contains("sqlite_version"), "{log}");
    assert!(log.contains("folio listening"), "{log}");

    let second = Server::command(&data, crate::support::free_port())
        .output()
        .expect("second folio runs");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already using"), "{stderr}");

    let hc = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(["healthcheck", "--url", &server.url("/health")])
        .output()
        .unwrap();
    assert!(hc.status.success(), "{hc:?}");
}

#[test]
fn healthcheck_fails_without_a_server() {
    let port = crate::support::free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args([
            "healthcheck",
            "--url",
            &format!("http://127.0.0.1:{port}/health"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
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
