//! The live event stream (SSE) and webhook deliveries across a restart,
//! against the real binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{signature_ok, Receiver, Server, PASSWORD};

/// Opens an SSE stream on a real server; returns a line reader.
fn open_stream(
    server: &Server,
    token: &str,
    query: &str,
    last_id: Option<&str>,
) -> BufReader<TcpStream> {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let extra = last_id
        .map(|id| format!("Last-Event-ID: {id}\r\n"))
        .unwrap_or_default();
    write!(s, "GET /api/events{query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\nConnection: close\r\n{extra}\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    assert!(status.contains("200"), "{status}");
    r
}

/// Reads SSE messages until `n` arrived: (event, id, data).
fn read_messages(r: &mut BufReader<TcpStream>, n: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
    let mut line = String::new();
    while out.len() < n {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if let Some(v) = l.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = l.strip_prefix("id:") {
            id = v.trim().to_string();
        } else if let Some(v) = l.strip_prefix("data:") {
            data = v.trim().to_string();
        } else if l.is_empty() && !data.is_empty() {
            out.push((
                std::mem::take(&mut event),
                std::mem::take(&mut id),
                std::mem::take(&mut data),
            ));
        }
    }
    out
}

fn login(server: &Server, who: &str) -> String {
    let res: Value = reqwest::blocking::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&json!({"identity": who, "password": PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    res["access_token"].as_str().unwrap().to_string()
}

fn create_post(server: &Server, token: &str, title: &str, content: &str) -> Value {
    let res: Value = reqwest::blocking::Client::new()
        .post(server.url("/api/posts"))
        .bearer_auth(token)
        .json(&json!({"title": title, "content": content, "published": true}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    res["post"].clone()
}

fn admin_server(data: &std::path::Path, extra: &[(&str, &str)]) -> Server {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Server::start_with(data, move |cmd| {
        cmd.env("FOLIO_ADMIN_EMAIL", "root@example.com")
            .env("FOLIO_ADMIN_USERNAME", "root")
            .env("FOLIO_ADMIN_PASSWORD", PASSWORD)
            .env("FOLIO_AUTH__ARGON2_MEMORY_KIB", "4096")
            .env("FOLIO_AUTH__ARGON2_ITERATIONS", "1")
            .env("FOLIO_WEBHOOKS__RETRY_BASE_SECONDS", "1");
        for (k, v) in extra {
            cmd.env(k, v);
        }
    })
}

#[test]
fn sse_delivers_filters_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let server = admin_server(&dir.path().join("data"), &[]);
    let token = login(&server, "root");
    let mut all = open_stream(&server, &token, "", None);
    let mut only_published = open_stream(&server, &token, "?types=post.published", None);
    let started = Instant::now();
    let post = create_post(&server, &token, "Live", "x");
    let got = read_messages(&mut all, 2);
    assert_eq!(got[0].0, "post.created");
    assert_eq!(got[1].0, "post.published", "created published");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "delivered promptly"
    );
    let envelope: Value = serde_json::from_str(&got[0].2).unwrap();
    assert_eq!(envelope["id"], got[0].1.as_str());
    assert_eq!(envelope["data"]["id"], post["id"]);
    let first_id = got[0].1.clone();
    // Unpublish and publish again: the filtered stream sees only the publishes.
    let client = reqwest::blocking::Client::new();
    let id = post["id"].as_str().unwrap();
    client
        .post(server.url(&format!("/api/posts/{id}/unpublish")))
        .bearer_auth(&token)
        .send()
        .unwrap();
    client
        .post(server.url(&format!("/api/posts/{id}/publish")))
        .bearer_auth(&token)
        .send()
        .unwrap();
    let filtered = read_messages(&mut only_published, 2);
    assert_eq!(filtered[0].0, "post.published");
    assert_eq!(filtered[1].0, "post.published");
    let rest = read_messages(&mut all, 2);
    assert_eq!(
        rest.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        vec!["post.unpublished", "post.published"]
    );
    // Resume after the first event: the three later ones come from the outbox.
    let mut resumed = open_stream(&server, &token, "", Some(&first_id));
    let again = read_messages(&mut resumed, 3);
    assert_eq!(
        again.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        vec!["post.published", "post.unpublished", "post.published"]
    );
}

/// An unknown (expired) id starts with a gap message, then the retained
/// events.
#[test]
fn sse_resuming_from_an_unknown_id_starts_with_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let server = admin_server(&dir.path().join("data"), &[]);
    let token = login(&server, "root");
    let post = create_post(&server, &token, "Kept", "x");
    let mut gap = open_stream(
        &server,
        &token,
        "",
        Some("0190a0b0-0000-7000-8000-000000000000"),
    );
    let msgs = read_messages(&mut gap, 4);
    let kinds: Vec<&str> = msgs.iter().map(|m| m.0.as_str()).collect();
    // The admin created at start-up, then the post.
    assert_eq!(
        kinds,
        ["gap", "user.created", "post.created", "post.published"]
    );
    let envelope: Value = serde_json::from_str(&msgs[2].2).unwrap();
    assert_eq!(envelope["data"]["id"], post["id"]);
}

#[test]
fn plain_users_may_not_subscribe() {
    let dir = tempfile::tempdir().unwrap();
    let server = admin_server(&dir.path().join("data"), &[]);
    let client = reqwest::blocking::Client::new();
    let res = client
        .post(server.url("/api/auth/register"))
        .json(&json!({"email": "w@example.com", "username": "walt", "password": PASSWORD}))
        .send()
        .unwrap();
    let user: Value = res.json().unwrap();
    let res = client
        .get(server.url("/api/events"))
        .bearer_auth(user["access_token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
}

#[test]
fn a_slow_subscriber_is_cut_off_without_hurting_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = admin_server(
        &dir.path().join("data"),
        &[("FOLIO_EVENTS__SUBSCRIBER_BUFFER", "16")],
    );
    let token = login(&server, "root");
    // The slow one never reads; the healthy one reads everything.
    let slow = open_stream(&server, &token, "", None);
    let mut healthy = open_stream(&server, &token, "", None);
    let big = "x".repeat(90_000);
    let reader = std::thread::spawn(move || read_messages(&mut healthy, 80).len());
    for i in 0..80 {
        create_post(&server, &token, &format!("Big {i}"), &big);
    }
    assert_eq!(
        reader.join().unwrap(),
        80,
        "the healthy subscriber got every event"
    );
    // The slow subscriber's stream was closed by the server: draining it ends.
    let mut slow = slow.into_inner();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut sink = vec![0u8; 1 << 20];
    let mut total = 0usize;
    let ended = loop {
        match slow.read(&mut sink) {
            Ok(0) => break true,
            Ok(n) => total += n,
            Err(_) => break false,
        }
    };
    assert!(ended, "the slow stream was closed (read {total} bytes)");
    assert!(total < 80 * 90_000, "it did not get everything buffered");
    let log = server.log_with("too slow");
    assert!(log.contains("too slow"), "{log}");
}

#[test]
fn pending_deliveries_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The receiver's port is reserved but nothing answers yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/hook");
    let mut server = admin_server(&data, &[]);
    let token = login(&server, "root");
    let client = reqwest::blocking::Client::new();
    let res: Value = client
        .post(server.url("/api/admin/webhooks"))
        .bearer_auth(&token)
        .json(&json!({"url": url, "events": ["post.created"]}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let secret = res["secret"].as_str().unwrap().to_string();
    for i in 0..3 {
        create_post(&server, &token, &format!("Pending {i}"), "x");
    }
    std::thread::sleep(Duration::from_millis(500));
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(15)), Some(0));
    drop(server);
    // Now the receiver is up; the restarted server delivers what was pending.
    let receiver = Receiver::start_on(
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(),
        0,
        Duration::ZERO,
    );
    let _server = admin_server(&data, &[]);
    let got = receiver.wait_for(3, Duration::from_secs(30));
    let titles: std::collections::BTreeSet<String> = got
        .iter()
        .filter(|r| signature_ok(&secret, r))
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["data"]["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        titles.len(),
        3,
        "all pending deliveries arrived after the restart: {titles:?}"
    );
}
