//! Crash safety against the real binary: every acknowledged write survives
//! SIGKILL; the WAL is checkpointed back to a small size once idle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{Server, PASSWORD};

fn start(data: &std::path::Path, extra: &[(&'static str, &'static str)]) -> Server {
    let extra = extra.to_vec();
    Server::start_with(data, move |cmd| {
        cmd.env("FOLIO_ADMIN_EMAIL", "root@example.com")
            .env("FOLIO_ADMIN_USERNAME", "root")
            .env("FOLIO_ADMIN_PASSWORD", PASSWORD)
            .env("FOLIO_RATE_LIMIT__DEFAULT_REQUESTS", "1000000")
            .env("FOLIO_RATE_LIMIT__AUTH_REQUESTS", "1000000");
        for (k, v) in extra {
            cmd.env(k, v);
        }
    })
}

fn token(server: &Server) -> String {
    let res: Value = reqwest::blocking::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&json!({"identity": "root", "password": PASSWORD}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    res["access_token"].as_str().unwrap().to_string()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for round in 0..3 {
        let mut server = start(&data, &[]);
        let token = token(&server);
        let acked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4 {
            let (url, token, acked, stop) = (
                server.url("/api/posts"),
                token.clone(),
                acked.clone(),
                stop.clone(),
            );
            writers.push(std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(
                            &json!({"title": format!("r{round} w{w} #{i}"), "content": "durable"}),
                        )
                        .send();
                    if let Ok(r) = res {
                        if r.status().as_u16() == 201 {
                            if let Ok(v) = r.json::<Value>() {
                                acked
                                    .lock()
                                    .unwrap()
                                    .push(v["post"]["id"].as_str().unwrap_or_default().to_string());
                            }
                        }
                    }
                }
            }));
        }
        // Kill at a pseudo-random moment while writes are in flight.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(300 + seed % 700));
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        let got = acked.lock().unwrap().clone();
        assert!(
            !got.is_empty(),
            "round {round}: some writes were acknowledged"
        );
        acknowledged.extend(got);
        drop(server);
    }
    // Restart on the crashed database: it recovers without help.
    let server = start(&data, &[]);
    let token = token(&server);
    drop(server);
    let conn = rusqlite::Connection::open(data.join("folio.db")).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let mut missing = Vec::new();
    for id in &acknowledged {
        let n: i64 = conn
            .query_row("SELECT count(*) FROM posts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        if n != 1 {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost",
        missing.len(),
        acknowledged.len()
    );
    assert!(!token.is_empty());
}

#[test]
fn wal_is_checkpointed_after_a_burst() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(
        &data,
        &[("FOLIO_DATABASE__CHECKPOINT_INTERVAL_SECONDS", "1")],
    );
    let token = token(&server);
    let client = reqwest::blocking::Client::new();
    let big = "w".repeat(50_000);
    for i in 0..60 {
        let res = client
            .post(server.url("/api/posts"))
            .bearer_auth(&token)
            .json(&json!({"title": format!("Burst {i}"), "content": big, "published": true}))
            .send()
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
    }
    let wal = data.join("folio.db-wal");
    let peak = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(peak > 1_000_000, "the burst grew the WAL ({peak} bytes)");
    let mut size = peak;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(200));
        // Readers keep coming; the checkpoint still happens once writes stop.
        let _ = client.get(server.url("/api/posts")).send();
        size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size == 0 {
            break;
        }
    }
    assert_eq!(
        size, 0,
        "the WAL was truncated after going idle (peak {peak})"
    );
}
