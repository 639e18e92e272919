//! The real binary closes slow and idle connections itself
//! (`server.header_timeout_seconds`, `server.body_timeout_seconds`) and
//! serves at most `server.max_connections` at once, the rest waiting.
//! Raw sockets on 127.0.0.1; the client never closes first: a read that
//! outlasts its own 15 s timeout fails the test.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::Server;

fn start(header: u64, body: u64, max_connections: usize) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(&dir.path().join("data"), |cmd| {
        cmd.env("FOLIO_SERVER__HEADER_TIMEOUT_SECONDS", header.to_string())
            .env("FOLIO_SERVER__BODY_TIMEOUT_SECONDS", body.to_string())
            .env("FOLIO_SERVER__MAX_CONNECTIONS", max_connections.to_string());
    });
    (dir, server)
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    stream
}

/// What the server sent before it closed the connection.
fn read_until_closed(stream: &mut TcpStream, case: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("{case}: the server kept the connection open ({e})"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn slow_silent_and_idle_connections_are_closed_by_the_server() {
    let (_dir, server) = start(1, 1, 100);

    let mut silent = connect(&server);
    assert_eq!(read_until_closed(&mut silent, "silent"), "");

    let mut line_only = connect(&server);
    line_only.write_all(b"GET /health HTTP/1.1\r\n").unwrap();
    let got = read_until_closed(&mut line_only, "request line then silence");
    assert!(!got.contains("200 OK"), "{got}");

    // One header byte at a time, never finishing: the client keeps
    // writing until the server has closed.
    let mut trickle = connect(&server);
    let mut writer = trickle.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let head = b"GET /health HTTP/1.1\r\nHost: folio\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')).take(75) {
            if writer.write_all(&[*byte]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let got = read_until_closed(&mut trickle, "one header byte at a time");
    assert!(!got.contains("200 OK"), "{got}");
    sender.join().unwrap();

    let mut no_body = connect(&server);
    no_body
        .write_all(
            b"POST /api/auth/login HTTP/1.1\r\nHost: folio\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"identity\"",
        )
        .unwrap();
    let got = read_until_closed(&mut no_body, "a body that never comes");
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("request_timeout"), "{got}");

    let mut idle = connect(&server);
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: folio\r\n\r\n")
        .unwrap();
    let got = read_until_closed(&mut idle, "idle keep-alive");
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
    assert_eq!(got.matches("HTTP/1.1").count(), 1, "{got}");

    // The server itself goes on serving.
    let res = reqwest::blocking::get(server.url("/health")).unwrap();
    assert!(res.status().is_success());
}

#[test]
fn past_the_connection_cap_new_connections_wait_for_a_free_slot() {
    let (_dir, server) = start(2, 2, 2);
    // Let the start-up health check's connection end first.
    std::thread::sleep(Duration::from_millis(300));
    let mut held = [connect(&server), connect(&server)];
    let mut waiting = connect(&server);
    waiting
        .write_all(b"GET /health HTTP/1.1\r\nHost: folio\r\nConnection: close\r\n\r\n")
        .unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 64];
    match waiting.read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("answered while both slots were held: {other:?}"),
    }
    for (n, stream) in held.iter_mut().enumerate() {
        assert_eq!(read_until_closed(stream, &format!("held {n}")), "");
    }
    waiting
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let got = read_until_closed(&mut waiting, "the waiting connection");
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
}
