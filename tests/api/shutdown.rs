//! Shutdown on SIGTERM against the real binary: requests in flight are
//! answered (and their writes kept) before the database closes.

use std::time::Duration;

use crate::support::Server;

/// POSTs `body` (JSON) to `path` with the extra header lines `headers`,
/// sending SIGTERM to the server while the request is in flight (its body
/// half sent), then the rest; the raw answer.
fn post_across_sigterm(server: &Server, path: &str, headers: &str, body: &str) -> String {
    use std::io::{Read, Write};

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
