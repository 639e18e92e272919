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
    let log = server.log_with("folio listening");
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

/// POSTs `body` (JSON) to `path` with the extra header lines `headers`,
/// sending SIGTERM to the server while the request is in flight (its body
/// half sent), then the rest; the raw answer.
fn post_across_sigterm(server: &Server, path: &str, headers: &str, body: &str) -> String {
    use std::io::{Read, Write};
    use std::time::Duration;

    let mut stream = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("data"));
    let body = r#"{"identity": "nobody", "password": "Whatever-123"}"#;
    let answer = post_across_sigterm(&server, "/api/auth/login", "", body);
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the in-flight request completed: {answer}"
    );
    assert!(answer.contains("invalid_credentials"), "{answer}");
    let code = server.wait_exit(Duration::from_secs(15));
    assert_eq!(code, Some(0), "log:\n{}", server.log_text());
    let log = server.log_text();
    assert!(log.contains("closing the database"), "{log}");
    // New connections are refused after shutdown.
    assert!(std::net::TcpStream::connect(("127.0.0.1", server.port)).is_err());
}

/// A write in flight at SIGTERM is answered and kept: the database closes
/// only after the requests in flight are answered (Rocket runs shutdown
/// fairings as soon as shutdown begins, so closing there answered it 500).
#[test]
fn sigterm_answers_an_in_flight_write_and_keeps_it() {
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let admin = |cmd: &mut std::process::Command| {
        // Rocket waits out the grace period when a request was in flight;
        // 3 s leaves the request's 0.5 s room and keeps the test short.
        cmd.env("FOLIO_SERVER__SHUTDOWN_GRACE_SECONDS", "3")
            .env("FOLIO_ADMIN_EMAIL", "env@example.com")
            .env("FOLIO_ADMIN_USERNAME", "envadmin")
            .env("FOLIO_ADMIN_PASSWORD", "Env-Admin-Pw-1");
    };
    let mut server = Server::start_with(&data, admin);
    let session: serde_json::Value = reqwest::blocking::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"identity": "envadmin", "password": "Env-Admin-Pw-1"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = crate::support::token_of(&session);
    let body = r#"{"title": "Written during shutdown", "content": "Kept.", "published": true}"#;
    let auth = format!("Authorization: Bearer {token}\r\n");
    let answer = post_across_sigterm(&server, "/api/posts", &auth, body);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let id = serde_json::from_str::<serde_json::Value>(json).expect(json)["post"]["id"]
        .as_str()
        .expect(json)
        .to_string();
    assert_eq!(server.wait_exit(Duration::from_secs(20)), Some(0));
    let log = server.log_text();
    let answered = log.find("\"status\":201").expect("the create is logged");
    let closed = log
        .find("closing the database")
        .expect("the close is logged");
    assert!(answered < closed, "{log}");
    assert!(!log.contains("\"level\":\"ERROR\""), "{log}");

    let again = Server::start_with(&data, admin);
    let res = reqwest::blocking::get(again.url(&format!("/api/posts/{id}"))).unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[test]
fn admin_and_apikey_commands() {
    use std::io::Write;
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
            .args(args)
            .env("FOLIO_DATA_DIR", &data)
            .env("FOLIO_AUTH__ARGON2_MEMORY_KIB", "4096")
            .env("FOLIO_AUTH__ARGON2_ITERATIONS", "1")
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(
        &[
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--username",
            "root",
            "--password-stdin",
        ],
        Some("Sup3r-Secret-Pw\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &[
            "admin",
            "create",
            "--email",
            "x@example.com",
            "--username",
            "xx",
            "--password-stdin",
        ],
        Some("weak\n"),
    );
    assert!(!ok && out.contains("username"), "{out}");
    let (ok, out) = run(&["admin", "list"], None);
    assert!(ok && out.contains("root@example.com"), "{out}");

    let (ok, out) = run(
        &["apikey", "create", "--name", "ci", "--scopes", "read,write"],
        None,
    );
    assert!(ok, "{out}");
    let key = out
        .lines()
        .find(|l| l.starts_with("folio_"))
        .unwrap()
        .to_string();
    let (ok, out) = run(&["apikey", "list"], None);
    assert!(
        ok && out.contains("read,write") && !out.contains(&key),
        "{out}"
    );
    let id = out.split_whitespace().next().unwrap().to_string();

    // The server accepts the key, and stops accepting it once revoked.
    let server = Server::start(&data);
    let client = reqwest::blocking::Client::new();
    let status = |k: &str| {
        client
            .get(server.url("/api/admin/api-keys"))
            .header("x-api-key", k)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status(&key), 403, "valid key, but not an admin key");
    let (ok, out) = run(&["apikey", "revoke", &id], None);
    assert!(ok, "{out}");
    let log = server.log_text();
    drop(server);
    assert!(
        !log.contains("/admin/#/setup?token="),
        "no setup link once an admin exists"
    );
    let server = Server::start(&data);
    let res = client
        .get(server.url("/api/admin/api-keys"))
        .header("x-api-key", &key)
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    // Promote and reset-password by username.
    let (ok, out) = run(&["admin", "promote", "nobody"], None);
    assert!(!ok && out.contains("not found"), "{out}");
    let (ok, out) = run(
        &["admin", "reset-password", "root", "--password-stdin"],
        Some("An0ther-Secret-Pw\n"),
    );
    assert!(ok, "{out}");
    let login = client
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"identity": "root", "password": "An0ther-Secret-Pw"}))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
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

#[test]
fn a_rate_limited_request_is_logged_with_the_method_and_path_it_was_sent_to() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), |cmd| {
        cmd.env("FOLIO_RATE_LIMIT__DEFAULT_REQUESTS", "2");
    });
    let client = reqwest::blocking::Client::new();
    let statuses: Vec<u16> = (0..3)
        .map(|_| {
            let res = client.get(server.url("/api/posts?limit=1")).send().unwrap();
            res.status().as_u16()
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
    let post = client
        .post(server.url("/api/posts"))
        .json(&serde_json::json!({"title": "t", "content": "c"}))
        .send()
        .unwrap();
    assert_eq!(post.status().as_u16(), 429);
    let log = server.log_with("\"method\":\"POST\"");
    let rejected: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.contains("\"status\":429"))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejected.len(), 2, "{log}");
    assert_eq!(rejected[0]["method"], "GET");
    assert_eq!(rejected[0]["path"], "/api/posts");
    assert_eq!(rejected[1]["method"], "POST");
    assert_eq!(rejected[1]["path"], "/api/posts");
    assert_eq!(rejected[1]["route"], "/__folio/rate-limited");
    // The metrics count it under the method it was sent with too.
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(
            r#"folio_http_requests_total{method="POST",route="/__folio/rate-limited",status="429"} 1"#
        ),
        "{metrics}"
    );
}

/// Request lines follow `log.level` and `log.format` like every other
/// line: in JSON they are written by Folio itself (not through `tracing`),
/// so the decision is checked here, end to end.
#[test]
fn request_lines_follow_the_log_filter_and_format() {
    let request_and_stop = |level: &str, format: &str| -> String {
        let dir = tempfile::tempdir().unwrap();
        let (level, format) = (level.to_string(), format.to_string());
        let mut server = Server::start_with(&dir.path().join("data"), move |cmd| {
            cmd.env("FOLIO_LOG__LEVEL", level)
                .env("FOLIO_LOG__FORMAT", format);
        });
        let res = reqwest::blocking::get(server.url("/api/posts?limit=1")).unwrap();
        assert_eq!(res.status().as_u16(), 200);
        // The queue is written out on a normal stop.
        server.signal("TERM");
        assert_eq!(
            server.wait_exit(std::time::Duration::from_secs(15)),
            Some(0)
        );
        server.log_text()
    };
    let json = request_and_stop("info", "json");
    assert!(json.contains(r#""target":"folio::request""#), "{json}");
    let off = request_and_stop("info,folio::request=off", "json");
    assert!(!off.contains("folio::request"), "{off}");
    assert!(off.contains("folio stopped"), "{off}");
    let warn = request_and_stop("warn", "json");
    assert!(!warn.contains("folio::request"), "{warn}");
    let only = request_and_stop("warn,folio::request=info", "json");
    assert!(only.contains(r#""path":"/api/posts""#), "{only}");
    let pretty = request_and_stop("info", "pretty");
    let line = pretty
        .lines()
        .find(|l| l.contains("folio::request") && l.contains("/api/posts"))
        .unwrap_or_else(|| panic!("no request line: {pretty}"));
    assert!(line.contains("200") && !line.starts_with('{'), "{line}");
}
