//! Durable events: the outbox, signed webhooks with retries that survive a
//! restart, and the live SSE stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rocket::http::{Method, Status};
use serde_json::{json, Value};

use crate::support::{id_of, json_of, signature_ok, token_of, Receiver, Server, TestApp, PASSWORD};

#[rocket::async_test]
async fn a_rolled_back_change_leaves_no_event() {
    let app = TestApp::new().await;
    let t = app.user_token("una").await;
    let before = app.events_of("post.created").await;
    // A write that records its event, then fails: both roll back together.
    let result = app
        .ctx()
        .db
        .write(|c| {
            folio::events::outbox::record(c, "post.created", &json!({"id": "x"}))?;
            Err::<(), _>(folio::ApiError::Conflict("boom".into()))
        })
        .await;
    assert!(result.is_err());
    assert_eq!(app.events_of("post.created").await, before);
    // A request that fails validation or conflicts records nothing either.
    app.post_as(&t, json!({"title": "T", "content": "x", "slug": "taken"}))
        .await;
    let (status, _) = app
        .call(
            Method::Post,
            "/api/posts",
            Some(&t),
            Some(&json!({"title": "T", "content": "x", "slug": "taken"})),
        )
        .await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(app.events_of("post.created").await, before + 1);
}

#[rocket::async_test]
async fn webhooks_crud_validation_and_permissions() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let user = app.user_token("vic").await;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["post.created"]});
    let (status, _) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&user),
            Some(&body),
        )
        .await;
    assert_eq!(status, Status::Forbidden);
    let (status, created) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&admin),
            Some(&body),
        )
        .await;
    assert_eq!(status, Status::Created, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.len() >= 32);
    let id = id_of(&created["webhook"]);
    let (_, list) = app.get_as("/api/admin/webhooks", Some(&admin)).await;
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains(secret),
        "the secret is shown once"
    );
    for bad in [
        json!({"url": "ftp://x/", "events": ["post.created"]}),
        json!({"url": "not a url", "events": ["post.created"]}),
        json!({"url": "http://x.example/", "events": ["nope"]}),
        json!({"url": "http://x.example/", "events": []}),
    ] {
        let (status, b) = app
            .call(
                Method::Post,
                "/api/admin/webhooks",
                Some(&admin),
                Some(&bad),
            )
            .await;
        assert_eq!(status, Status::BadRequest, "{bad}: {b}");
    }
    let (status, patched) = app
        .call(
            Method::Patch,
            &format!("/api/admin/webhooks/{id}"),
            Some(&admin),
            Some(&json!({"enabled": false, "events": ["*"]})),
        )
        .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(patched["webhook"]["enabled"], false);
    assert_eq!(patched["webhook"]["events"], json!(["*"]));
    assert_eq!(
        app.send(
            Method::Delete,
            &format!("/api/admin/webhooks/{id}"),
            Some(&admin),
            None
        )
        .await
        .status(),
        Status::NoContent
    );
    assert_eq!(
        app.get_as(&format!("/api/admin/webhooks/{id}"), Some(&admin))
            .await
            .0,
        Status::NotFound
    );

    let blocking = TestApp::with(|c| c.webhooks.block_private_networks = true).await;
    let admin = token_of(&blocking.admin("root").await);
    for url in [
        "http://127.0.0.1/x",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://localhost:8080/",
    ] {
        let (status, _) = json_of(
            blocking
                .send(
                    Method::Post,
                    "/api/admin/webhooks",
                    Some(&admin),
                    Some(&json!({"url": url, "events": ["*"]})),
                )
                .await,
        )
        .await;
        assert_eq!(status, Status::BadRequest, "{url}");
    }
}

#[rocket::async_test]
async fn signed_deliveries_with_retries_and_redelivery() {
    let receiver = Receiver::start(2, Duration::ZERO);
    let app = TestApp::with(|c| c.webhooks.retry_base_seconds = 1).await;
    let admin = app.admin_token("root").await;
    let (_, created) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&admin),
            Some(&json!({"url": receiver.url(), "events": ["post.created", "post.published"]})),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let hook = id_of(&created["webhook"]);
    let post = app
        .post_as(&admin, json!({"title": "Hooked", "content": "x"}))
        .await;
    // Two failures (500), then success: three requests for one delivery.
    let got = tokio::task::spawn_blocking({
        let r = std::sync::Arc::new(receiver);
        move || (r.wait_for(3, Duration::from_secs(20)), r)
    })
    .await
    .unwrap();
    let (got, receiver) = got;
    assert!(got.len() >= 3, "got {} requests", got.len());
    for r in &got {
        assert!(signature_ok(&secret, r), "bad signature: {r:?}");
        assert_eq!(
            r.headers.get("x-folio-event").map(String::as_str),
            Some("post.created")
        );
        let envelope: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(envelope["type"], "post.created");
        assert_eq!(envelope["data"]["id"], post["id"]);
        assert_eq!(
            r.headers.get("x-folio-delivery"),
            envelope["id"].as_str().map(str::to_string).as_ref()
        );
    }
    assert!(!signature_ok("wrong-secret-wrong-secret", &got[0]));
    // The delivery record says delivered after 3 attempts.
    let mut delivered = Value::Null;
    for _ in 0..50 {
        let (_, list) = app
            .get_as(
                &format!("/api/admin/webhooks/{hook}/deliveries"),
                Some(&admin),
            )
            .await;
        delivered = list["deliveries"][0].clone();
        if delivered["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered["status"], "delivered", "{delivered}");
    assert_eq!(delivered["attempts"], 3);
    assert_eq!(delivered["last_response_code"], 200);
    assert!(delivered["delivered_at"].is_string());

    // Redeliver and ping reach the receiver again.
    let (status, _) = app
        .call(
            Method::Post,
            &format!(
                "/api/admin/webhooks/{hook}/deliveries/{}/redeliver",
                delivered["id"].as_str().unwrap()
            ),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, Status::Ok);
    let (status, _) = app
        .call(
            Method::Post,
            &format!("/api/admin/webhooks/{hook}/ping"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, Status::Ok);
    let got = tokio::task::spawn_blocking(move || receiver.wait_for(5, Duration::from_secs(10)))
        .await
        .unwrap();
    assert!(got.len() >= 5, "{}", got.len());
    assert!(got
        .iter()
        .any(|r| r.headers.get("x-folio-event").map(String::as_str) == Some("ping")));
}

#[rocket::async_test]
async fn a_dead_endpoint_does_not_delay_a_healthy_one() {
    // The dead one accepts connections and never answers.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!(
        "http://127.0.0.1:{}/hook",
        dead.local_addr().unwrap().port()
    );
    let healthy = Receiver::start(0, Duration::ZERO);
    let app = TestApp::with(|c| c.webhooks.timeout_seconds = 30).await;
    let admin = app.admin_token("root").await;
    for url in [dead_url.clone(), healthy.url()] {
        let (status, _) = app
            .call(
                Method::Post,
                "/api/admin/webhooks",
                Some(&admin),
                Some(&json!({"url": url, "events": ["*"]})),
            )
            .await;
        assert_eq!(status, Status::Created);
    }
    let started = Instant::now();
    for i in 0..6 {
        app.post_as(&admin, json!({"title": format!("E{i}"), "content": "x"}))
            .await;
    }
    let got = tokio::task::spawn_blocking(move || healthy.wait_for(6, Duration::from_secs(10)))
        .await
        .unwrap();
    let types: Vec<&str> = got
        .iter()
        .filter_map(|r| r.headers.get("x-folio-event").map(String::as_str))
        .collect();
    assert_eq!(
        got.len(),
        6,
        "the healthy endpoint got every event: {types:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(dead);
}

#[rocket::async_test]
async fn a_disabled_webhooks_backlog_does_not_hold_up_the_others() {
    let healthy = Receiver::start(0, Duration::ZERO);
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    let (status, created) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&admin),
            Some(&json!({"url": "http://127.0.0.1:9/gone", "events": ["*"]})),
        )
        .await;
    assert_eq!(status, Status::Created);
    let gone = id_of(&created["webhook"]);
    let (status, _) = app
        .call(
            Method::Patch,
            &format!("/api/admin/webhooks/{gone}"),
            Some(&admin),
            Some(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, Status::Ok);
    // A backlog it built up before it was disabled (by hand, or after too
    // many failures): more overdue deliveries than the dispatcher takes in
    // one round.
    let hook = gone.clone();
    app.ctx()
        .db
        .write(move |c| {
            for i in 0..250 {
                let event = format!("backlog-{i}");
                folio::events::webhook_repo::enqueue(c, &hook, &event, "post.created", "{}")?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let (status, _) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&admin),
            Some(&json!({"url": healthy.url(), "events": ["post.created"]})),
        )
        .await;
    assert_eq!(status, Status::Created);
    app.post_as(&admin, json!({"title": "After", "content": "x"}))
        .await;
    let got = tokio::task::spawn_blocking(move || healthy.wait_for(1, Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "the enabled webhook got its delivery");
    // The disabled one's deliveries are held, not dropped.
    let (_, list) = app
        .get_as(
            &format!("/api/admin/webhooks/{gone}/deliveries?limit=1"),
            Some(&admin),
        )
        .await;
    assert_eq!(list["pagination"]["total"], 250, "{list}");
    assert_eq!(list["deliveries"][0]["status"], "pending");
    assert_eq!(list["deliveries"][0]["attempts"], 0);
    // Enabled again (pointing somewhere that answers), it sends them.
    let resumed = Receiver::start(0, Duration::ZERO);
    let (status, _) = app
        .call(
            Method::Patch,
            &format!("/api/admin/webhooks/{gone}"),
            Some(&admin),
            Some(&json!({"url": resumed.url(), "enabled": true})),
        )
        .await;
    assert_eq!(status, Status::Ok);
    let got = tokio::task::spawn_blocking(move || resumed.wait_for(1, Duration::from_secs(10)))
        .await
        .unwrap();
    assert!(!got.is_empty(), "the held deliveries are sent once enabled");
    assert!(got.iter().all(|r| r
        .headers
        .get("x-folio-delivery")
        .is_some_and(|d| d.starts_with("backlog-"))));
}

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
    // An unknown (expired) id starts with a gap message, then the retained events.
    let mut gap = open_stream(
        &server,
        &token,
        "",
        Some("0190a0b0-0000-7000-8000-000000000000"),
    );
    let msgs = read_messages(&mut gap, 2);
    assert_eq!(msgs[0].0, "gap");
    // Plain users may not subscribe.
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

/// The hourly upkeep looks before it writes: with nothing past its
/// retention it commits nothing (a commit would retire every cached
/// GraphQL response on an idle server), and with something it purges it.
#[rocket::async_test]
async fn upkeep_with_nothing_to_purge_commits_nothing() {
    let app = TestApp::new().await;
    // Its start-up upkeep (the first hourly round included) wrote nothing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.ctx().db.commits_done(), 0);
    let admin = app.admin_token("root").await;
    app.post_as(&admin, json!({"title": "Fresh", "content": "x"}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ctx = app.ctx();
    let commits = ctx.db.commits_done();
    assert_eq!(folio::auth::service::purge_expired(ctx).await.unwrap(), 0);
    assert_eq!(folio::events::purge_old(ctx).await.unwrap(), (0, 0));
    assert_eq!(
        ctx.db.commits_done(),
        commits,
        "nothing to purge, no commit"
    );
    ctx.db
        .write(|c| {
            c.execute(
                "INSERT INTO events (id, type, occurred_at, data)
                 VALUES ('old-event', 'post.created', '2001-01-01T00:00:00Z', '{}')",
                [],
            )?;
            c.execute(
                "UPDATE refresh_tokens SET expires_at = '2001-01-01T00:00:00Z'",
                [],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(folio::auth::service::purge_expired(ctx).await.unwrap(), 1);
    assert_eq!(folio::events::purge_old(ctx).await.unwrap(), (1, 0));
    assert_eq!(ctx.db.commits_done(), commits + 3);
    let left: i64 = ctx
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM refresh_tokens)
                      + (SELECT count(*) FROM events WHERE id = 'old-event')",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// With no webhook enabled the dispatcher opens no write transactions
/// (one would follow every change); a webhook created later starts with
/// the events after its creation.
#[rocket::async_test]
async fn an_idle_dispatcher_writes_nothing_and_a_new_hook_starts_now() {
    let app = TestApp::new().await;
    let admin = app.admin_token("root").await;
    app.post_as(&admin, json!({"title": "Before one", "content": "x"}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let commits = app.ctx().db.commits_done();
    app.post_as(&admin, json!({"title": "Before two", "content": "x"}))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.ctx().db.commits_done(),
        commits + 1,
        "only the post's own commit"
    );
    let receiver = Receiver::start(0, Duration::ZERO);
    let (status, _) = app
        .call(
            Method::Post,
            "/api/admin/webhooks",
            Some(&admin),
            Some(&json!({"url": receiver.url(), "events": ["post.created"]})),
        )
        .await;
    assert_eq!(status, Status::Created);
    let after = app
        .post_as(&admin, json!({"title": "After", "content": "x"}))
        .await;
    let receiver = std::sync::Arc::new(receiver);
    let got = tokio::task::spawn_blocking({
        let r = receiver.clone();
        move || r.wait_for(1, Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(got.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "only the event after the webhook's creation");
    let envelope: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(envelope["data"]["id"], after["id"]);
}
