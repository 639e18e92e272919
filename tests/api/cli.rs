//! The CLI's account commands against a real data directory, and the
//! two other ways to get a first admin (the setup link, the environment).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::Server;

/// Runs `folio ARGS` on `data` with `stdin`; (success, stdout + stderr).
fn folio(data: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env("FOLIO_DATA_DIR", data)
        .env("FOLIO_AUTH__ARGON2_MEMORY_KIB", "4096")
        .env("FOLIO_AUTH__ARGON2_ITERATIONS", "1")
        .env_remove("FOLIO_CONFIG")
        .current_dir(data.parent().unwrap_or(data))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn create_root(data: &Path) {
    let args = [
        "admin",
        "create",
        "--email",
        "root@example.com",
        "--username",
        "root",
        "--password-stdin",
    ];
    let (ok, out) = folio(data, &args, Some("Sup3r-Secret-Pw\n"));
    assert!(ok, "{out}");
}

fn login_status(server: &Server, identity: &str, password: &str) -> u16 {
    reqwest::blocking::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"identity": identity, "password": password}))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn admin_commands_create_list_promote_and_reset_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_root(&data);
    let weak = [
        "admin",
        "create",
        "--email",
        "x@example.com",
        "--username",
        "xx",
        "--password-stdin",
    ];
    let (ok, out) = folio(&data, &weak, Some("weak\n"));
    assert!(!ok && out.contains("username"), "{out}");
    let (ok, out) = folio(&data, &["admin", "list"], None);
    assert!(ok && out.contains("root@example.com"), "{out}");
    let (ok, out) = folio(&data, &["admin", "promote", "nobody"], None);
    assert!(!ok && out.contains("not found"), "{out}");

    let server = Server::start(&data);
    assert_eq!(login_status(&server, "root", "Sup3r-Secret-Pw"), 200);
    let reset = ["admin", "reset-password", "root", "--password-stdin"];
    let (ok, out) = folio(&data, &reset, Some("An0ther-Secret-Pw\n"));
    assert!(ok, "{out}");
    assert_eq!(login_status(&server, "root", "An0ther-Secret-Pw"), 200);
    assert_eq!(login_status(&server, "root", "Sup3r-Secret-Pw"), 401);
    let log = server.log_text();
    assert!(
        !log.contains("/admin/#/setup?token="),
        "no setup link once an admin exists"
    );
}

#[test]
fn apikey_commands_create_list_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_root(&data);
    let create = ["apikey", "create", "--name", "ci", "--scopes", "read,write"];
    let (ok, out) = folio(&data, &create, None);
    assert!(ok, "{out}");
    let key = out
        .lines()
        .find(|l| l.starts_with("folio_"))
        .unwrap()
        .to_string();
    let (ok, out) = folio(&data, &["apikey", "list"], None);
    assert!(
        ok && out.contains("read,write") && !out.contains(&key),
        "{out}"
    );
    let id = out.split_whitespace().next().unwrap().to_string();

    // The server accepts the key, and stops accepting it once revoked.
    let server = Server::start(&data);
    let client = reqwest::blocking::Client::new();
    let status = || {
        client
            .get(server.url("/api/admin/api-keys"))
            .header("x-api-key", &key)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status(), 403, "valid key, but not an admin key");
    let (ok, out) = folio(&data, &["apikey", "revoke", &id], None);
    assert!(ok, "{out}");
    // The server notices another process's write within a second or so.
    let mut last = status();
    for _ in 0..30 {
        if last == 401 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        last = status();
    }
    assert_eq!(last, 401, "the revoked key is refused");
}

#[test]
fn setup_link_is_logged_when_no_admin_exists() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"));
    let log = server.log_with("/admin/#/setup?token=");
    let line = log
        .lines()
        .find(|l| l.contains("/admin/#/setup?token="))
        .expect("setup link logged");
    let token = line
        .split("token=")
        .nth(1)
        .unwrap()
        .split(['"', ' ', '\\'])
        .next()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let res = client
        .post(server.url("/api/admin/setup"))
        .json(&serde_json::json!({"token": token, "email": "a@example.com", "username": "admin", "password": "Sup3r-Secret-Pw"}))
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
}

#[test]
fn admin_from_environment_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), |cmd| {
        cmd.env("FOLIO_ADMIN_EMAIL", "env@example.com")
            .env("FOLIO_ADMIN_USERNAME", "envadmin")
            .env("FOLIO_ADMIN_PASSWORD", "Env-Admin-Pw-1");
    });
    let res = reqwest::blocking::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"identity": "envadmin", "password": "Env-Admin-Pw-1"}))
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().unwrap();
    assert_eq!(body["user"]["role"], "admin");
}
